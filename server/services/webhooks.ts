/**
 * Outgoing webhooks (issue 18, ADR 0019): a workspace's owners and admins register receiver URLs;
 * each generation that ends (succeeded, failed, canceled) becomes a message to every endpoint that
 * wants its event, delivered by the `webhook` queue (jobs/webhook.ts) with retries and backoff,
 * and logged (status, attempts, the last answer) with a "send again".
 *
 * Messages follow Standard Webhooks (standardwebhooks.com): headers `webhook-id` (the message id,
 * the same on every attempt), `webhook-timestamp` (unix seconds) and `webhook-signature`
 * (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with the base64 part of the
 * endpoint's `whsec_…` secret).
 *
 * Every target goes through the same SSRF guard as provider downloads
 * (server/providers/fetch-media.ts: every resolved address must be public, the connection is
 * pinned to the address checked), when the endpoint is saved and again on every attempt; no
 * redirect is followed. `WEBHOOK_ALLOW_HOSTS` lets local receivers in tests through.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { sql } from 'kysely';
import type { z } from 'zod';
import { pinnedLookup, resolveChecked, type LookupAll } from '../providers/fetch-media.js';
import { ProviderError } from '../providers/types.js';
import { AppError } from '../shared/errors.js';
import { CreateWebhookInput, DeliveryIdInput, ListWebhooksInput, MAX_WEBHOOKS_PER_WORKSPACE, WebhookIdInput, type WebhookEvent, type WebhookPayload } from '../shared/api.js';
import { audit } from './audit.js';
import type { Actor, Deps, GenerationChange } from './deps.js';
import { requirePermission } from './workspaces.js';

export const WEBHOOK_QUEUE = 'webhook';
/** pg-boss retries a failed delivery this many times, with exponential backoff (jobs/webhook.ts). */
export const WEBHOOK_RETRY_LIMIT = 6;
const TIMEOUT_MS = 10_000;
const MAX_ERROR_LENGTH = 300;

export interface WebhookEndpointView {
  id: string;
  workspaceId: string;
  url: string;
  description: string;
  events: WebhookEvent[];
  createdAt: Date;
}
export interface WebhookDeliveryView {
  id: string;
  endpointId: string;
  messageId: string;
  eventType: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  lastAttemptAt: Date | null;
  deliveredAt: Date | null;
  resendOf: string | null;
}

// ---- signing (Standard Webhooks) ----

export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

/** The `webhook-signature` value for one message: `v1,<base64 HMAC-SHA256 over "id.timestamp.body">`. */
export function signWebhook(secret: string, messageId: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${messageId}.${timestamp}.${body}`).digest('base64')}`;
}

// ---- endpoints ----

const refusedUrl = (err: unknown) => {
  if (err instanceof ProviderError) {
    // The guard's words ("The webhook URL was refused: 10.0.0.5 is not a public address.").
    return new AppError('WEBHOOK_URL_REFUSED', { userMessage: `${err.message} ${err.retryable ? 'Check the host name.' : 'Webhooks are only sent to public addresses.'}` });
  }
  return err;
};

/** The SSRF guard for a webhook target: the URL's addresses, checked now (ProviderError when refused). */
async function checkTarget(deps: Pick<Deps, 'config'>, url: URL, lookup?: LookupAll) {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ProviderError('BAD_RESPONSE', `The webhook URL was refused: ${url.protocol} is not allowed.`);
  if (url.username || url.password) throw new ProviderError('BAD_RESPONSE', 'The webhook URL was refused: credentials in URLs are not allowed.');
  return resolveChecked(url, new Set(deps.config.webhooks.allowHosts), lookup, 'The webhook URL');
}

const endpointView = (r: { id: string; workspace_id: string; url: string; description: string; events: string[]; created_at: Date }): WebhookEndpointView => ({
  id: r.id,
  workspaceId: r.workspace_id,
  url: r.url,
  description: r.description,
  events: r.events as WebhookEvent[],
  createdAt: r.created_at,
});

