import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData, useRevalidator, useSearchParams } from '@remix-run/react';
import { useCallback } from 'react';
import { filterFromSearch, KIND_LABEL, LEDGER_KINDS, REASON_LABEL, type LedgerRowView } from '../../server/shared/ledger-words.js';
import { LedgerFilterInput } from '../lib/page-schemas.server.js';
import { FormError } from '../components/FormError.js';
import { useSocketEvent } from '../lib/realtime.js';
import { requireUser } from '../lib/session.server.js';
import { pickWorkspace } from '../lib/workspace.server.js';
import { DataTable } from '../components/DataTable.js';

export const meta: MetaFunction = () => [{ title: 'Credit history — Flux Klein' }];

/** The workspace's credit ledger: every entry with its running balance, filtered by kind and day (search params, so a filter is a link). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { trpc, me } = await requireUser(request, context);
  const workspace = pickWorkspace(request, me.workspaces);
  const url = new URL(request.url);
  const parsed = LedgerFilterInput.safeParse({ ...filterFromSearch(url.searchParams), workspaceId: workspace?.id });
  const filter = parsed.success ? parsed.data : { workspaceId: workspace?.id };
  const ledger = await trpc.credits.ledger({ filter, cursor: parsed.success ? url.searchParams.get('cursor') : null, limit: 50 });
  return { ledger, workspaceName: workspace?.name ?? 'Personal workspace', filterError: parsed.success ? null : (parsed.error.issues[0]?.message ?? 'Check the filter.') };
}

const signed = (n: number) => (n > 0 ? `+${n.toLocaleString('en')}` : n < 0 ? `−${Math.abs(n).toLocaleString('en')}` : '0');

function Subject({ row }: { row: LedgerRowView }) {
  const s = row.subject;
  if (!s) return <span className="muted">—</span>;
  if (s.type === 'generation') {
    const text = s.prompt ? (s.prompt.length > 60 ? `${s.prompt.slice(0, 57)}…` : s.prompt) : 'A deleted generation';
    return s.assetId ? <Link to={`/library/${s.assetId}`}>{text}</Link> : <span>{text}</span>;
  }
  const label = { invoice: 'Invoice', checkout: 'Checkout', charge: 'Charge', transfer: 'Transfer', account: 'Account', workspace: 'Workspace' }[s.type];
  return (
    <span>
      {label} <code className="small">{s.id}</code>
    </span>
  );
}

export default function Ledger() {
  const { ledger, workspaceName, filterError } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const revalidator = useRevalidator();
  const onChange = useCallback(() => revalidator.revalidate(), [revalidator]);
  useSocketEvent('credits:changed', onChange);
  const kinds = new Set(params.getAll('kind'));
  const filtered = kinds.size > 0 || Boolean(params.get('from')) || Boolean(params.get('to'));
  // The filter without empty fields (the form sends them) or the page position.
  const csv = new URLSearchParams([...params].filter(([k, v]) => v !== '' && k !== 'cursor'));
  const older = new URLSearchParams(params);
  if (ledger.nextCursor) older.set('cursor', ledger.nextCursor);

  return (
    <div className="ledger-page stack">
      <div className="section-head">
        <h1>Credit history</h1>
        <div className="row gap">
          <Link to="/billing" className="button ghost small">
            Billing
          </Link>
          <a href={`/billing/ledger.csv${csv.size ? `?${csv}` : ''}`} className="button small" download>
            Download CSV
          </a>
        </div>
      </div>
      <p className="muted">
        {workspaceName}: <strong data-testid="ledger-balance">{ledger.balance.toLocaleString('en')}</strong> credit{ledger.balance === 1 ? '' : 's'} now. Every
        change is listed with the balance right after it; a generation reserves its cost when it starts, keeps it when it is done, and returns it when it fails or is
        canceled.
      </p>

      <Form method="get" className="panel stack ledger-filter" aria-labelledby="filter-heading">
        <h2 id="filter-heading">Filter</h2>
        <fieldset className="field">
          <legend>Kinds</legend>
          <div className="chips">
            {LEDGER_KINDS.map((k) => (
              <label key={k} className={`chip ${kinds.has(k) ? 'selected' : ''}`}>
                <input type="checkbox" name="kind" value={k} defaultChecked={kinds.has(k)} />
                {KIND_LABEL[k]}
              </label>
            ))}
          </div>
        </fieldset>
        <div className="row gap">
          <div className="field">
            <label htmlFor="ledger-from">From</label>
            <input id="ledger-from" type="date" name="from" defaultValue={params.get('from') ?? ''} />
          </div>
          <div className="field">
            <label htmlFor="ledger-to">To</label>
            <input id="ledger-to" type="date" name="to" defaultValue={params.get('to') ?? ''} />
          </div>
        </div>
        <FormError message={filterError} />
        <div className="row gap">
          <button type="submit" className="button primary small">
            Apply filter
          </button>
          {filtered ? (
            <Link to="/billing/ledger" className="button ghost small">
              Show everything
            </Link>
          ) : null}
        </div>
      </Form>

      {ledger.team ? (
        <section className="panel stack" aria-labelledby="spenders-heading">
          <h2 id="spenders-heading">Who spent what</h2>
          <DataTable
            label="Who spent what"
            columns={['Member', 'Generations', 'Credits spent']}
            rows={ledger.spenders}
            rowKey={(s) => s.userId ?? 'deleted'}
            empty={<p className="muted">No generations in this period.</p>}
            cells={(s) => (
              <>
                <td>{s.name}</td>
                <td>{s.generations.toLocaleString('en')}</td>
                <td>{s.spent.toLocaleString('en')}</td>
              </>
            )}
          />
        </section>
      ) : null}

      <section className="panel stack" aria-labelledby="entries-heading">
        <h2 id="entries-heading">Entries</h2>
        <DataTable
          label="Credit entries"
          columns={['Time', 'Entry', 'Credits', 'Balance', 'By', 'For']}
          rows={ledger.items}
          rowKey={(r) => r.id}
          empty={<p className="muted">{filtered ? 'No entries match this filter.' : 'No credit changes yet.'}</p>}
          describedBy="entries-heading"
          cells={(r) => (
            <>
              <td>
                <time dateTime={new Date(r.createdAt).toISOString()}>{new Date(r.createdAt).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' })} UTC</time>
              </td>
              <td>{REASON_LABEL[r.reason] ?? r.reason}</td>
              <td className={r.delta < 0 ? 'danger' : undefined}>{signed(r.delta)}</td>
              <td>{r.balance.toLocaleString('en')}</td>
              <td>{r.user?.name ?? <span className="muted">—</span>}</td>
              <td>
                <Subject row={r} />
              </td>
            </>
          )}
        />
        {ledger.nextCursor ? (
          <Link to={`?${older}`} className="button ghost small">
            Older entries
          </Link>
        ) : null}
        {params.has('cursor') ? (
          <Link to={`?${(() => { const p = new URLSearchParams(params); p.delete('cursor'); return p; })()}`} className="button ghost small">
            Back to the newest
          </Link>
        ) : null}
      </section>
    </div>
  );
}
