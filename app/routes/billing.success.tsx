import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { useCallback, useState } from 'react';
import { useSocketEvent } from '../lib/realtime.js';
import { requireUser } from '../lib/session.server.js';
import { pickWorkspace } from '../lib/workspace.server.js';

export const meta: MetaFunction = () => [{ title: 'Payment received — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { trpc, me } = await requireUser(request, context);
  const status = await trpc.billing.status({ workspaceId: pickWorkspace(request, me.workspaces)?.id });
  return { workspaceId: status.workspaceId, balance: status.balance };
}

/**
 * After Checkout. The redirect alone proves nothing: credits show once Stripe's webhook has been
 * processed, which this page hears over the socket.
 */
export default function BillingSuccess() {
  const { workspaceId, balance: initial } = useLoaderData<typeof loader>();
  const [balance, setBalance] = useState(initial);
  const [confirmed, setConfirmed] = useState(false);
  const onCredits = useCallback(
    (e: { workspaceId: string; balance: number }) => {
      if (e.workspaceId !== workspaceId) return;
      setBalance(e.balance);
      setConfirmed(true);
    },
    [workspaceId],
  );
  useSocketEvent('credits:changed', onCredits);
  useSocketEvent(
    'billing:updated',
    useCallback((e: { workspaceId: string }) => e.workspaceId === workspaceId && setConfirmed(true), [workspaceId]),
  );
  return (
    <div className="narrow-page">
      <div className="panel stack center" role="status" aria-live="polite">
        <h1>{confirmed ? 'Payment confirmed' : 'Thanks! Confirming your payment…'}</h1>
        <p>
          Your workspace has <strong data-testid="success-balance">{balance.toLocaleString('en')}</strong> credits.
        </p>
        {!confirmed ? <p className="muted small">This updates by itself as soon as Stripe confirms the payment, usually within seconds.</p> : null}
        <div className="row gap center-row">
          <Link to="/studio" className="button primary">
            Back to the studio
          </Link>
          <Link to="/billing" className="button ghost">
            Billing
          </Link>
        </div>
      </div>
    </div>
  );
}
