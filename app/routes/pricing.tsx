import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { FormError } from '../components/FormError.js';
import { Link, useLoaderData, useSearchParams } from '@remix-run/react';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage, useTRPC } from '../lib/trpc.js';
import { pickWorkspace } from '../lib/workspace.server.js';

export const meta: MetaFunction = () => [{ title: 'Pricing — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const trpc = await context.trpc();
  const [catalog, me] = await Promise.all([trpc.billing.catalog(), trpc.me.get()]);
  return { catalog, signedIn: Boolean(me), workspaceId: me ? pickWorkspace(request, me.workspaces)?.id : undefined };
}

const price = (cents: number, currency: string) => new Intl.NumberFormat('en', { style: 'currency', currency }).format(cents / 100);

export default function Pricing() {
  const { catalog, signedIn, workspaceId } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const trpc = useTRPC();
  const [error, setError] = useState<string | null>(null);
  const checkout = useMutation(
    trpc.billing.checkout.mutationOptions({
      onSuccess: ({ url }) => window.location.assign(url),
      onError: (err) => setError(errorMessage(err)),
    }),
  );
  const buy = (itemId: string) => {
    setError(null);
    checkout.mutate({ workspaceId, itemId });
  };
  const action = (itemId: string, label: string) =>
    !catalog.configured ? null : signedIn ? (
      <button type="button" className="button primary wide" disabled={checkout.isPending} onClick={() => buy(itemId)}>
        {label}
      </button>
    ) : (
      <Link className="button primary wide" to={`/sign-up?next=/pricing`}>
        Create an account
      </Link>
    );
  return (
    <div className="pricing">
      <div className="section-head">
        <h1>Pricing</h1>
        {signedIn ? <Link to="/billing">Your billing</Link> : null}
      </div>
      <p className="lead">Every account starts with free credits. Images cost 1–2 credits each and videos 1 credit per second on the built-in models.</p>
      {!catalog.configured ? (
        <p className="panel notice" role="status">
          Billing is not set up on this server, so nothing can be bought here. Your credits come from the sign-up grant.
        </p>
      ) : null}
      {params.get('canceled') ? <p className="notice panel">Checkout was canceled. Nothing was charged.</p> : null}
      <FormError message={error} />
      <h2>Plans</h2>
      <ul className="price-grid" aria-label="Plans">
        {catalog.plans.map((p) => (
          <li key={p.id} className="panel price-card">
            <h3>{p.label}</h3>
            <div className="price">
              {price(p.amountCents, catalog.currency)} <span className="muted small">/ month</span>
            </div>
            <p>{p.monthlyCredits.toLocaleString('en')} credits every month</p>
            {action(p.id, `Subscribe to ${p.label}`)}
          </li>
        ))}
      </ul>
      <h2>Credit packs</h2>
      <ul className="price-grid" aria-label="Credit packs">
        {catalog.packs.map((p) => (
          <li key={p.id} className="panel price-card">
            <h3>{p.label}</h3>
            <div className="price">{price(p.amountCents, catalog.currency)}</div>
            <p>One-off, never expire</p>
            {action(p.id, `Buy ${p.label}`)}
          </li>
        ))}
      </ul>
      <p className="muted small">Payments are handled by Stripe. We never see or store your card number; we keep the card brand and last four digits to show you which card is on file.</p>
    </div>
  );
}
