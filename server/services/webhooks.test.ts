/**
 * Outgoing webhooks against real local HTTP receivers: delivered when a generation ends, signed in
 * the Standard Webhooks format (verified here independently, with node:crypto), retried after a
 * 500, sent again on request with the same webhook-id, and never sent to a private address, whether
 * it is named when the endpoint is saved or it appears later (a DNS change).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, signUp, startTestServer, trpcClient, trpcErrorCode, type TestServer, type TestUser } from '../testing/harness.js';
import { addMember, verify } from '../testing/teams.js';
import { WebhookPayload } from '../shared/api.js';
import { purgeWebhookDeliveries } from './retention.js';
import { collectUserData } from './privacy.js';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver: records every request; answers each path's scripted statuses in turn, then 200. */
async function startReceiver() {
  const received: Received[] = [];
  const script = new Map<string, number[]>();
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const next = script.get(req.url ?? '')?.shift() ?? 200;
      res.writeHead(next, { 'content-type': 'text/plain' }).end(next === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  return { received, script, port, url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

/** Standard Webhooks verification, written from the specification (not the product's code). */
function verifySignature(secret: string, headers: http.IncomingHttpHeaders, body: string): boolean {
  const id = String(headers['webhook-id']);
  const ts = Number(headers['webhook-timestamp']);
  if (!Number.isInteger(ts) || Math.abs(Date.now() / 1000 - ts) > 300) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest();
  return String(headers['webhook-signature'])
    .split(' ')
    .some((part) => {
      const [version, sig] = part.split(',');
      const got = Buffer.from(sig ?? '', 'base64');
      return version === 'v1' && got.length === expected.length && timingSafeEqual(got, expected);
    });
}

let server: TestServer;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let privateReceiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  receiver = await startReceiver();
  // Listening on this machine like the other one, but not allowed: it stands for a private address.
  privateReceiver = await startReceiver();
  server = await startTestServer(inject('pgAdminUrl'), {
    env: { WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.port}`, LOCAL_PROVIDER_STEP_MS: '5' },
    start: { queueOptions: { webhook: { retryDelay: 1, retryBackoff: false } } },
  });
});
afterAll(async () => {
  await server?.stop();
  await receiver?.close();
  await privateReceiver?.close();
});

async function personalWorkspace(user: TestUser) {
  return (await trpcClient(server, user).workspace.list.query()).find((w) => w.kind === 'personal')!.id;
}
async function generateAndWait(user: TestUser, workspaceId: string, prompt: string) {
  const gen = await trpcClient(server, user).generation.create.mutate({ workspaceId, prompt });
  await eventually(async () => (await trpcClient(server, user).generation.get.query({ id: gen.id })).status === 'succeeded', 20_000);
  return gen;
}
const deliveriesOf = async (user: TestUser, workspaceId: string, endpointId: string) => (await trpcClient(server, user).api.webhooks.query({ workspaceId })).find((e) => e.id === endpointId)!.deliveries;

describe('webhooks', () => {
  it('are in their maker’s data export (address, events, state), never the signing secret', async () => {
    const user = await signUp(server);
    const ws = await personalWorkspace(user);
    const { endpoint, secret } = await trpcClient(server, user).api.createWebhook.mutate({ workspaceId: ws, url: `${receiver.url}/exported`, events: ['generation.failed'] });
    const data = await collectUserData(server.deps, user.id);
    expect(data.webhooks).toEqual([expect.objectContaining({ id: endpoint.id, workspaceId: ws, url: `${receiver.url}/exported`, events: ['generation.failed'], deletedAt: null })]);
    expect(JSON.stringify(data)).not.toContain(secret);
  });

  it('deliver generation.succeeded to the receiver, signed so that it verifies', async () => {
    const user = await signUp(server);
    const ws = await personalWorkspace(user);
    const { endpoint, secret } = await trpcClient(server, user).api.createWebhook.mutate({ workspaceId: ws, url: `${receiver.url}/ok`, events: ['generation.succeeded', 'generation.failed'] });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const gen = await generateAndWait(user, ws, 'a lighthouse at dusk');

    const got = await eventually(async () => receiver.received.find((r) => r.path === '/ok' && r.body.includes(gen.id)), 15_000);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verifySignature(secret, got.headers, got.body)).toBe(true);
    // A changed body, or another secret, does not verify.
    expect(verifySignature(secret, got.headers, got.body.replace('lighthouse', 'lightship'))).toBe(false);
    expect(verifySignature(`whsec_${Buffer.alloc(24, 1).toString('base64')}`, got.headers, got.body)).toBe(false);

    const payload = WebhookPayload.parse(JSON.parse(got.body));
    expect(payload).toMatchObject({ type: 'generation.succeeded', data: { id: gen.id, workspaceId: ws, status: 'succeeded', prompt: 'a lighthouse at dusk' } });
    expect(payload.data.outputs).toHaveLength(1);
    expect(payload.data.outputs[0]!.url).toBe(`${server.config.baseUrl}/api/v1/assets/${payload.data.outputs[0]!.id}/file`);

    const log = await eventually(async () => {
      const d = await deliveriesOf(user, ws, endpoint.id);
      return d[0]?.status === 'succeeded' ? d : null;
    });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ eventType: 'generation.succeeded', attempts: 1, lastStatusCode: 200, lastError: null, messageId: got.headers['webhook-id'] });
  });

  it('retries a delivery the receiver answered with 500, with the same webhook-id, until it succeeds', async () => {
    const user = await signUp(server);
    const ws = await personalWorkspace(user);
    receiver.script.set('/flaky', [500]);
    const { endpoint, secret } = await trpcClient(server, user).api.createWebhook.mutate({ workspaceId: ws, url: `${receiver.url}/flaky`, events: ['generation.succeeded'] });
    const gen = await generateAndWait(user, ws, 'a flaky receiver');
    const log = await eventually(async () => {
      const d = await deliveriesOf(user, ws, endpoint.id);
      return d[0]?.status === 'succeeded' ? d : null;
    }, 20_000);
    expect(log[0]).toMatchObject({ attempts: 2, lastStatusCode: 200 });
    const hits = receiver.received.filter((r) => r.path === '/flaky' && r.body.includes(gen.id));
    expect(hits).toHaveLength(2);
    expect(hits[0]!.headers['webhook-id']).toBe(hits[1]!.headers['webhook-id']);
    expect(hits.every((h) => verifySignature(secret, h.headers, h.body))).toBe(true);
  });

  it('records a failure after the last attempt, and "send again" sends the same message once more', async () => {
    const user = await signUp(server);
    const ws = await personalWorkspace(user);
    receiver.script.set('/down', Array(10).fill(503));
    const { endpoint } = await trpcClient(server, user).api.createWebhook.mutate({ workspaceId: ws, url: `${receiver.url}/down`, events: ['generation.succeeded'] });
    await generateAndWait(user, ws, 'nobody listens');
    const failed = await eventually(async () => {
      const d = await deliveriesOf(user, ws, endpoint.id);
      return d[0]?.status === 'failed' ? d[0] : null;
    }, 40_000);
    expect(failed).toMatchObject({ attempts: 7, lastStatusCode: 503, lastError: 'Answered 503.' });

    receiver.script.set('/down', []);
    const again = await trpcClient(server, user).api.resendDelivery.mutate({ id: failed.id });
    expect(again).toMatchObject({ status: 'pending', resendOf: failed.id, messageId: failed.messageId });
    const ok = await eventually(async () => (await deliveriesOf(user, ws, endpoint.id)).find((d) => d.id === again.id && d.status === 'succeeded'), 15_000);
    expect(ok.lastStatusCode).toBe(200);
    const hits = receiver.received.filter((r) => r.path === '/down');
    expect(hits).toHaveLength(8);
    expect(new Set(hits.map((h) => h.headers['webhook-id'])).size).toBe(1);
  }, 60_000);

  it('never sends to a private address: refused when saved, and refused when sent after the address changed', async () => {
    const user = await signUp(server);
    const ws = await personalWorkspace(user);
    const create = (url: string) => trpcClient(server, user).api.createWebhook.mutate({ workspaceId: ws, url, events: ['generation.succeeded'] }).catch((e) => e);
    for (const url of [privateReceiver.url, 'http://10.0.0.5/hook', 'http://169.254.169.254/latest/meta-data', 'http://[::1]:8080/', 'http://[::ffff:127.0.0.1]/', `http://localhost:${privateReceiver.port}/`]) {
      const err = trpcErrorCode(await create(url));
      expect(err, url).toMatchObject({ appCode: 'WEBHOOK_URL_REFUSED', message: expect.stringMatching(/not a public address|resolves to a non-public address/) });
    }
    expect(trpcErrorCode(await create('ftp://example.com/x'))).toMatchObject({ appCode: 'INVALID_INPUT' });
    expect(await server.deps.db.selectFrom('webhook_endpoint').select('id').where('workspace_id', '=', ws).execute()).toEqual([]);

    // An endpoint whose address became private after it was saved (a DNS change): refused at sending, not retried.
    const row = await server.deps.db.insertInto('webhook_endpoint').values({ workspace_id: ws, url: `${privateReceiver.url}/internal`, secret: `whsec_${Buffer.alloc(24, 7).toString('base64')}`, events: ['generation.succeeded'], created_by: user.id }).returning('id').executeTakeFirstOrThrow();
    await generateAndWait(user, ws, 'aimed inside');
    const refused = await eventually(async () => {
      const d = await deliveriesOf(user, ws, row.id);
      return d[0]?.status === 'failed' ? d[0] : null;
    }, 15_000);
    expect(refused).toMatchObject({ attempts: 1, lastStatusCode: null, lastError: expect.stringContaining('127.0.0.1 is not a public address') });
    expect(privateReceiver.received).toEqual([]);
  });

  it('are managed by the workspace\'s owners and admins only', async () => {
    const [owner, editor, outsider] = [await signUp(server), await signUp(server), await signUp(server)];
    await verify(server.deps.db, owner.id);
    const team = await trpcClient(server, owner).workspace.create.mutate({ name: 'Hooks team' });
    await addMember(server.deps.db, team.id, editor.id, 'editor');
    const input = { workspaceId: team.id, url: `${receiver.url}/team`, events: ['generation.succeeded' as const] };
    expect(trpcErrorCode(await trpcClient(server, editor).api.createWebhook.mutate(input).catch((e) => e))).toMatchObject({ appCode: 'FORBIDDEN', message: expect.stringContaining('admins') });
    expect(trpcErrorCode(await trpcClient(server, outsider).api.webhooks.query({ workspaceId: team.id }).catch((e) => e))).toMatchObject({ appCode: 'NOT_FOUND' });
    const { endpoint } = await trpcClient(server, owner).api.createWebhook.mutate(input);
    expect(trpcErrorCode(await trpcClient(server, editor).api.deleteWebhook.mutate({ id: endpoint.id }).catch((e) => e))).toMatchObject({ appCode: 'FORBIDDEN' });
    expect(trpcErrorCode(await trpcClient(server, outsider).api.webhookSecret.mutate({ id: endpoint.id }).catch((e) => e))).toMatchObject({ appCode: 'NOT_FOUND' });
    await trpcClient(server, owner).api.deleteWebhook.mutate({ id: endpoint.id });
    expect(await trpcClient(server, owner).api.webhooks.query({ workspaceId: team.id })).toEqual([]);
  });

  it('keeps the delivery log for WEBHOOK_LOG_RETENTION_DAYS, then the retention job deletes it', async () => {
    const user = await signUp(server);
    const ws = await personalWorkspace(user);
    const { endpoint } = await trpcClient(server, user).api.createWebhook.mutate({ workspaceId: ws, url: `${receiver.url}/old`, events: ['generation.succeeded'] });
    const day = 24 * 3600 * 1000;
    const insert = (ageDays: number, n: number) =>
      server.deps.db.insertInto('webhook_delivery').values({ endpoint_id: endpoint.id, workspace_id: ws, message_id: `msg_old_${n}`, event_type: 'generation.succeeded', payload: '{}', status: 'succeeded', created_at: new Date(Date.now() - ageDays * day) }).returning('id').executeTakeFirstOrThrow();
    const old = await insert(server.config.webhooks.logRetentionDays + 1, 1);
    const recent = await insert(server.config.webhooks.logRetentionDays - 1, 2);
    const result = await purgeWebhookDeliveries(server.deps);
    expect(result.removed).toBeGreaterThanOrEqual(1);
    const left = (await deliveriesOf(user, ws, endpoint.id)).map((d) => d.id);
    expect(left).toEqual([recent.id]);
    expect(left).not.toContain(old.id);
  });
});
