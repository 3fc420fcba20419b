import { Form, Link, useLocation } from '@remix-run/react';
import { useEffect, useId, useRef, useState } from 'react';

export interface SwitcherWorkspace {
  id: string;
  name: string;
  kind: string;
  role?: string;
}

/**
 * The current workspace, shown in the header on every page, with a menu to switch to another one.
 * Switching posts to /workspaces/switch (works without JavaScript), which remembers the choice.
 */
export function WorkspaceSwitcher({ workspaces, currentId }: { workspaces: SwitcherWorkspace[]; currentId: string | null }) {
  const current = workspaces.find((w) => w.id === currentId) ?? workspaces[0];
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const ref = useRef<HTMLDivElement>(null);
  const location = useLocation();
  useEffect(() => setOpen(false), [location.pathname, currentId]);
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        ref.current?.querySelector<HTMLButtonElement>('.switcher-button')?.focus();
      }
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);
  if (!current) return null;
  // Boards belong to one workspace: after switching, a board page goes back to the board list.
  const redirectTo = location.pathname.startsWith('/boards/') || location.pathname.startsWith('/workspaces/') ? '/boards' : location.pathname + location.search;
  return (
    <div className="switcher" ref={ref}>
      <button type="button" className="switcher-button" aria-haspopup="true" aria-expanded={open} aria-controls={menuId} onClick={() => setOpen((o) => !o)}>
        <span className="visually-hidden">Current workspace: </span>
        <span className="switcher-name">{current.name}</span>
        <span aria-hidden="true">▾</span>
      </button>
      {open ? (
        <div className="switcher-menu" id={menuId}>
          <p className="small-heading">Switch workspace</p>
          <ul className="switcher-list">
            {workspaces.map((w) => (
              <li key={w.id}>
                <Form method="post" action="/workspaces/switch">
                  <input type="hidden" name="workspaceId" value={w.id} />
                  <input type="hidden" name="redirectTo" value={redirectTo} />
                  <button type="submit" className="switcher-item" aria-current={w.id === current.id ? 'true' : undefined}>
                    <span>{w.name}</span>
                    <span className="muted small">{w.kind === 'personal' ? 'Personal' : (w.role ?? 'Team')}</span>
                  </button>
                </Form>
              </li>
            ))}
          </ul>
          <div className="switcher-footer">
            <Link to="/workspaces">Manage workspaces</Link>
            {current.kind === 'team' ? <Link to={`/workspaces/${current.id}`}>Members and settings</Link> : null}
          </div>
        </div>
      ) : null}
    </div>
  );
}
