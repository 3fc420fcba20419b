import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData, useRevalidator, useSubmit } from '@remix-run/react';
import { useState } from 'react';
import { JobListInput } from '../lib/page-schemas.server.js';
import { FormError } from '../components/FormError.js';
import { useToast } from '../components/Toaster.js';
import { requireUser } from '../lib/session.server.js';
import { errorMessage, useTRPCClient } from '../lib/trpc.js';
import { DataTable } from '../components/DataTable.js';

export const meta: MetaFunction = () => [{ title: 'Jobs — Operator console — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { trpc } = await requireUser(request, context);
  const sp = new URL(request.url).searchParams;
  const parsed = JobListInput.safeParse({ status: sp.get('status') || undefined, provider: sp.get('provider') || undefined });
  const filters = parsed.success ? parsed.data : {};
  try {
    return { filters, data: await trpc.admin.jobs(filters) };
  } catch {
    throw new Response('Not found', { status: 404 });
  }
}

const STATUSES = ['queued', 'running', 'failed', 'succeeded', 'canceled'] as const;

export default function AdminJobs() {
  const { filters, data } = useLoaderData<typeof loader>();
  const client = useTRPCClient();
  const revalidator = useRevalidator();
  const toast = useToast();
  const submit = useSubmit();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const act = async (id: string, what: 'retry' | 'cancel') => {
    setBusy(id);
    setError(null);
    try {
      if (what === 'retry') {
        await client.admin.retryJob.mutate({ generationId: id });
        toast({ tone: 'success', title: 'Started again', body: 'A new job with the same settings was queued for its author.' });
      } else {
        await client.admin.cancelJob.mutate({ generationId: id });
        toast({ tone: 'success', title: 'Cancelled', body: 'The author’s credits were released.' });
      }
      revalidator.revalidate();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };
  const providers = data.byProvider.map((p) => p.provider);
  return (
    <>
      <h1>Jobs</h1>
      <section className="panel stack" aria-labelledby="by-provider">
        <h2 id="by-provider">By provider</h2>
        <p className="muted small">Queued and running now; the rest started in the last {data.recentHours} hours.</p>
        <DataTable
          label="Jobs by provider"
          columns={['Provider', ...STATUSES]}
          rows={data.byProvider}
          rowKey={(p) => p.provider}
          empty={<p className="muted">No jobs.</p>}
          cells={(p) => (
            <>
              <th scope="row">{p.provider}</th>
              {STATUSES.map((s) => (
                <td key={s}>
                  {p[s] > 0 ? (
                    <Link to={`?status=${s}&provider=${encodeURIComponent(p.provider)}`} aria-label={`${p[s]} ${s} on ${p.provider}`}>
                      {p[s]}
                    </Link>
                  ) : (
                    0
                  )}
                </td>
              ))}
            </>
          )}
        />
      </section>
      <section className="panel stack" aria-labelledby="reasons">
        <h2 id="reasons">Why jobs failed ({data.recentHours} h)</h2>
        <DataTable
          label="Why jobs failed"
          columns={['Count', 'Provider', 'Reason', 'Last']}
          rows={data.failureReasons}
          rowKey={(r, i) => i}
          empty={<p className="muted">No failures.</p>}
          cells={(r) => (
            <>
              <td>{r.count}</td>
              <td>{r.provider}</td>
              <td>
                {r.message ?? 'no message'} {r.code ? <code className="small muted">{r.code}</code> : null}
              </td>
              <td>{r.lastAt ? new Date(r.lastAt).toLocaleString('en') : '—'}</td>
            </>
          )}
        />
      </section>
      <section className="stack" aria-labelledby="job-list">
        <div className="section-head">
          <h2 id="job-list">Latest jobs</h2>
          <Form method="get" className="row gap-s admin-filters" onChange={(e) => submit(e.currentTarget)}>
            <label htmlFor="job-status" className="visually-hidden">
              Status
            </label>
            <select id="job-status" name="status" defaultValue={filters.status ?? ''}>
              <option value="">Any status</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
            <label htmlFor="job-provider" className="visually-hidden">
              Provider
            </label>
            <select id="job-provider" name="provider" defaultValue={filters.provider ?? ''}>
              <option value="">Any provider</option>
              {[...new Set([...providers, ...(filters.provider ? [filters.provider] : [])])].map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
            <noscript>
              <button type="submit" className="button ghost small">
                Show
              </button>
            </noscript>
          </Form>
        </div>
        <FormError message={error} />
        <DataTable
          label="Latest jobs"
          columns={['Created', 'Status', 'Provider', 'Author', 'Prompt', { hidden: 'Actions' }]}
          rows={data.jobs}
          rowKey={(j) => j.id}
          empty={<p className="panel empty-state muted">No jobs match.</p>}
          wrap="panel table-wrap"
          cells={(j) => (
            <>
              <td>{new Date(j.createdAt).toLocaleString('en')}</td>
              <td>
                <span className={`pill pill-${j.status}`}>{j.status}</span>
                {j.error ? <div className="small danger">{j.error}</div> : null}
              </td>
              <td>{j.provider}</td>
              <td>{j.email ?? 'deleted account'}</td>
              <td className="small">{j.prompt}</td>
              <td>
                {j.status === 'queued' || j.status === 'running' ? (
                  <button type="button" className="button danger-ghost small" disabled={busy === j.id} onClick={() => act(j.id, 'cancel')} aria-label={`Cancel job: ${j.prompt}`}>
                    Cancel
                  </button>
                ) : j.status === 'failed' || j.status === 'canceled' ? (
                  <button type="button" className="button ghost small" disabled={busy === j.id} onClick={() => act(j.id, 'retry')} aria-label={`Run again: ${j.prompt}`}>
                    Run again
                  </button>
                ) : null}
              </td>
            </>
          )}
        />
      </section>
    </>
  );
}