/** Registers a receiver; answers its signing secret (shown once; the page shows it again to managers on request). */
export async function createWebhook(deps: Deps, actor: Actor, raw: z.input<typeof CreateWebhookInput>, opts: { lookup?: LookupAll } = {}): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  const input = CreateWebhookInput.parse(raw);
  await requirePermission(deps.db, actor, input.workspaceId, 'api.manage');
  try {
    await checkTarget(deps, new URL(input.url), opts.lookup);
  } catch (err) {
    throw refusedUrl(err);
  }
  const secret = newWebhookSecret();
  const row = await deps.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`webhooks:${input.workspaceId}`}, 0))`.execute(trx);
    const { n } = await trx.selectFrom('webhook_endpoint').select((eb) => eb.fn.countAll<string>().as('n')).where('workspace_id', '=', input.workspaceId).where('deleted_at', 'is', null).executeTakeFirstOrThrow();
    if (Number(n) >= MAX_WEBHOOKS_PER_WORKSPACE) throw new AppError('CONFLICT', { userMessage: `A workspace can have ${MAX_WEBHOOKS_PER_WORKSPACE} webhooks. Delete one first.` });
    const created = await trx
      .insertInto('webhook_endpoint')
      .values({ workspace_id: input.workspaceId, url: input.url, description: input.description, secret, events: input.events, created_by: actor.userId })
      .returning(['id', 'workspace_id', 'url', 'description', 'events', 'created_at'])
      .executeTakeFirstOrThrow();
    await audit(trx, actor.userId, 'webhook.created', { webhookId: created.id, workspaceId: input.workspaceId, host: new URL(input.url).host });
    return created;
  });
  return { endpoint: endpointView(row), secret };
}

async function loadEndpoint(deps: Deps, actor: Actor, id: string) {
  const row = await deps.db.selectFrom('webhook_endpoint').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  await requirePermission(deps.db, actor, row.workspace_id, 'api.manage');
  return row;
}

/** The workspace's webhooks with their latest deliveries (the log), for its owners and admins. */
export async function listWebhooks(deps: Deps, actor: Actor, raw: z.input<typeof ListWebhooksInput>): Promise<(WebhookEndpointView & { deliveries: WebhookDeliveryView[] })[]> {
  const { workspaceId } = ListWebhooksInput.parse(raw);
  await requirePermission(deps.db, actor, workspaceId, 'api.manage');
  const endpoints = await deps.db.selectFrom('webhook_endpoint').select(['id', 'workspace_id', 'url', 'description', 'events', 'created_at']).where('workspace_id', '=', workspaceId).where('deleted_at', 'is', null).orderBy('created_at', 'asc').execute();
  return Promise.all(endpoints.map(async (e) => ({ ...endpointView(e), deliveries: await recentDeliveries(deps, e.id) })));
}

async function recentDeliveries(deps: Pick<Deps, 'db'>, endpointId: string, limit = 20): Promise<WebhookDeliveryView[]> {
  const rows = await deps.db.selectFrom('webhook_delivery').selectAll().where('endpoint_id', '=', endpointId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({
    id: r.id,
    endpointId: r.endpoint_id,
    messageId: r.message_id,
    eventType: r.event_type,
    status: r.status,
    attempts: r.attempts,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    createdAt: r.created_at,
    lastAttemptAt: r.last_attempt_at,
    deliveredAt: r.delivered_at,
    resendOf: r.resend_of,
  }));
}

/** The signing secret again, for the managers of the workspace. */
export async function revealWebhookSecret(deps: Deps, actor: Actor, raw: z.input<typeof WebhookIdInput>): Promise<{ secret: string }> {
  const { id } = WebhookIdInput.parse(raw);
  return { secret: (await loadEndpoint(deps, actor, id)).secret };
}

/** Stops sending to an endpoint (its log stays until the workspace is deleted). */
export async function deleteWebhook(deps: Deps, actor: Actor, raw: z.input<typeof WebhookIdInput>): Promise<{ id: string }> {
  const { id } = WebhookIdInput.parse(raw);
  const row = await loadEndpoint(deps, actor, id);
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('webhook_endpoint').set({ deleted_at: new Date() }).where('id', '=', id).execute();
    await audit(trx, actor.userId, 'webhook.deleted', { webhookId: id, workspaceId: row.workspace_id });
  });
  return { id };
}

/** "Send again": the same message (same webhook-id, same body) as a new delivery, queued at once. */
export async function resendDelivery(deps: Deps, actor: Actor, raw: z.input<typeof DeliveryIdInput>): Promise<WebhookDeliveryView> {
  const { id } = DeliveryIdInput.parse(raw);
  const original = await deps.db.selectFrom('webhook_delivery').selectAll().where('id', '=', id).executeTakeFirst();
  if (!original) throw new AppError('NOT_FOUND');
  await loadEndpoint(deps, actor, original.endpoint_id);
  const created = await deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('webhook_delivery')
      .values({ endpoint_id: original.endpoint_id, workspace_id: original.workspace_id, message_id: original.message_id, event_type: original.event_type, payload: JSON.stringify(original.payload), resend_of: original.resend_of ?? original.id })
      .returning('id')
      .executeTakeFirstOrThrow();
    await deps.jobs.send(WEBHOOK_QUEUE, { deliveryId: row.id }, { trx, singletonKey: row.id });
    await audit(trx, actor.userId, 'webhook.resent', { webhookId: original.endpoint_id, deliveryId: row.id });
    return row;
  });
  return (await recentDeliveries(deps, original.endpoint_id, 50)).find((d) => d.id === created.id)!;
}

// ---- events ----

const EVENT_OF: Partial<Record<GenerationChange['status'], WebhookEvent>> = { succeeded: 'generation.succeeded', failed: 'generation.failed', canceled: 'generation.canceled' };

/**
 * A generation hook (server/index.ts): a generation that ended becomes one message per endpoint
 * of its workspace that wants the event, queued in the transaction that records it. The message id
 * is derived from the generation and the event, so a change announced twice is sent once.
 */
export async function webhookHook(change: GenerationChange, deps: Deps): Promise<void> {
  const type = EVENT_OF[change.status];
  if (!type) return;
  const endpoints = await deps.db.selectFrom('webhook_endpoint').select('id').where('workspace_id', '=', change.workspaceId).where('deleted_at', 'is', null).where(sql<boolean>`events @> array[${type}]::text[]`).execute();
  if (endpoints.length === 0) return;
  const messageId = `msg_${createHash('sha256').update(`${type}:${change.id}`).digest('hex').slice(0, 32)}`;
  const payload: WebhookPayload = {
    type,
    timestamp: new Date(change.updatedAt ?? Date.now()).toISOString(),
    data: {
      id: change.id,
      workspaceId: change.workspaceId,
      status: change.status,
      prompt: change.prompt,
      errorMessage: change.errorMessage,
      outputs: change.assets.map((a) => ({ id: a.id, media: a.media, width: a.width, height: a.height, url: `${deps.config.baseUrl}/api/v1/assets/${a.id}/file` })),
    },
  };
  await deps.db.transaction().execute(async (trx) => {
    for (const e of endpoints) {
      const row = await trx
        .insertInto('webhook_delivery')
        .values({ endpoint_id: e.id, workspace_id: change.workspaceId, message_id: messageId, event_type: type, payload: JSON.stringify(payload) })
        .onConflict((oc) => oc.columns(['endpoint_id', 'message_id']).where('resend_of', 'is', null).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (row) await deps.jobs.send(WEBHOOK_QUEUE, { deliveryId: row.id }, { trx, singletonKey: row.id });
    }
  });
}

// ---- delivery (the job) ----

/** One POST to a checked, pinned address; no redirects. Resolves with the status, rejects on network errors. */
function post(url: URL, pinned: { address: string; family: number }, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, lookup: pinnedLookup(pinned), signal: AbortSignal.timeout(TIMEOUT_MS) }, (res) => {
      res.resume(); // the answer's body is not kept
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Thrown to pg-boss so the attempt is retried with backoff. */
export class DeliveryFailed extends Error {}

/**
 * Sends one delivery. Idempotent: a delivery that already succeeded or failed is left alone. A
 * target the SSRF guard refuses is failed at once (never retried, never called); a network error
 * or an answer other than 2xx is recorded and retried until the last attempt, which fails it.
 */
export async function deliverWebhook(deps: Deps, deliveryId: string, opts: { attempt?: number; maxRetries?: number } = {}): Promise<void> {
  const d = await deps.db
    .selectFrom('webhook_delivery')
    .innerJoin('webhook_endpoint', 'webhook_endpoint.id', 'webhook_delivery.endpoint_id')
    .select(['webhook_delivery.id', 'webhook_delivery.status', 'webhook_delivery.message_id', 'webhook_delivery.payload', 'webhook_endpoint.url', 'webhook_endpoint.secret', 'webhook_endpoint.deleted_at'])
    .where('webhook_delivery.id', '=', deliveryId)
    .executeTakeFirst();
  if (!d || d.status !== 'pending') return;
  const record = (set: { status?: 'succeeded' | 'failed'; last_status_code?: number | null; last_error?: string | null; delivered_at?: Date }) =>
    deps.db
      .updateTable('webhook_delivery')
      .set({ ...set, attempts: sql`attempts + 1`, last_attempt_at: new Date() })
      .where('id', '=', deliveryId)
      .where('status', '=', 'pending')
      .execute();
  if (d.deleted_at) {
    await deps.db.updateTable('webhook_delivery').set({ status: 'failed', last_error: 'The webhook was deleted before this could be sent.' }).where('id', '=', deliveryId).where('status', '=', 'pending').execute();
    return;
  }
  const url = new URL(d.url);
  let pinned;
  try {
    pinned = await checkTarget(deps, url);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof ProviderError && err.retryable) return retryOrFail(deps, deliveryId, record, { last_error: message.slice(0, MAX_ERROR_LENGTH), last_status_code: null }, opts);
    deps.log.warn('webhook target refused by the SSRF guard', { deliveryId, host: url.host });
    await record({ status: 'failed', last_status_code: null, last_error: message.slice(0, MAX_ERROR_LENGTH) });
    return;
  }
  const body = JSON.stringify(d.payload);
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'FluxKlein-Webhooks/1',
    'webhook-id': d.message_id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(d.secret, d.message_id, timestamp, body),
  };
  let status: number;
  try {
    status = await post(url, pinned, headers, body);
  } catch (err) {
    const message = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError' ? `No answer within ${TIMEOUT_MS / 1000} s.` : `Could not connect: ${(err as Error).message}`;
    return retryOrFail(deps, deliveryId, record, { last_status_code: null, last_error: message.slice(0, MAX_ERROR_LENGTH) }, opts);
  }
  if (status >= 200 && status < 300) {
    await record({ status: 'succeeded', last_status_code: status, last_error: null, delivered_at: new Date() });
    return;
  }
  const why = status >= 300 && status < 400 ? `Answered ${status} (redirects are not followed).` : `Answered ${status}.`;
  return retryOrFail(deps, deliveryId, record, { last_status_code: status, last_error: why }, opts);
}

async function retryOrFail(
  _deps: Deps,
  deliveryId: string,
  record: (set: { status?: 'failed'; last_status_code?: number | null; last_error?: string | null }) => Promise<unknown>,
  outcome: { last_status_code: number | null; last_error: string },
  opts: { attempt?: number; maxRetries?: number },
): Promise<void> {
  const last = (opts.attempt ?? 0) >= (opts.maxRetries ?? 0);
  await record({ ...outcome, ...(last ? { status: 'failed' as const } : {}) });
  if (!last) throw new DeliveryFailed(`webhook delivery ${deliveryId}: ${outcome.last_error}`);
}

/** Dead-letter handler: a delivery pg-boss gave up on (a crashed worker, expiry) ends as failed. */
export async function failAbandonedDelivery(deps: Deps, deliveryId: string): Promise<void> {
  await deps.db.updateTable('webhook_delivery').set({ status: 'failed', last_error: 'Could not be sent after several tries.' }).where('id', '=', deliveryId).where('status', '=', 'pending').execute();
}

