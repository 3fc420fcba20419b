import Stripe from 'stripe';
import type { Transaction } from 'kysely';
import type { z } from 'zod';
import type { Config } from '../config.js';
import type { DB } from '../../db/schema.js';
import { AppError } from '../shared/errors.js';
import { CheckoutInput } from '../shared/billing.js';
import { rooms } from '../shared/realtime.js';
import { balanceOf, lockLedger, publishBalance, recordCredit } from './credits.js';
import type { Actor, Deps } from './deps.js';
import { can } from '../shared/permissions.js';
import { requireRole, resolveWorkspace } from './workspaces.js';

/**
 * Billing with Stripe. We keep metadata only (customer id, subscription state, card brand and last
 * four digits, invoice ids and amounts). Webhooks are verified on the raw body and each event is
 * applied exactly once: its id is stored in the same transaction as its effect. Credits always go
 * through the ledger with a unique key, so a replayed event never grants twice.
 */

export function createStripe(config: Config): Stripe | null {
  if (!config.stripe) return null;
  const api = config.stripe.apiUrl ? new URL(config.stripe.apiUrl) : null;
  return new Stripe(config.stripe.secretKey, {
    maxNetworkRetries: 2,
    timeout: 20_000,
    telemetry: false,
    ...(api ? { host: api.hostname, port: api.port || (api.protocol === 'https:' ? 443 : 80), protocol: api.protocol.replace(':', '') as 'http' | 'https' } : {}),
  });
}

const notConfigured = () => new AppError('CONFLICT', { userMessage: 'Billing is not set up on this server. Credits come from the sign-up grant.' });

function requireStripe(deps: Deps): Stripe {
  if (!deps.stripe) throw notConfigured();
  return deps.stripe;
}

export function catalogView(config: Config) {
  return { configured: Boolean(config.stripe), currency: config.catalog.currency, packs: config.catalog.packs, plans: config.catalog.plans };
}

async function ensureCustomer(deps: Deps, stripe: Stripe, workspaceId: string, email: string): Promise<string> {
  const existing = await deps.db.selectFrom('billing_customer').select('stripe_customer_id').where('workspace_id', '=', workspaceId).executeTakeFirst();
  if (existing) return existing.stripe_customer_id;
  const customer = await stripe.customers.create({ email, metadata: { workspace_id: workspaceId } }, { idempotencyKey: `customer-${workspaceId}` });
  await deps.db.insertInto('billing_customer').values({ workspace_id: workspaceId, stripe_customer_id: customer.id }).onConflict((oc) => oc.column('workspace_id').doNothing()).execute();
  return (await deps.db.selectFrom('billing_customer').select('stripe_customer_id').where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow()).stripe_customer_id;
}

/** Starts Stripe Checkout for a pack (one-off) or a plan (subscription). Owners only. */
export async function createCheckout(deps: Deps, actor: Actor & { email: string }, raw: z.input<typeof CheckoutInput>): Promise<{ url: string }> {
  const input = CheckoutInput.parse(raw);
  const workspaceId = await resolveWorkspace(deps.db, actor, input.workspaceId, 'billing.manage');
  const stripe = requireStripe(deps);
  const pack = deps.config.catalog.packs.find((p) => p.id === input.itemId);
  const plan = deps.config.catalog.plans.find((p) => p.id === input.itemId);
  if (!pack && !plan) throw new AppError('INVALID_INPUT', { userMessage: 'That plan or credit pack is not offered. Pick one from the pricing page.' });
  const customer = await ensureCustomer(deps, stripe, workspaceId, actor.email);
  const base = deps.config.baseUrl;
  const session = await stripe.checkout.sessions.create({
    mode: pack ? 'payment' : 'subscription',
    customer,
    client_reference_id: workspaceId,
    line_items: [{ price: (pack ?? plan)!.priceId, quantity: 1 }],
    success_url: `${base}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${base}/pricing?canceled=1`,
    metadata: { workspace_id: workspaceId, item_id: input.itemId },
    ...(plan ? { subscription_data: { metadata: { workspace_id: workspaceId } } } : { payment_intent_data: { metadata: { workspace_id: workspaceId } } }),
  });
  if (!session.url) throw new AppError('INTERNAL');
  return { url: session.url };
}

