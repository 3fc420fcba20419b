import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';

/**
 * A local stand-in for Stripe's API, answering the calls the product makes (customers, Checkout
 * sessions, subscriptions, billing portal) with form-encoded requests as stripe-node sends them, and a
 * hosted "checkout page" that, when paid, delivers correctly signed webhooks to the app and
 * redirects back like Stripe does.
 */
export interface FakeStripe {
  url: string;
  webhookSecret: string;
  /** Where paid checkouts deliver their webhooks (set once the app's URL is known). */
  webhookUrl: string;
  requests: { method: string; path: string; form: Record<string, string> }[];
  sessions: Map<string, Record<string, string>>;
  subscriptions: Map<string, Stripe.Subscription>;
  /** Signs and delivers an event to the app; returns the HTTP status. */
  deliver(event: object): Promise<{ status: number; body: unknown }>;
  event(type: string, object: object, created?: number): Stripe.Event;
  close(): Promise<void>;
}

const id = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;
const stripeHelper = new Stripe('sk_test_fake', { telemetry: false });

/** `webhookDelayMs`: deliver a paid checkout's webhooks this long after redirecting back, as Stripe does (asynchronously). */
export async function startFakeStripe(opts: { webhookDelayMs?: number } = {}): Promise<FakeStripe> {
  const fake = {
    webhookSecret: `whsec_${randomBytes(12).toString('hex')}`,
    webhookUrl: '',
    requests: [],
    sessions: new Map(),
    subscriptions: new Map(),
  } as unknown as FakeStripe;

  fake.event = (type, object, created = Math.floor(Date.now() / 1000)) =>
    ({ id: id('evt'), object: 'event', type, created, api_version: '2025-01-01', livemode: false, pending_webhooks: 1, request: null, data: { object } }) as unknown as Stripe.Event;

  fake.deliver = async (event) => {
    const payload = JSON.stringify(event);
    const header = stripeHelper.webhooks.generateTestHeaderString({ payload, secret: fake.webhookSecret });
    const res = await fetch(fake.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload });
    return { status: res.status, body: await res.json().catch(() => null) };
  };

  const makeSubscription = (customer: string, price: string): Stripe.Subscription => {
    const now = Math.floor(Date.now() / 1000);
    const sub = {
      id: id('sub'),
      object: 'subscription',
      customer,
      status: 'active',
      cancel_at_period_end: false,
      items: { object: 'list', data: [{ id: id('si'), price: { id: price }, current_period_end: now + 30 * 86400 }] },
    } as unknown as Stripe.Subscription;
    fake.subscriptions.set(sub.id, sub);
    return sub;
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', fake.url);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
    fake.requests.push({ method: req.method ?? 'GET', path: url.pathname, form });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req') });
      res.end(JSON.stringify(body));
    };
    if (url.pathname.startsWith('/v1/') && req.headers.authorization !== 'Bearer sk_test_fake') {
      return json(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
    }
    if (req.method === 'POST' && url.pathname === '/v1/customers') {
      return json(200, { id: id('cus'), object: 'customer', email: form.email, metadata: { workspace_id: form['metadata[workspace_id]'] } });
    }
    if (req.method === 'POST' && url.pathname === '/v1/checkout/sessions') {
      const sid = `cs_test_${randomBytes(10).toString('hex')}`;
      fake.sessions.set(sid, form);
      return json(200, { id: sid, object: 'checkout.session', mode: form.mode, customer: form.customer, url: `${fake.url}/pay/${sid}`, metadata: {} });
    }
    const sub = url.pathname.match(/^\/v1\/subscriptions\/(sub_[a-z0-9]+)$/);
    if (req.method === 'GET' && sub) {
      const s = fake.subscriptions.get(sub[1]!);
      return s ? json(200, s) : json(404, { error: { type: 'invalid_request_error', message: 'No such subscription' } });
    }
    if (req.method === 'POST' && url.pathname === '/v1/billing_portal/sessions') {
      return json(200, { id: id('bps'), object: 'billing_portal.session', url: `${fake.url}/portal/${form.customer}` });
    }
    const pay = url.pathname.match(/^\/pay\/(cs_test_[a-z0-9]+)$/);
    if (pay && req.method === 'GET') {
      const s = fake.sessions.get(pay[1]!);
      if (!s) return void res.writeHead(404).end('No such checkout');
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end(`<!doctype html><html lang="en"><head><title>Test checkout</title></head><body><main><h1>Test checkout</h1><p>Paying for ${s['line_items[0][price]']}</p><form method="post"><button type="submit">Pay</button></form></main></body></html>`);
    }
    if (pay && req.method === 'POST') {
      const sid = pay[1]!;
      const s0 = fake.sessions.get(sid)!;
      if (opts.webhookDelayMs) {
        res.writeHead(303, { location: s0.success_url!.replace('{CHECKOUT_SESSION_ID}', sid) });
        res.end();
        await new Promise((r) => setTimeout(r, opts.webhookDelayMs));
      }
      const s = fake.sessions.get(sid)!;
      const price = s['line_items[0][price]']!;
      const customer = s.customer!;
      const base = { id: sid, object: 'checkout.session', customer, client_reference_id: s.client_reference_id, metadata: { workspace_id: s['metadata[workspace_id]'], item_id: s['metadata[item_id]'] } };
      if (s.mode === 'payment') {
        await fake.deliver(fake.event('checkout.session.completed', { ...base, mode: 'payment', payment_status: 'paid', amount_total: 500, payment_intent: id('pi') }));
      } else {
        const subscription = makeSubscription(customer, price);
        await fake.deliver(fake.event('checkout.session.completed', { ...base, mode: 'subscription', payment_status: 'paid', subscription: subscription.id }));
        await fake.deliver(
          fake.event('invoice.paid', { id: id('in'), object: 'invoice', customer, subscription: subscription.id, amount_paid: 1500, amount_due: 1500, currency: 'usd', hosted_invoice_url: `${fake.url}/invoice`, lines: { data: [{ price: { id: price } }] } }),
        );
      }
      if (!opts.webhookDelayMs) {
        res.writeHead(303, { location: s.success_url!.replace('{CHECKOUT_SESSION_ID}', sid) });
        res.end();
      }
      return;
    }
    if (url.pathname.startsWith('/portal/')) {
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end('<!doctype html><html lang="en"><head><title>Customer portal</title></head><body><main><h1>Customer portal (test)</h1></main></body></html>');
    }
    json(404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${url.pathname})` } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise((r) => server.close(() => r()));
  return fake;
}
