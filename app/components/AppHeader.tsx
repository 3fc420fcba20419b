import { Form, NavLink } from '@remix-run/react';
import { CreditsBadge } from './CreditsBadge.js';
import { NotificationBell } from './NotificationBell.js';
import { WorkspaceSwitcher } from './WorkspaceSwitcher.js';

export interface HeaderUser {
  name: string;
  email: string;
  workspaces: { id: string; name: string; kind: string; role?: string }[];
  /** a confirmed operator (ADMIN_EMAILS): the console link shows */
  operator?: boolean;
}

export function AppHeader({ user, currentWorkspaceId = null }: { user: HeaderUser | null; currentWorkspaceId?: string | null }) {
  const workspace = user?.workspaces.find((w) => w.id === currentWorkspaceId) ?? user?.workspaces[0];
  return (
    <header className="app-header">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <NavLink to={user ? '/studio' : '/'} className="brand" aria-label="Flux Klein home">
        <span className="brand-mark" aria-hidden="true" />
        <span className="brand-text">Flux Klein</span>
      </NavLink>
      {user ? (
        <>
          <nav aria-label="Main" className="main-nav">
            <NavLink to="/studio">Studio</NavLink>
            <NavLink to="/queue">Queue</NavLink>
            <NavLink to="/library">Library</NavLink>
            <NavLink to="/boards">Boards</NavLink>
            <NavLink to="/billing">Billing</NavLink>
            {user.operator ? <NavLink to="/admin">Console</NavLink> : null}
          </nav>
          <div className="header-end">
            {workspace ? <CreditsBadge workspaceId={workspace.id} /> : null}
            {workspace ? <WorkspaceSwitcher workspaces={user.workspaces} currentId={workspace.id} /> : null}
            <NotificationBell />
            <NavLink to="/settings/account" className="user-name" title={`${user.email}: account settings`}>
              {user.name || user.email}
            </NavLink>
            <Form method="post" action="/sign-out">
              <button type="submit" className="button ghost small">
                Sign out
              </button>
            </Form>
          </div>
        </>
      ) : (
        <div className="header-end">
          <NavLink to="/sign-in" className="button ghost small">
            Sign in
          </NavLink>
          <NavLink to="/sign-up" className="button primary small">
            Create account
          </NavLink>
        </div>
      )}
    </header>
  );
}