/** A link into Stripe's customer portal (upgrade, cancel, card, invoices). Owners only. */
export async function createPortal(deps: Deps, actor: Actor, workspaceId: string | undefined): Promise<{ url: string }> {
  const ws = await resolveWorkspace(deps.db, actor, workspaceId, 'billing.manage');
  const stripe = requireStripe(deps);
  const customer = await deps.db.selectFrom('billing_customer').select('stripe_customer_id').where('workspace_id', '=', ws).executeTakeFirst();
  if (!customer) throw new AppError('CONFLICT', { userMessage: 'There is no billing account yet. Buy credits or a plan first.' });
  const portal = await stripe.billingPortal.sessions.create({ customer: customer.stripe_customer_id, return_url: `${deps.config.baseUrl}/billing` });
  return { url: portal.url };
}

/** What the billing page shows: plan, renewal, balance, card, invoices. Members see it; owners manage it. */
export async function billingStatus(deps: Deps, actor: Actor, workspaceId: string | undefined) {
  const ws = await resolveWorkspace(deps.db, actor, workspaceId, 'viewer');
  const role = await requireRole(deps.db, actor, ws, 'viewer');
  const [customer, sub, invoices, balance] = await Promise.all([
    deps.db.selectFrom('billing_customer').select(['card_brand', 'card_last4']).where('workspace_id', '=', ws).executeTakeFirst(),
    deps.db.selectFrom('subscription').selectAll().where('workspace_id', '=', ws).orderBy('updated_at', 'desc').executeTakeFirst(),
    deps.db.selectFrom('invoice').select(['id', 'status', 'amount_cents', 'currency', 'hosted_invoice_url', 'created_at']).where('workspace_id', '=', ws).orderBy('created_at', 'desc').limit(24).execute(),
    balanceOf(deps.db, ws),
  ]);
  const plan = sub ? deps.config.catalog.plans.find((p) => p.priceId === sub.price_id) : undefined;
  return {
    workspaceId: ws,
    configured: Boolean(deps.config.stripe),
    canManage: can(role, 'billing.manage'),
    balance,
    card: customer?.card_brand && customer.card_last4 ? { brand: customer.card_brand, last4: customer.card_last4 } : null,
    subscription: sub
      ? { status: sub.status, planLabel: plan?.label ?? sub.price_id, monthlyCredits: plan?.monthlyCredits ?? null, renewsAt: sub.current_period_end, cancelAtPeriodEnd: sub.cancel_at_period_end }
      : null,
    invoices: invoices.map((i) => ({ id: i.id, status: i.status, amountCents: i.amount_cents, currency: i.currency, url: i.hosted_invoice_url, createdAt: i.created_at })),
  };
}

// ---------------------------------------------------------------- webhooks

export class WebhookSignatureError extends Error {}

const idOf = (v: string | { id: string } | null | undefined) => (typeof v === 'string' ? v : (v?.id ?? null));

async function workspaceForCustomer(trx: Transaction<DB>, customer: string | null) {
  if (!customer) return null;
  return (await trx.selectFrom('billing_customer').select('workspace_id').where('stripe_customer_id', '=', customer).executeTakeFirst())?.workspace_id ?? null;
}

async function upsertSubscription(trx: Transaction<DB>, workspaceId: string, sub: Stripe.Subscription, eventAt: number) {
  const item = sub.items?.data?.[0];
  const periodEnd = (item as unknown as { current_period_end?: number })?.current_period_end ?? (sub as unknown as { current_period_end?: number }).current_period_end;
  const values = {
    status: sub.status,
    price_id: item?.price?.id ?? 'unknown',
    current_period_end: periodEnd ? new Date(periodEnd * 1000) : null,
    cancel_at_period_end: Boolean(sub.cancel_at_period_end),
    source_event_at: eventAt,
    updated_at: new Date(),
  };
  // Out-of-order delivery: a state from an older event never overwrites a newer one.
  await trx
    .insertInto('subscription')
    .values({ id: sub.id, workspace_id: workspaceId, ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values).where('subscription.source_event_at', '<=', eventAt))
    .execute();
}

type Outcome = { outcome: string; workspaceId: string | null };

