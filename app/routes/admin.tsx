import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { NavLink, Outlet, useLoaderData } from '@remix-run/react';
import { requireUser } from '../lib/session.server.js';

export const meta: MetaFunction = () => [{ title: 'Operator console — Flux Klein' }];

/**
 * The operator console's frame: navigation to its pages. Only confirmed operators (ADMIN_EMAILS,
 * server/services/operators.ts) get it; for anyone else /admin does not exist (404). Each page's
 * data is checked again by its own procedure.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { trpc } = await requireUser(request, context);
  if (!(await trpc.admin.isOperator())) throw new Response('Not found', { status: 404 });
  const overview = await trpc.admin.overview();
  return { openReports: overview.openReports, openAppeals: overview.openAppeals };
}

const LINKS = [
  { to: '/admin', label: 'Overview', end: true },
  { to: '/admin/reports', label: 'Reports and appeals', count: 'reports' as const },
  { to: '/admin/moderation', label: 'Moderation queue' },
  { to: '/admin/users', label: 'Users' },
  { to: '/admin/jobs', label: 'Jobs' },
  { to: '/admin/privacy-requests', label: 'Privacy requests' },
];

export default function AdminLayout() {
  const { openReports, openAppeals } = useLoaderData<typeof loader>();
  const waiting = openReports + openAppeals;
  return (
    <div className="admin-layout">
      <nav className="admin-nav panel" aria-label="Operator console">
        {LINKS.map((l) => (
          <NavLink key={l.to} to={l.to} end={l.end} prefetch="intent">
            <span>{l.label}</span>
            {l.count && waiting > 0 ? (
              <span className="pill" aria-label={`${waiting} waiting`}>
                {waiting}
              </span>
            ) : null}
          </NavLink>
        ))}
      </nav>
      <div className="admin-main">
        <Outlet />
      </div>
    </div>
  );
}
