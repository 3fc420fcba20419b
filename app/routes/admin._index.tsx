import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { DataTable } from '../components/DataTable.js';
import { requireUser } from '../lib/session.server.js';

export const meta: MetaFunction = () => [{ title: 'Overview — Operator console — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { trpc } = await requireUser(request, context);
  try {
    return await trpc.admin.overview();
  } catch {
    throw new Response('Not found', { status: 404 });
  }
}

const when = (d: Date | string | null) => (d ? new Date(d).toLocaleString('en') : '—');

export default function AdminOverview() {
  const o = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Operator console</h1>
      <div className="admin-stats">
        <p className="panel admin-stat">
          <strong>{o.openReports}</strong>
          <Link to="/admin/reports">{o.openReports === 1 ? 'open report' : 'open reports'}</Link>
        </p>
        <p className="panel admin-stat">
          <strong>{o.openAppeals}</strong>
          <Link to="/admin/reports#appeals">{o.openAppeals === 1 ? 'open appeal' : 'open appeals'}</Link>
        </p>
        <p className="panel admin-stat">
          <strong>{o.failedRecently}</strong>
          <Link to="/admin/jobs?status=failed">{o.failedRecently === 1 ? 'failed job' : 'failed jobs'} in {o.recentHours} h</Link>
        </p>
        <p className="panel admin-stat">
          <strong>{o.suspended + o.banned}</strong>
          <Link to="/admin/users">
            accounts suspended ({o.suspended}) or banned ({o.banned})
          </Link>
        </p>
      </div>
      <section className="panel stack" aria-labelledby="providers-heading">
        <h2 id="providers-heading">Provider health</h2>
        <p className="muted small">
          From what the jobs themselves saw in the last {o.healthMinutes} minutes (failing: more failures than successes, at least 3). Circuit: the provider pool's breaker in this process (open: skipped
          for a while after repeated failures, half-open: one job is trying it again).
        </p>
        <DataTable
          label="Provider health"
          columns={['Provider', 'State', 'Circuit', 'Succeeded', 'Failed', 'Running', 'Queued', 'Last success', 'Last failure']}
          rows={o.providers}
          rowKey={(p) => p.provider}
          cells={(p) => (
            <>
              <th scope="row">
                <Link to={`/admin/jobs?provider=${encodeURIComponent(p.provider)}`}>{p.provider}</Link>
                {p.configured ? null : <span className="muted small"> (not configured)</span>}
              </th>
              <td>
                <span className={`pill health-${p.state}`}>{p.state}</span>
              </td>
              <td>
                {p.circuit ? (
                  <div title={p.circuit.lastError ?? undefined}>
                    <span className={`pill ${p.circuit.state === 'closed' ? 'health-ok' : 'health-failing'}`}>{p.circuit.state}</span>
                    {p.circuit.retryAt && p.circuit.state === 'open' ? <span className="muted small"> until {when(p.circuit.retryAt)}</span> : null}
                    {p.circuit.lastError ? <div className="muted small">{p.circuit.lastError}</div> : null}
                  </div>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td>{p.succeeded}</td>
              <td>{p.failed}</td>
              <td>{p.running}</td>
              <td>{p.queued}</td>
              <td>{when(p.lastSuccessAt)}</td>
              <td>{when(p.lastFailureAt)}</td>
            </>
          )}
        />
      </section>
      <section className="panel stack" aria-labelledby="queues-heading">
        <h2 id="queues-heading">Queue depth</h2>
        <DataTable
          label="Queue depth"
          columns={['Queue', 'Waiting', 'Running']}
          rows={o.queues}
          rowKey={(q) => q.queue}
          empty={<p className="muted">No jobs are waiting or running.</p>}
          cells={(q) => (
            <>
              <th scope="row">{q.queue}</th>
              <td>{q.waiting}</td>
              <td>{q.active}</td>
            </>
          )}
        />
      </section>
    </>
  );
}
