import { sql } from 'kysely';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFakeStripe, type FakeStripe } from '../testing/fake-stripe.js';
import { connectSocket, signUp, startTestServer, trpcClient, trpcErrorCode, waitForEvent, type TestServer, type TestUser } from '../testing/harness.js';
import { balanceOf } from './credits.js';

let stripe: FakeStripe;
let server: TestServer;
beforeAll(async () => {
  stripe = await startFakeStripe();
  server = await startTestServer(inject('pgAdminUrl'), {
    env: { STRIPE_SECRET_KEY: 'sk_test_fake', STRIPE_WEBHOOK_SECRET: stripe.webhookSecret, STRIPE_API_URL: stripe.url },
  });
  stripe.webhookUrl = `${server.url}/api/stripe/webhook`;
});
afterAll(async () => {
  await server?.stop();
  await stripe?.close();
});

async function customerFor(user: TestUser) {
  const api = trpcClient(server, user);
  const ws = (await api.me.get.query())!.workspaces[0]!.id;
  const { url } = await api.billing.checkout.mutate({ itemId: 'pack-100' });
  const customer = (await server.deps.db.selectFrom('billing_customer').select('stripe_customer_id').where('workspace_id', '=', ws).executeTakeFirstOrThrow()).stripe_customer_id;
  return { api, ws, customer, checkoutUrl: url };
}
const count = async (table: string) => (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(server.deps.db)).rows[0]!.n;