async function applyEvent(deps: Deps, stripe: Stripe, trx: Transaction<DB>, event: Stripe.Event): Promise<Outcome> {
  const catalog = deps.config.catalog;
  switch (event.type) {
    case 'checkout.session.completed': {
      const s = event.data.object;
      const ws = (await workspaceForCustomer(trx, idOf(s.customer))) ?? null;
      if (!ws || (s.metadata?.workspace_id && s.metadata.workspace_id !== ws)) return { outcome: 'unknown-customer', workspaceId: null };
      if (s.mode === 'payment') {
        if (s.payment_status !== 'paid') return { outcome: 'unpaid', workspaceId: ws };
        const pack = catalog.packs.find((p) => p.id === s.metadata?.item_id);
        if (!pack) return { outcome: 'unknown-item', workspaceId: ws };
        await lockLedger(trx, ws);
        await recordCredit(trx, { workspaceId: ws, delta: pack.credits, reason: 'purchase', ref: s.id });
        const pi = idOf(s.payment_intent as string | { id: string } | null);
        if (pi) {
          await trx
            .insertInto('credit_purchase')
            .values({ payment_intent_id: pi, workspace_id: ws, checkout_session_id: s.id, credits: pack.credits, amount_cents: s.amount_total ?? pack.amountCents })
            .onConflict((oc) => oc.doNothing())
            .execute();
        }
        return { outcome: 'credits-granted', workspaceId: ws };
      }
      const subId = idOf(s.subscription as string | { id: string } | null);
      if (subId) await upsertSubscription(trx, ws, await stripe.subscriptions.retrieve(subId), event.created);
      return { outcome: 'subscription-started', workspaceId: ws };
    }
    case 'invoice.paid':
    case 'invoice.payment_failed': {
      const inv = event.data.object;
      const ws = await workspaceForCustomer(trx, idOf(inv.customer));
      if (!ws) return { outcome: 'unknown-customer', workspaceId: null };
      const paid = event.type === 'invoice.paid';
      // What the invoice is for: a failed attempt has paid nothing, so its amount is what is due.
      const amount = paid ? (inv.amount_paid ?? inv.amount_due ?? 0) : (inv.amount_due ?? inv.amount_paid ?? 0);
      // Paid is final for a Stripe invoice: a failure delivered after it belongs to an earlier attempt
      // (events arrive in any order), so it never overwrites `paid`.
      await trx
        .insertInto('invoice')
        .values({ id: inv.id!, workspace_id: ws, status: paid ? 'paid' : 'payment_failed', amount_cents: amount, currency: inv.currency, hosted_invoice_url: inv.hosted_invoice_url ?? null })
        .onConflict((oc) =>
          paid
            ? oc.column('id').doUpdateSet({ status: 'paid', amount_cents: amount, hosted_invoice_url: inv.hosted_invoice_url ?? null })
            : oc.column('id').doUpdateSet({ status: 'payment_failed', hosted_invoice_url: inv.hosted_invoice_url ?? null }).where('invoice.status', '<>', 'paid'),
        )
        .execute();
      if (event.type === 'invoice.payment_failed') return { outcome: 'payment-failed', workspaceId: ws };
      const priceId = (inv.lines?.data?.[0] as unknown as { pricing?: { price_details?: { price?: string } }; price?: { id?: string } })?.pricing?.price_details?.price ?? (inv.lines?.data?.[0] as unknown as { price?: { id?: string } })?.price?.id;
      const plan = catalog.plans.find((p) => p.priceId === priceId);
      if (!plan) return { outcome: 'invoice-recorded', workspaceId: ws };
      await lockLedger(trx, ws);
      await recordCredit(trx, { workspaceId: ws, delta: plan.monthlyCredits, reason: 'plan_grant', ref: inv.id! });
      return { outcome: 'plan-credits-granted', workspaceId: ws };
    }
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted': {
      const sub = event.data.object;
      const ws = await workspaceForCustomer(trx, idOf(sub.customer));
      if (!ws) return { outcome: 'unknown-customer', workspaceId: null };
      await upsertSubscription(trx, ws, event.type === 'customer.subscription.deleted' ? { ...sub, status: 'canceled' } : sub, event.created);
      return { outcome: 'subscription-updated', workspaceId: ws };
    }
    case 'payment_method.attached': {
      const pm = event.data.object;
      const ws = await workspaceForCustomer(trx, idOf(pm.customer));
      if (!ws || !pm.card) return { outcome: 'ignored', workspaceId: ws };
      await trx.updateTable('billing_customer').set({ card_brand: pm.card.brand, card_last4: pm.card.last4 }).where('workspace_id', '=', ws).execute();
      return { outcome: 'card-updated', workspaceId: ws };
    }
    case 'charge.refunded': {
      const charge = event.data.object;
      const ws = await workspaceForCustomer(trx, idOf(charge.customer));
      if (!ws) return { outcome: 'unknown-customer', workspaceId: null };
      const purchase = await trx.selectFrom('credit_purchase').selectAll().where('payment_intent_id', '=', idOf(charge.payment_intent) ?? '').executeTakeFirst();
      if (!purchase || purchase.amount_cents <= 0) return { outcome: 'refund-without-purchase', workspaceId: ws };
      await lockLedger(trx, ws);
      // amount_refunded is cumulative: each event takes back the credits for what it newly refunds,
      // measured against the highest cumulative amount already applied (kept on the purchase, locked
      // here). A redelivered or older event refunds nothing new; the ledger key names the cumulative amount.
      const locked = await trx.selectFrom('credit_purchase').select('refunded_cents').where('payment_intent_id', '=', purchase.payment_intent_id).forUpdate().executeTakeFirstOrThrow();
      const refunded = Math.min(charge.amount_refunded, purchase.amount_cents);
      if (refunded <= locked.refunded_cents) return { outcome: 'refund-already-applied', workspaceId: ws };
      const creditsFor = (cents: number) => Math.floor((purchase.credits * cents) / purchase.amount_cents);
      const due = creditsFor(refunded) - creditsFor(locked.refunded_cents);
      await trx.updateTable('credit_purchase').set({ refunded_cents: refunded }).where('payment_intent_id', '=', purchase.payment_intent_id).execute();
      // Take back what is refunded, but never more than is left: credits already spent stay spent.
      const claw = Math.min(due, Math.max(0, await balanceOf(trx, ws)));
      if (claw > 0) await recordCredit(trx, { workspaceId: ws, delta: -claw, reason: 'refund', ref: `${charge.id}:${refunded}` });
      return { outcome: claw < due ? `refund-partially-clawed-${claw}-of-${due}` : 'refund-clawed', workspaceId: ws };
    }
    default:
      return { outcome: 'ignored', workspaceId: null };
  }
}

