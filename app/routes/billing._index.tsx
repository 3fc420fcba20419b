import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { FormError } from '../components/FormError.js';
import { Link, useLoaderData, useRevalidator } from '@remix-run/react';
import { useMutation } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { useSocketEvent } from '../lib/realtime.js';
import { requireUser } from '../lib/session.server.js';
import { pickWorkspace } from '../lib/workspace.server.js';
import { errorMessage, useTRPC } from '../lib/trpc.js';
import { DataTable } from '../components/DataTable.js';

export const meta: MetaFunction = () => [{ title: 'Billing — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { trpc, me } = await requireUser(request, context);
  return { status: await trpc.billing.status({ workspaceId: pickWorkspace(request, me.workspaces)?.id }) };
}

const money = (cents: number, currency: string) => new Intl.NumberFormat('en', { style: 'currency', currency }).format(cents / 100);

export default function Billing() {
  const { status } = useLoaderData<typeof loader>();
  const revalidator = useRevalidator();
  const trpc = useTRPC();
  const [error, setError] = useState<string | null>(null);
  const portal = useMutation(trpc.billing.portal.mutationOptions({ onSuccess: ({ url }) => window.location.assign(url), onError: (err) => setError(errorMessage(err)) }));
  const onUpdate = useCallback(() => revalidator.revalidate(), [revalidator]);
  useSocketEvent('billing:updated', onUpdate);
  useSocketEvent('credits:changed', onUpdate);
  return (
    <div className="billing narrow-page">
      <div className="section-head">
        <h1>Billing</h1>
        <div className="row gap">
          <Link to="/billing/ledger" className="button ghost small">
            Credit history
          </Link>
          <Link to="/pricing" className="button ghost small">
            Plans and credit packs
          </Link>
        </div>
      </div>
      {!status.configured ? <p className="panel notice">Billing is not set up on this server. Your credits come from the sign-up grant.</p> : null}
      <FormError message={error} />
      <section className="panel stack" aria-labelledby="plan-heading">
        <h2 id="plan-heading">Current plan</h2>
        <dl className="meta-list">
          <dt>Credits</dt>
          <dd data-testid="billing-balance">{status.balance.toLocaleString('en')}</dd>
          <dt>Plan</dt>
          <dd>{status.subscription ? `${status.subscription.planLabel} (${status.subscription.status})` : 'No plan: pay as you go'}</dd>
          {status.subscription?.renewsAt ? (
            <>
              <dt>{status.subscription.cancelAtPeriodEnd ? 'Ends on' : 'Renews on'}</dt>
              <dd>{new Date(status.subscription.renewsAt).toLocaleDateString('en')}</dd>
            </>
          ) : null}
          {status.card ? (
            <>
              <dt>Card</dt>
              <dd>
                {status.card.brand} ending in {status.card.last4}
              </dd>
            </>
          ) : null}
        </dl>
        {status.canManage && status.configured ? (
          <button type="button" className="button primary" onClick={() => portal.mutate({ workspaceId: status.workspaceId })} disabled={portal.isPending}>
            Manage subscription and card
          </button>
        ) : !status.canManage ? (
          <p className="muted small">Only the workspace owner can change billing. Members spend the workspace's credits.</p>
        ) : null}
      </section>
      <section className="panel stack" aria-labelledby="invoices-heading">
        <h2 id="invoices-heading">Invoices</h2>
        <DataTable
          label="Invoices"
          columns={['Date', 'Amount', 'Status', { hidden: 'Link' }]}
          rows={status.invoices}
          rowKey={(i) => i.id}
          empty={<p className="muted">No invoices yet.</p>}
          cells={(i) => (
            <>
              <td>{new Date(i.createdAt).toLocaleDateString('en')}</td>
              <td>{money(i.amountCents, i.currency)}</td>
              <td>{i.status === 'paid' ? 'Paid' : 'Payment failed'}</td>
              <td>{i.url ? <a href={i.url}>View invoice</a> : null}</td>
            </>
          )}
        />
      </section>
    </div>
  );
}