describe('checkout and webhooks', () => {
  it('buys a pack: checkout → paid → credits granted once, pushed live; a replay grants nothing', async () => {
    const user = await signUp(server);
    const socket = await connectSocket(server, user);
    const { ws, checkoutUrl } = await customerFor(user);
    expect(checkoutUrl).toMatch(/\/pay\/cs_test_/);
    const session = stripe.requests.filter((r) => r.path === '/v1/checkout/sessions').at(-1)!.form;
    expect(session).toMatchObject({ mode: 'payment', 'line_items[0][price]': 'price_pack100', 'metadata[workspace_id]': ws });
    // The customer pays on the (fake) hosted page.
    const paid = await fetch(checkoutUrl, { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toMatch(/\/billing\/success\?session_id=cs_test_/);
    await waitForEvent(socket, 'credits:changed', (e) => e.workspaceId === ws && e.balance === 200);
    expect(await balanceOf(server.deps.db, ws)).toBe(200);
    // Stripe delivers the same event again.
    const events = await server.deps.db.selectFrom('stripe_event').selectAll().orderBy('processed_at', 'desc').limit(1).execute();
    const sid = paid.headers.get('location')!.split('session_id=')[1]!;
    const replay = stripe.event('checkout.session.completed', { id: sid, object: 'checkout.session', mode: 'payment', payment_status: 'paid', customer: (await customerFor(user)).customer, metadata: { workspace_id: ws, item_id: 'pack-100' }, amount_total: 500, payment_intent: 'pi_replay' });
    (replay as { id: string }).id = events[0]!.id;
    const again = await stripe.deliver(replay);
    expect(again).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(await balanceOf(server.deps.db, ws)).toBe(200);
    socket.close();
  });

  it('refuses a webhook with a wrong or missing signature and stores nothing', async () => {
    const before = [await count('stripe_event'), await count('credit_ledger')];
    const payload = JSON.stringify(stripe.event('checkout.session.completed', { id: 'cs_test_forged', mode: 'payment', payment_status: 'paid', customer: 'cus_x', metadata: { item_id: 'pack-500' } }));
    const bad = Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_wrong' });
    for (const headers of [{ 'stripe-signature': bad }, {}] as Record<string, string>[]) {
      const res = await fetch(`${server.url}/api/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_SIGNATURE');
    }
    expect([await count('stripe_event'), await count('credit_ledger')]).toEqual(before);
  });

  it('acknowledges an event for an unknown customer and grants nothing', async () => {
    const before = await count('credit_ledger');
    const res = await stripe.deliver(stripe.event('checkout.session.completed', { id: 'cs_test_nobody', object: 'checkout.session', mode: 'payment', payment_status: 'paid', customer: 'cus_unknown', metadata: { item_id: 'pack-500' } }));
    expect(res).toMatchObject({ status: 200, body: { outcome: 'unknown-customer' } });
    expect(await count('credit_ledger')).toBe(before);
  });

  it('subscribes to a plan: monthly credits per paid invoice, once each; status shown on the billing page', async () => {
    const user = await signUp(server);
    const api = trpcClient(server, user);
    const ws = (await api.me.get.query())!.workspaces[0]!.id;
    const { url } = await api.billing.checkout.mutate({ itemId: 'creator' });
    const paid = await fetch(url, { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(303);
    expect(await balanceOf(server.deps.db, ws)).toBe(1100);
    const status = await api.billing.status.query({});
    expect(status).toMatchObject({ configured: true, canManage: true, balance: 1100, subscription: { status: 'active', planLabel: 'Creator', monthlyCredits: 1000 } });
    expect(status.subscription!.renewsAt).toBeInstanceOf(Date);
    expect(status.invoices).toHaveLength(1);
    // Next month's invoice grants again; the same invoice delivered twice (new event ids) grants once.
    const customer = (await server.deps.db.selectFrom('billing_customer').select('stripe_customer_id').where('workspace_id', '=', ws).executeTakeFirstOrThrow()).stripe_customer_id;
    const invoice = { id: 'in_month2', object: 'invoice', customer, amount_paid: 1500, currency: 'usd', hosted_invoice_url: 'https://invoice.example/2', lines: { data: [{ price: { id: 'price_creator' } }] } };
    await stripe.deliver(stripe.event('invoice.paid', invoice));
    await stripe.deliver(stripe.event('invoice.paid', invoice));
    expect(await balanceOf(server.deps.db, ws)).toBe(2100);
    // A failed payment is recorded, nothing granted.
    await stripe.deliver(stripe.event('invoice.payment_failed', { ...invoice, id: 'in_month3', amount_paid: 0, amount_due: 1500 }));
    expect(await balanceOf(server.deps.db, ws)).toBe(2100);
    expect((await api.billing.status.query({})).invoices.map((i) => i.status)).toContain('payment_failed');
  });

  it('applies subscription updates in event order, whatever the delivery order', async () => {
    const user = await signUp(server);
    const api = trpcClient(server, user);
    const ws = (await api.me.get.query())!.workspaces[0]!.id;
    const { url } = await api.billing.checkout.mutate({ itemId: 'studio' });
    await fetch(url, { method: 'POST', redirect: 'manual' });
    const row = await server.deps.db.selectFrom('subscription').selectAll().where('workspace_id', '=', ws).executeTakeFirstOrThrow();
    const sub = { ...stripe.subscriptions.get(row.id)! };
    const t = Math.floor(Date.now() / 1000) + 100;
    // The newer "canceled at period end" arrives before an older "active" update.
    await stripe.deliver(stripe.event('customer.subscription.updated', { ...sub, cancel_at_period_end: true, status: 'active' }, t + 10));
    await stripe.deliver(stripe.event('customer.subscription.updated', { ...sub, cancel_at_period_end: false, status: 'past_due' }, t));
    expect((await api.billing.status.query({})).subscription).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
    await stripe.deliver(stripe.event('customer.subscription.deleted', { ...sub }, t + 20));
    expect((await api.billing.status.query({})).subscription).toMatchObject({ status: 'canceled' });
  });

  it('claws back refunded credits, but never more than is left unspent', async () => {
    const user = await signUp(server);
    const api = trpcClient(server, user);
    const ws = (await api.me.get.query())!.workspaces[0]!.id;
    const { url } = await api.billing.checkout.mutate({ itemId: 'pack-100' });
    await fetch(url, { method: 'POST', redirect: 'manual' });
    expect(await balanceOf(server.deps.db, ws)).toBe(200);
    const purchase = await server.deps.db.selectFrom('credit_purchase').selectAll().where('workspace_id', '=', ws).executeTakeFirstOrThrow();
    const customer = (await server.deps.db.selectFrom('billing_customer').select('stripe_customer_id').where('workspace_id', '=', ws).executeTakeFirstOrThrow()).stripe_customer_id;
    // Spend 150 of the 200 first (an adjustment stands in for generations).
    await server.deps.db.insertInto('credit_ledger').values({ workspace_id: ws, delta: -150, reason: 'adjustment', ref: `spend-${ws}` }).execute();
    const refund = { id: 'ch_refund1', object: 'charge', customer, payment_intent: purchase.payment_intent_id, amount_refunded: 500 };
    const res = await stripe.deliver(stripe.event('charge.refunded', refund));
    expect(res.body).toMatchObject({ outcome: 'refund-partially-clawed-50-of-100' });
    expect(await balanceOf(server.deps.db, ws)).toBe(0);
    await stripe.deliver(stripe.event('charge.refunded', refund));
    expect(await balanceOf(server.deps.db, ws)).toBe(0);
  });

  it('claws back each partial refund of the same charge in proportion to what it newly refunds, once per refund', async () => {
    const user = await signUp(server);
    const api = trpcClient(server, user);
    const ws = (await api.me.get.query())!.workspaces[0]!.id;
    const { url } = await api.billing.checkout.mutate({ itemId: 'pack-100' });
    await fetch(url, { method: 'POST', redirect: 'manual' });
    expect(await balanceOf(server.deps.db, ws)).toBe(200);
    const purchase = await server.deps.db.selectFrom('credit_purchase').selectAll().where('workspace_id', '=', ws).executeTakeFirstOrThrow();
    const customer = (await server.deps.db.selectFrom('billing_customer').select('stripe_customer_id').where('workspace_id', '=', ws).executeTakeFirstOrThrow()).stripe_customer_id;
    const charge = { id: `ch_partial_${ws.slice(0, 8)}`, object: 'charge', customer, payment_intent: purchase.payment_intent_id };
    // Half of the 500 cents refunded: half of the pack's 100 credits go.
    const first = stripe.event('charge.refunded', { ...charge, amount_refunded: 250 });
    expect((await stripe.deliver(first)).body).toMatchObject({ outcome: 'refund-clawed' });
    expect(await balanceOf(server.deps.db, ws)).toBe(150);
    // The same event again, and a new event carrying the same cumulative amount: nothing more.
    expect((await stripe.deliver(first)).body).toMatchObject({ duplicate: true });
    await stripe.deliver(stripe.event('charge.refunded', { ...charge, amount_refunded: 250 }));
    expect(await balanceOf(server.deps.db, ws)).toBe(150);
    // A second partial refund (cumulative 400 of 500): the newly refunded 150 cents take 30 credits.
    const second = stripe.event('charge.refunded', { ...charge, amount_refunded: 400 });
    expect((await stripe.deliver(second)).body).toMatchObject({ outcome: 'refund-clawed' });
    expect(await balanceOf(server.deps.db, ws)).toBe(120);
    // An older event (cumulative 250) delivered late takes nothing; the rest (500) takes the last 20.
    await stripe.deliver(stripe.event('charge.refunded', { ...charge, amount_refunded: 250 }));
    expect(await balanceOf(server.deps.db, ws)).toBe(120);
    await stripe.deliver(stripe.event('charge.refunded', { ...charge, amount_refunded: 500 }));
    expect(await balanceOf(server.deps.db, ws)).toBe(100);
    const refunds = await server.deps.db.selectFrom('credit_ledger').select('delta').where('workspace_id', '=', ws).where('reason', '=', 'refund').execute();
    expect(refunds.map((r) => r.delta).sort()).toEqual([-20, -30, -50]);
  });

  it('keeps a paid invoice paid when a failure of an earlier attempt arrives late', async () => {
    const user = await signUp(server);
    const api = trpcClient(server, user);
    const { customer } = await customerFor(user);
    const invoice = { id: `in_late${customer.slice(4)}`, object: 'invoice', customer, amount_paid: 1500, amount_due: 1500, currency: 'usd', hosted_invoice_url: 'https://invoice.example/late', lines: { data: [{ price: { id: 'price_creator' } }] } };
    const t = Math.floor(Date.now() / 1000);
    // The retry that succeeded (newer) is delivered before the failure of the first attempt (older).
    await stripe.deliver(stripe.event('invoice.paid', invoice, t + 60));
    const late = await stripe.deliver(stripe.event('invoice.payment_failed', { ...invoice, amount_paid: 0 }, t));
    expect(late.status).toBe(200);
    expect((await api.billing.status.query({})).invoices.find((i) => i.id === invoice.id)).toMatchObject({ status: 'paid', amountCents: 1500 });
    // A failure that is genuinely newer than what we hold (before any payment) is still recorded.
    const next = { ...invoice, id: `in_next${customer.slice(4)}`, amount_paid: 0 };
    await stripe.deliver(stripe.event('invoice.payment_failed', next, t));
    await stripe.deliver(stripe.event('invoice.payment_failed', next, t + 5));
    expect((await api.billing.status.query({})).invoices.find((i) => i.id === next.id)).toMatchObject({ status: 'payment_failed' });
    await stripe.deliver(stripe.event('invoice.paid', { ...next, amount_paid: 1500 }, t + 10));
    expect((await api.billing.status.query({})).invoices.find((i) => i.id === next.id)).toMatchObject({ status: 'paid', amountCents: 1500 });
  });
});

describe('who may do what', () => {
  it('refuses a price that is not in the catalogue without calling Stripe, and non-owners', async () => {
    const user = await signUp(server);
    const api = trpcClient(server, user);
    const calls = stripe.requests.length;
    expect(trpcErrorCode(await api.billing.checkout.mutate({ itemId: 'price_free_money' }).catch((e: unknown) => e))).toMatchObject({ httpStatus: 400, message: 'That plan or credit pack is not offered. Pick one from the pricing page.' });
    expect(stripe.requests.length).toBe(calls);
    // An editor of someone else's workspace may spend credits but not buy or manage billing.
    const owner = await signUp(server);
    const ws = (await trpcClient(server, owner).me.get.query())!.workspaces[0]!.id;
    await server.deps.db.insertInto('membership').values({ workspace_id: ws, user_id: user.id, role: 'editor' }).execute();
    expect(trpcErrorCode(await api.billing.checkout.mutate({ workspaceId: ws, itemId: 'pack-100' }).catch((e: unknown) => e))).toMatchObject({ httpStatus: 403 });
    expect(trpcErrorCode(await api.billing.portal.mutate({ workspaceId: ws }).catch((e: unknown) => e))).toMatchObject({ httpStatus: 403 });
    expect((await api.billing.status.query({ workspaceId: ws })).canManage).toBe(false);
    // A stranger gets NOT_FOUND.
    const stranger = await signUp(server);
    expect(trpcErrorCode(await trpcClient(server, stranger).billing.status.query({ workspaceId: ws }).catch((e: unknown) => e))).toMatchObject({ httpStatus: 404 });
  });

  it('opens the customer portal for the owner, and shows the card brand and last four digits only', async () => {
    const user = await signUp(server);
    const { customer } = await customerFor(user);
    await stripe.deliver(stripe.event('payment_method.attached', { id: 'pm_1', object: 'payment_method', customer, card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030 } }));
    expect((await trpcClient(server, user).billing.status.query({})).card).toEqual({ brand: 'visa', last4: '4242' });
    const { url } = await trpcClient(server, user).billing.portal.mutate({});
    expect(url).toMatch(/\/portal\/cus_/);
  });
});

describe('stored billing data', () => {
  it('has no column that could hold a card number, and stores only ids, statuses, amounts and card brand/last 4', async () => {
    const cols = await sql<{ table_name: string; column_name: string; data_type: string }>`
      select table_name, column_name, data_type from information_schema.columns
      where table_schema = 'public' and table_name in ('billing_customer', 'subscription', 'invoice', 'stripe_event', 'credit_purchase', 'credit_ledger')`.execute(server.deps.db);
    for (const c of cols.rows) expect(c.column_name).not.toMatch(/card_?number|pan|cvc|cvv|expiry|exp_/i);
    // The card columns are constrained to a brand word and four digits.
    const ws = (await server.deps.db.selectFrom('billing_customer').select('workspace_id').executeTakeFirstOrThrow()).workspace_id;
    await expect(server.deps.db.updateTable('billing_customer').set({ card_last4: '4242424242424242' }).where('workspace_id', '=', ws).execute()).rejects.toThrow(/check constraint/);
    await expect(server.deps.db.updateTable('billing_customer').set({ card_brand: '4242 4242 4242 4242' }).where('workspace_id', '=', ws).execute()).rejects.toThrow(/check constraint/);
  });
});

describe('without Stripe configured', () => {
  it('runs without billing: the catalogue says so, checkout explains, nothing errors', async () => {
    const plain = await startTestServer(inject('pgAdminUrl'));
    try {
      const user = await signUp(plain);
      const api = trpcClient(plain, user);
      expect(await api.billing.catalog.query()).toMatchObject({ configured: false });
      expect((await api.billing.status.query({})).configured).toBe(false);
      expect(trpcErrorCode(await api.billing.checkout.mutate({ itemId: 'pack-100' }).catch((e: unknown) => e))).toMatchObject({ httpStatus: 409, message: expect.stringMatching(/not set up/) });
      const hook = await fetch(`${plain.url}/api/stripe/webhook`, { method: 'POST', body: '{}' });
      expect(hook.status).toBe(400);
    } finally {
      await plain.stop();
    }
  });
});