/**
 * Verifies and applies one webhook delivery. Returns what happened; a duplicate delivery (same
 * event id) changes nothing. Throws WebhookSignatureError for a bad or missing signature.
 */
export async function handleStripeWebhook(deps: Deps, rawBody: Buffer, signature: string | undefined): Promise<{ duplicate: boolean; outcome: string }> {
  const stripe = deps.stripe;
  const secret = deps.config.stripe?.webhookSecret;
  if (!stripe || !secret) throw new WebhookSignatureError('Billing webhooks are not configured.');
  let event: Stripe.Event;
  try {
    if (!signature) throw new Error('missing signature');
    event = stripe.webhooks.constructEvent(rawBody, signature, secret);
  } catch (err) {
    throw new WebhookSignatureError(`Invalid signature: ${(err as Error).message}`);
  }
  const result = await deps.db.transaction().execute(async (trx) => {
    const claimed = await trx.insertInto('stripe_event').values({ id: event.id, type: event.type, outcome: 'processing' }).onConflict((oc) => oc.column('id').doNothing()).returning('id').executeTakeFirst();
    if (!claimed) return { duplicate: true, outcome: 'duplicate', workspaceId: null as string | null };
    const applied = await applyEvent(deps, stripe, trx, event);
    await trx.updateTable('stripe_event').set({ outcome: applied.outcome }).where('id', '=', event.id).execute();
    return { duplicate: false, ...applied };
  });
  if (result.outcome === 'unknown-customer') deps.log.warn('stripe event for an unknown customer', { eventId: event.id, type: event.type });
  if (result.workspaceId) {
    await publishBalance(deps, result.workspaceId);
    const members = await deps.db.selectFrom('membership').select('user_id').where('workspace_id', '=', result.workspaceId).execute();
    for (const m of members) deps.notifier.emit(rooms.user(m.user_id), 'billing:updated', { workspaceId: result.workspaceId });
  }
  return { duplicate: result.duplicate, outcome: result.outcome };
}

