import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { composeMail } from '../mail/index.js';
import { AppError } from '../shared/errors.js';
import { rooms } from '../shared/realtime.js';
import * as Y from 'yjs';
import { itemsOf } from '../shared/board.js';
import { audit } from './audit.js';
import { notify } from './notifications.js';
import { compactBoard, editBoardFromServer } from '../boards/store.js';
import { publish } from '../boards/bus.js';
import { rewriteVersionsHolding } from '../boards/versions.js';
import { commentsByAuthor, detachCommentAuthor } from '../boards/comments.js';
import { META } from '../shared/board-versions.js';
import type { Actor, Deps } from './deps.js';
import { allThumbKeys } from './thumbnails.js';
import { zipStream, type ZipEntry } from '../storage/zip.js';

export const EXPORT_QUEUE = 'export';
export const DELETION_QUEUE = 'deletion';
const DAY = 86_400_000;
/** The export copies each file in reads of this size, into two buffers it reuses (no memory allocated per chunk; ADR 0024). */
const EXPORT_READ_BYTES = 1024 * 1024;

// ------------------------------------------------------------------ access and portability

export async function listExports(deps: Deps, actor: Actor) {
  const rows = await deps.db.selectFrom('data_export').selectAll().where('user_id', '=', actor.userId).orderBy('created_at', 'desc').limit(10).execute();
  const now = Date.now();
  return rows.map((r) => ({
    id: r.id,
    status: r.status === 'ready' && r.expires_at && r.expires_at.getTime() < now ? ('expired' as const) : r.status,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    sizeBytes: r.size_bytes,
    url: r.status === 'ready' ? `/exports/${r.id}/download` : null,
  }));
}

/** Starts an export of everything we hold about the user; one at a time. */
export async function requestExport(deps: Deps, actor: Actor) {
  return deps.db.transaction().execute(async (trx) => {
    await trx.selectFrom('user').select('id').where('id', '=', actor.userId).forUpdate().executeTakeFirst();
    const running = await trx.selectFrom('data_export').select('id').where('user_id', '=', actor.userId).where('status', '=', 'queued').executeTakeFirst();
    if (running) throw new AppError('CONFLICT', { userMessage: 'An export is already being prepared. You will be told when it is ready.' });
    const row = await trx.insertInto('data_export').values({ user_id: actor.userId }).returning(['id', 'created_at']).executeTakeFirstOrThrow();
    await deps.jobs.send(EXPORT_QUEUE, { exportId: row.id }, { trx, singletonKey: row.id });
    await audit(trx, actor.userId, 'export.requested', { exportId: row.id });
    return { id: row.id, status: 'queued' as const };
  });
}

/** Everything we hold about one user, as one JSON document (the files go beside it in the ZIP). */
export async function collectUserData(deps: Pick<Deps, 'db'>, userId: string) {
  const db = deps.db;
  const user = await db.selectFrom('user').select(['id', 'name', 'email', 'emailVerified', 'createdAt', 'twoFactorEnabled']).where('id', '=', userId).executeTakeFirstOrThrow();
  const [accounts, sessions, memberships, generations, assets, exports, audits, consents, usage, analytics, notifications] = await Promise.all([
    db.selectFrom('account').select(['providerId', 'accountId', 'createdAt']).where('userId', '=', userId).execute(),
    db.selectFrom('session').select(['createdAt', 'expiresAt', 'ipAddress', 'userAgent']).where('userId', '=', userId).execute(),
    db.selectFrom('membership').innerJoin('workspace', 'workspace.id', 'membership.workspace_id').select(['workspace.id', 'workspace.name', 'workspace.kind', 'membership.role', 'membership.created_at']).where('membership.user_id', '=', userId).execute(),
    db.selectFrom('generation').select(['id', 'workspace_id', 'kind', 'mode', 'prompt', 'params', 'status', 'credit_cost', 'error_message', 'created_at', 'finished_at']).where('user_id', '=', userId).orderBy('created_at').execute(),
    db.selectFrom('asset').select(['id', 'workspace_id', 'generation_id', 'source', 'media', 'mime', 'size_bytes', 'width', 'height', 'sha256', 'saved', 'favorite', 'tags', 'original_name', 'created_at', 'storage_key', 'hidden_at', 'hidden_reason']).where('user_id', '=', userId).orderBy('created_at').execute(),
    db.selectFrom('data_export').select(['id', 'status', 'created_at']).where('user_id', '=', userId).execute(),
    db.selectFrom('audit_log').select(['action', 'detail', 'created_at']).where('user_id', '=', userId).orderBy('created_at').execute(),
    db.selectFrom('consent_record').select(['preferences', 'analytics', 'policy_version', 'source', 'ip_network', 'created_at']).where('user_id', '=', userId).orderBy('created_at').execute(),
    db.selectFrom('usage_log').select(['at', 'method', 'route', 'status', 'error_code', 'device', 'ip_network']).where('user_id', '=', userId).orderBy('at').execute(),
    db.selectFrom('analytics_event').select(['name', 'path', 'created_at']).where('user_id', '=', userId).orderBy('created_at').execute(),
    db.selectFrom('notification').select(['kind', 'title', 'body', 'link', 'read_at', 'created_at']).where('user_id', '=', userId).orderBy('created_at').execute(),
  ]);
  // Moderation records about the person (never a prompt: refusals store only the category).
  // A suspension (moderation's or an operator's) is the account's standing, below; its history is in the audit log.
  const refusals = await db.selectFrom('moderation_refusal').select(['workspace_id', 'category', 'source', 'created_at']).where('user_id', '=', userId).orderBy('created_at').execute();
  // Recent prompts (kept server-side with the library) and the style presets they made (issue 18).
  const [promptHistory, stylePresets] = await Promise.all([
    db.selectFrom('prompt_history').select(['prompt', 'negative_prompt', 'uses', 'last_used_at']).where('user_id', '=', userId).orderBy('last_used_at', 'desc').execute(),
    db.selectFrom('style_preset').select(['workspace_id', 'name', 'prompt_suffix', 'negative_prompt', 'created_at']).where('created_by', '=', userId).orderBy('created_at').execute(),
  ]);
  const owned = memberships.filter((m) => m.role === 'owner').map((m) => m.id);
  const [ledger, customers, subscriptions, invoices] = owned.length
    ? await Promise.all([
        db.selectFrom('credit_ledger').select(['workspace_id', 'delta', 'reason', 'created_at']).where('workspace_id', 'in', owned).orderBy('created_at').execute(),
        db.selectFrom('billing_customer').select(['workspace_id', 'stripe_customer_id', 'card_brand', 'card_last4']).where('workspace_id', 'in', owned).execute(),
        db.selectFrom('subscription').select(['workspace_id', 'id', 'status', 'price_id', 'current_period_end']).where('workspace_id', 'in', owned).execute(),
        db.selectFrom('invoice').select(['workspace_id', 'id', 'status', 'amount_cents', 'currency', 'created_at']).where('workspace_id', 'in', owned).execute(),
      ])
    : [[], [], [], []];
  // Reports and takedown (ADR 0013): the account's standing, what they reported, their appeals. Hidden assets are in `assets` (hidden_at).
  // Comments they wrote on boards (issue 17), with the board and where on it.
  const comments = await commentsByAuthor(db, userId);
  // What they made that acts for them or opens their boards to others: share links, API keys and
  // webhooks (what each is and does; never a token, a key's hash or a webhook's signing secret).
  const [shareLinks, apiKeys, webhooks] = await Promise.all([
    db
      .selectFrom('board_share_link')
      .innerJoin('board', 'board.id', 'board_share_link.board_id')
      .select(['board_share_link.id', 'board_share_link.board_id', 'board.name as board_name', 'board_share_link.workspace_id', 'board_share_link.label', 'board_share_link.show_names', 'board_share_link.created_at', 'board_share_link.expires_at', 'board_share_link.revoked_at'])
      .where('board_share_link.created_by', '=', userId)
      .orderBy('board_share_link.created_at')
      .execute(),
    db.selectFrom('api_key').select(['id', 'workspace_id', 'kind', 'name', 'prefix', 'scopes', 'created_at', 'last_used_at', 'revoked_at']).where('user_id', '=', userId).orderBy('created_at').execute(),
    db.selectFrom('webhook_endpoint').select(['id', 'workspace_id', 'url', 'description', 'events', 'created_at', 'deleted_at']).where('created_by', '=', userId).orderBy('created_at').execute(),
  ]);
  const [standing, reportsFiled, appeals] = await Promise.all([
    db.selectFrom('active_standing').select(['status', 'reason', 'note', 'since', 'until', 'source']).where('user_id', '=', userId).executeTakeFirst(),
    db.selectFrom('report').select(['asset_id', 'board_id', 'item_id', 'reason', 'note', 'status', 'created_at']).where('reporter_id', '=', userId).orderBy('created_at').execute(),
    db.selectFrom('appeal').select(['asset_id', 'message', 'status', 'answer', 'created_at', 'answered_at']).where('user_id', '=', userId).orderBy('created_at').execute(),
  ]);
  return {
    format: 'flux-klein-export/1',
    exportedAt: new Date().toISOString(),
    account: user,
    authProviders: accounts.map((a) => ({ provider: a.providerId, providerAccountId: a.providerId === 'credential' ? null : a.accountId, linkedAt: a.createdAt })),
    sessions,
    workspaces: memberships,
    generations,
    promptHistory,
    stylePresets,
    assets: assets.map(({ storage_key, ...a }) => ({ ...a, file: `files/${a.id}.${storage_key.split('.').pop()}` })),
    credits: ledger,
    billing: { customers, subscriptions, invoices },
    exports,
    consentRecords: consents,
    usageLog: usage,
    analyticsEvents: analytics,
    notifications,
    boardComments: comments.map((c) => ({ id: c.id, threadId: c.thread_id, boardId: c.board_id, boardName: c.board_name, workspaceId: c.workspace_id, pinnedTo: c.item_id ? { item: c.item_id } : { x: c.x, y: c.y }, body: c.body, createdAt: c.created_at, editedAt: c.edited_at, threadResolvedAt: c.resolved_at })),
    shareLinks: shareLinks.map((l) => ({ id: l.id, boardId: l.board_id, boardName: l.board_name, workspaceId: l.workspace_id, label: l.label, showsNames: l.show_names, createdAt: l.created_at, expiresAt: l.expires_at, revokedAt: l.revoked_at })),
    apiKeys: apiKeys.map((k) => ({ id: k.id, workspaceId: k.workspace_id, kind: k.kind, name: k.name, prefix: k.prefix, scopes: k.scopes, createdAt: k.created_at, lastUsedAt: k.last_used_at, revokedAt: k.revoked_at })),
    webhooks: webhooks.map((w) => ({ id: w.id, workspaceId: w.workspace_id, url: w.url, description: w.description, events: w.events, createdAt: w.created_at, deletedAt: w.deleted_at })),
    auditLog: audits,
    // Our safety records about the person: refused prompts (categories, never the prompt), the
    // account's standing in force (an automatic or an operator's suspension, or a ban), the reports
    // they filed and their appeals.
    moderation: { refusedPrompts: refusals, standing: standing ?? null, reportsFiled, appeals },
  };
}

/**
 * The export job: writes a ZIP (streamed, bounded memory) with data.json and the user's files to
 * storage, then tells the user over their socket room and by email. Idempotent: a finished export
 * is left alone.
 */
export async function runExport(deps: Deps, exportId: string, now = new Date()) {
  const row = await deps.db.selectFrom('data_export').selectAll().where('id', '=', exportId).executeTakeFirst();
  if (!row || row.status !== 'queued') return;
  const data = await collectUserData(deps, row.user_id);
  const key = `exports/${row.user_id}/${exportId}.zip`;
  const files = await deps.db.selectFrom('asset').select(['id', 'storage_key']).where('user_id', '=', row.user_id).execute();
  // The files are reached one at a time, as the ZIP is written: memory and open files stay flat
  // however many there are (ADR 0020). Each is read into the same two buffers, one chunk written
  // while the next is read (ADR 0024). A file that cannot be read fails the attempt (the job
  // retries); a failed write stops the ZIP and closes the file it was reading.
  const buffers = [Buffer.allocUnsafe(EXPORT_READ_BYTES), Buffer.allocUnsafe(EXPORT_READ_BYTES)];
  async function* entries(): AsyncGenerator<ZipEntry> {
    yield { name: 'data.json', data: Buffer.from(JSON.stringify(data, null, 2)) };
    yield { name: 'README.txt', data: Buffer.from(README) };
    for (const f of files) {
      // A file already removed by retention is left out (the JSON still lists the record).
      const stat = await deps.storage.stat(f.storage_key);
      if (!stat) continue;
      yield { name: `files/${f.id}.${f.storage_key.split('.').pop()}`, size: stat.size, open: async () => deps.storage.readChunks(f.storage_key, buffers) };
    }
  }
  const size = await deps.storage.putStream(key, zipStream(entries(), { date: now }));
  const expires = new Date(now.getTime() + deps.config.retention.exportDays * DAY);
  const updated = await deps.db
    .updateTable('data_export')
    .set({ status: 'ready', storage_key: key, size_bytes: size, ready_at: now, expires_at: expires })
    .where('id', '=', exportId)
    .where('status', '=', 'queued')
    .returning('id')
    .executeTakeFirst();
  if (!updated) return;
  await audit(deps.db, row.user_id, 'export.ready', { exportId, bytes: size });
  deps.notifier.emit(rooms.user(row.user_id), 'export:ready', { id: exportId, url: `/exports/${exportId}/download` });
  const user = await deps.db.selectFrom('user').select(['email']).where('id', '=', row.user_id).executeTakeFirst();
  if (user) {
    await deps.mailer.send(
      composeMail({
        to: user.email,
        subject: 'Your Flux Klein data export is ready',
        heading: 'Your data export is ready',
        paragraphs: [`The ZIP with your account data and files is ready to download until ${expires.toUTCString()}. The link works only when you are signed in.`],
        action: { label: 'Download my data', url: `${deps.config.baseUrl}/settings/privacy` },
        reason: 'You got this message because you asked for a copy of your data.',
      }),
    );
  }
}

/**
 * The export's dead letter: every attempt failed. The export is marked failed (so a new one may be
 * asked for at once) and the person is told in the page and the notification centre. Idempotent.
 */
export async function failExport(deps: Deps, exportId: string) {
  const row = await deps.db.updateTable('data_export').set({ status: 'failed' }).where('id', '=', exportId).where('status', '=', 'queued').returning(['id', 'user_id']).executeTakeFirst();
  if (!row) return;
  deps.log.error('data export failed after its retries', { exportId });
  await audit(deps.db, row.user_id, 'export.failed', { exportId });
  await notify(deps, {
    userId: row.user_id,
    workspaceId: null,
    kind: 'export_failed',
    title: 'Your data export failed',
    body: 'We could not prepare the ZIP of your data. Try again from the privacy page; if it fails again, send us a request there.',
    link: '/settings/privacy',
    ref: exportId,
  });
}

const README = `This archive holds the data Flux Klein keeps about your account.
data.json: your account, sign-in methods (with the provider account ids), sessions, workspaces,
generations with their prompts and parameters, assets, comments you wrote on boards, credits and billing metadata of workspaces
you own, and the privacy-relevant actions recorded for your account.
files/: the images and videos you uploaded or generated, named by their asset id.
`;

/** Opens an export for its owner only; anyone else learns nothing (NOT_FOUND), an old one is gone. */
export async function openExport(deps: Deps, actor: Actor, exportId: string, now = new Date()) {
  const row = await deps.db.selectFrom('data_export').selectAll().where('id', '=', exportId).where('user_id', '=', actor.userId).executeTakeFirst();
  if (!row || row.status !== 'ready' || !row.storage_key) throw new AppError('NOT_FOUND');
  if (row.expires_at && row.expires_at.getTime() < now.getTime()) throw new AppError('NOT_FOUND', { userMessage: 'This export has expired. Ask for a new one on the privacy page.' });
  await audit(deps.db, actor.userId, 'export.downloaded', { exportId });
  return { stream: await deps.storage.read(row.storage_key), size: row.size_bytes ?? 0, name: `flux-klein-export-${row.created_at.toISOString().slice(0, 10)}.zip` };
}

// ------------------------------------------------------------------ deletion

/** Asks for the account to be deleted after the grace period; signs out everywhere. Signing in again cancels it. */
export async function requestDeletion(deps: Deps, actor: Actor, now = new Date()) {
  const scheduled = new Date(now.getTime() + deps.config.retention.deletionGraceDays * DAY);
  const row = await deps.db.transaction().execute(async (trx) => {
    const pending = await trx.selectFrom('deletion_request').select('id').where('user_id', '=', actor.userId).where('status', '=', 'pending').executeTakeFirst();
    if (pending) throw new AppError('CONFLICT', { userMessage: 'Your account is already scheduled for deletion.' });
    const r = await trx.insertInto('deletion_request').values({ user_id: actor.userId, scheduled_for: scheduled }).returning(['id', 'scheduled_for']).executeTakeFirstOrThrow();
    await deps.jobs.send(DELETION_QUEUE, { requestId: r.id }, { trx, singletonKey: r.id, startAfter: scheduled });
    await audit(trx, actor.userId, 'deletion.requested', { requestId: r.id, scheduledFor: scheduled.toISOString() });
    await trx.deleteFrom('session').where('userId', '=', actor.userId).execute();
    return r;
  });
  return { id: row.id, scheduledFor: row.scheduled_for };
}

/**
 * Cancels a pending deletion (called when the person signs in during the grace period). The person
 * is told on the next page they see (`takeDeletionCancelNotice`), so the cancellation is not silent.
 */
export async function cancelDeletion(deps: Pick<Deps, 'db'>, userId: string): Promise<boolean> {
  const r = await deps.db
    .updateTable('deletion_request')
    .set({ status: 'canceled', finished_at: new Date(), sign_in_notice: true })
    .where('user_id', '=', userId)
    .where('status', '=', 'pending')
    .returning('id')
    .executeTakeFirst();
  if (r) await audit(deps.db, userId, 'deletion.canceled', { requestId: r.id });
  return Boolean(r);
}

/**
 * The notice that signing in cancelled the account's deletion, once: returns the date the deletion
 * was scheduled for and clears the flag in the same statement (a second call, or another tab,
 * gets null). Null when there is nothing to tell.
 */
export async function takeDeletionCancelNotice(deps: Pick<Deps, 'db'>, userId: string): Promise<{ scheduledFor: Date } | null> {
  const rows = await deps.db
    .updateTable('deletion_request')
    .set({ sign_in_notice: false })
    .where('user_id', '=', userId)
    .where('sign_in_notice', '=', true)
    .returning('scheduled_for')
    .execute();
  if (rows.length === 0) return null;
  return { scheduledFor: rows.map((r) => r.scheduled_for).sort((a, b) => b.getTime() - a.getTime())[0]! };
}

export async function pendingDeletion(deps: Pick<Deps, 'db'>, userId: string) {
  return deps.db.selectFrom('deletion_request').select(['id', 'scheduled_for']).where('user_id', '=', userId).where('status', '=', 'pending').executeTakeFirst();
}

/**
 * The deletion's dead letter: every attempt failed, so the account is still there. The request is
 * marked failed (kept until an operator finishes it: retention only purges finished requests) and
 * logged at error level; the person is told by email that it is not done yet. Idempotent.
 */
export async function failDeletion(deps: Deps, requestId: string) {
  const row = await deps.db.updateTable('deletion_request').set({ status: 'failed' }).where('id', '=', requestId).where('status', '=', 'pending').returning(['id', 'user_id']).executeTakeFirst();
  if (!row) return;
  deps.log.error('account deletion failed after its retries; finish it by hand (docs/operations.md)', { deletionRequestId: requestId });
  await audit(deps.db, row.user_id, 'deletion.failed', { requestId });
  const user = await deps.db.selectFrom('user').select(['email']).where('id', '=', row.user_id).executeTakeFirst();
  if (user) {
    await deps.mailer.send(
      composeMail({
        to: user.email,
        subject: 'Your Flux Klein account is not deleted yet',
        heading: 'Deleting your account failed',
        paragraphs: ['Something went wrong on our side while deleting your account and its data. Our team has been alerted and will finish it; you do not need to do anything.'],
        reason: 'You got this message because you asked for your account to be deleted.',
      }),
    );
  }
}

/** A stable pseudonym for records that are kept (billing, audit): not reversible without our data. */
export const pseudonym = (userId: string) => `deleted-${createHash('sha256').update(`user:${userId}`).digest('hex').slice(0, 16)}`;

/**
 * The deletion job: erases the account (eraseUser) once the grace period is over. Idempotent: a
 * retry or a second run deletes nothing twice.
 */
export async function runDeletion(deps: Deps, requestId: string, now = new Date()) {
  const req = await deps.db.selectFrom('deletion_request').selectAll().where('id', '=', requestId).executeTakeFirst();
  if (!req || req.status !== 'pending' || req.scheduled_for.getTime() > now.getTime()) return;
  await eraseUser(deps, req.user_id, { now, requestId });
}

type EraseDeps = Pick<Deps, 'db' | 'storage' | 'log'>;

/** Where the deletion log is mirrored in storage (it outlives a lost database: see replayDeletions). */
const DELETION_LOG_PREFIX = 'deletion-log/';
const DELETED_USER = 'A deleted user';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `text` with every whole-word occurrence of one of `names` replaced. */
function withoutNames(text: string, names: string[]): string {
  let out = text;
  for (const n of names) if (n.trim()) out = out.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(n.trim())}(?![\\p{L}\\p{N}])`, 'giu'), DELETED_USER);
  return out;
}

/**
 * Removes a user's authorship from one board document, as a Yjs change stored through the same
 * path every server-side edit takes (the processes holding the board live apply it and pass it on
 * to their clients), then compacts the board: the stored history, whose old updates still hold the
 * removed values, is replaced by one fresh snapshot in which the removed content is garbage-collected.
 * Items showing the user's own generations (deleted with them) go; notes they wrote stay, anonymous
 * (docs/decisions/0009-deleted-authors-on-team-boards.md).
 */
async function scrubBoard(db: Deps['db'], boardId: string, userId: string, generationIds: Set<string>, assetIds: Set<string>): Promise<void> {
  await editBoardFromServer(db, boardId, (doc) => scrubDoc(doc, userId, generationIds, assetIds));
  // Always (also when a previous attempt already made the change): the old history must go.
  await compactBoard(db, boardId);
}

/** The user's authorship out of one board document (see scrubBoard); true when something changed. */
function scrubDoc(doc: Y.Doc, userId: string, generationIds: Set<string>, assetIds: Set<string>): boolean {
  {
    let changed = false;
    // "Ada restored …" (server/shared/board-versions.ts) names its author.
    const meta = doc.getMap(META);
    if (JSON.stringify(meta.get('restored') ?? null).includes(userId)) {
      meta.delete('restored');
      changed = true;
    }
    const items = itemsOf(doc);
    for (const [id, m] of [...items.entries()]) {
      if (!(m instanceof Y.Map)) continue;
      const gen = m.get('generationId');
      const asset = m.get('assetId');
      if ((typeof gen === 'string' && generationIds.has(gen)) || (typeof asset === 'string' && assetIds.has(asset))) {
        items.delete(id);
        changed = true;
        continue;
      }
      for (const [k, v] of [...m.entries()]) {
        if (typeof v === 'string' && v.includes(userId)) {
          m.delete(k);
          changed = true;
        }
      }
    }
    return changed;
  }
}

/** Files no row will point at once the user is gone: outputs of their generations that never committed an asset. */
async function orphanOutputsOf(deps: EraseDeps, generations: { id: string; workspace_id: string }[]): Promise<string[]> {
  const byWorkspace = new Map<string, Set<string>>();
  for (const g of generations) {
    if (!byWorkspace.has(g.workspace_id)) byWorkspace.set(g.workspace_id, new Set());
    byWorkspace.get(g.workspace_id)!.add(g.id);
  }
  const keys: string[] = [];
  for (const [ws, ids] of byWorkspace) {
    for await (const f of deps.storage.list(`ws/${ws}/out/`)) {
      const name = f.key.slice(f.key.lastIndexOf('/') + 1);
      if (ids.has(name.slice(0, 36))) keys.push(f.key);
    }
  }
  return keys;
}

/**
 * Erases one user: their files (including outputs of attempts killed before they committed), prompts,
 * generations, sessions, accounts, 2FA, logs, invitations sent to them, auth verification rows, their
 * name in other members' notifications and their authorship inside board documents; hands team
 * workspaces they own to another admin (or member), deletes the rest; keeps billing and audit
 * records under a pseudonym, and records the pseudonym in the deletion log so that a restore of an
 * older backup erases them again. Safe to run again (a replay after a restore does).
 */
export async function eraseUser(deps: EraseDeps, userId: string, opts: { now?: Date; requestId?: string } = {}) {
  const now = opts.now ?? new Date();
  const subject = pseudonym(userId);
  const user = await deps.db.selectFrom('user').select(['name', 'email']).where('id', '=', userId).executeTakeFirst();
  const files = await deps.db.selectFrom('asset').select(['id', 'storage_key']).where('user_id', '=', userId).execute();
  const exports = await deps.db.selectFrom('data_export').select('storage_key').where('user_id', '=', userId).execute();
  const generations = await deps.db.selectFrom('generation').select(['id', 'workspace_id']).where('user_id', '=', userId).execute();

  // Recorded first: should this run stop half-way, a restore still knows to finish it.
  await deps.storage.put(`${DELETION_LOG_PREFIX}${subject}`, Buffer.from(now.toISOString()));
  await deps.db.insertInto('deletion_log').values({ subject, deleted_at: now }).onConflict((oc) => oc.column('subject').doNothing()).execute();

  // Board documents: every board whose stored bytes hold the user's id, they wrote to, or shows their generations.
  const idBytes = Buffer.from(userId, 'utf8');
  const boards = await sql<{ id: string }>`
    select b.id from board b where b.created_by = ${userId}
      or exists (select 1 from board_update u where u.board_id = b.id and (u.user_id = ${userId} or position(${idBytes}::bytea in u.update) > 0))
      or exists (select 1 from board_snapshot s where s.board_id = b.id and position(${idBytes}::bytea in s.state) > 0)
      or exists (select 1 from generation g where g.board_id = b.id and g.user_id = ${userId})`.execute(deps.db);
  const generationIds = new Set(generations.map((g) => g.id));
  const assetIds = new Set(files.map((f) => f.id));
  for (const b of boards.rows) await scrubBoard(deps.db, b.id, userId, generationIds, assetIds);
  // Board versions (server/boards/versions.ts) are whole documents too: each one that holds the id is rewritten without it.
  await rewriteVersionsHolding(deps.db, idBytes, (doc) => scrubDoc(doc, userId, generationIds, assetIds));

  const orphans = await orphanOutputsOf(deps, generations);
  await Promise.all([
    ...files.flatMap((f) => [deps.storage.delete(f.storage_key), ...allThumbKeys(f.id).map((k) => deps.storage.delete(k))]),
    ...exports.filter((e) => e.storage_key).map((e) => deps.storage.delete(e.storage_key!)),
    ...orphans.map((k) => deps.storage.delete(k)),
  ]);
  for await (const f of deps.storage.list(`exports/${userId}/`)) await deps.storage.delete(f.key);

  const gone = await deps.db.transaction().execute(async (trx) => {
    const memberOf = await trx.selectFrom('membership').select('workspace_id').where('user_id', '=', userId).execute();
    const owned = await trx.selectFrom('membership').innerJoin('workspace', 'workspace.id', 'membership.workspace_id').select(['workspace.id', 'workspace.kind']).where('membership.user_id', '=', userId).where('membership.role', '=', 'owner').execute();
    const deleted: string[] = [];
    for (const ws of owned) {
      const heir =
        ws.kind === 'team'
          ? await trx
              .selectFrom('membership')
              .select('user_id')
              .where('workspace_id', '=', ws.id)
              .where('user_id', '!=', userId)
              .orderBy(sql`case role when 'admin' then 0 when 'editor' then 1 else 2 end`)
              .orderBy('created_at')
              .executeTakeFirst()
          : undefined;
      if (heir) await trx.updateTable('membership').set({ role: 'owner' }).where('workspace_id', '=', ws.id).where('user_id', '=', heir.user_id).execute();
      else {
        // Billing records of a workspace that goes away are kept, detached from it (see migration 0051).
        await trx.deleteFrom('workspace').where('id', '=', ws.id).execute();
        // Its boards' share links went with it: whoever watches through one is disconnected on commit.
        await publish(trx, { k: 'unlink', w: ws.id });
        deleted.push(ws.id);
      }
    }
    if (user) {
      // Their name (or address, shown when there is no name) in what other members were told.
      const invitations = await trx
        .selectFrom('invitation')
        .select('id')
        .where((eb) => eb.or([eb('invited_by', '=', userId), eb('accepted_by', '=', userId), eb(sql`lower(email)`, '=', user.email.toLowerCase())]))
        .execute();
      const workspaceIds = memberOf.map((m) => m.workspace_id);
      const told = await trx
        .selectFrom('notification')
        .select(['id', 'title', 'body', 'ref'])
        .where('user_id', '!=', userId)
        .where((eb) =>
          eb.or([
            ...(workspaceIds.length ? [eb('workspace_id', 'in', workspaceIds)] : []),
            ...(invitations.length ? [eb('ref', 'in', invitations.map((i) => i.id))] : []),
            eb(sql`position(${userId} in ref)`, '>', 0),
          ]),
        )
        .execute();
      const names = [user.name, user.email];
      for (const n of told) {
        const title = withoutNames(n.title, names);
        const body = n.body === null ? null : withoutNames(n.body, names);
        const ref = n.ref.split(userId).join(subject);
        if (title !== n.title || body !== n.body || ref !== n.ref) await trx.updateTable('notification').set({ title, body, ref }).where('id', '=', n.id).execute();
      }
      // Invitations sent to them (pending or used): their address.
      await trx
        .deleteFrom('invitation')
        .where((eb) => eb.or([eb('accepted_by', '=', userId), eb(sql`lower(email)`, '=', user.email.toLowerCase())]))
        .execute();
      // better-auth's verification rows (password reset, 2FA, OAuth state) name the user by id or address.
      await trx
        .deleteFrom('verification')
        .where((eb) =>
          eb.or([
            eb(sql`position(${userId} in value)`, '>', 0),
            eb(sql`position(${userId} in identifier)`, '>', 0),
            eb(sql`position(${user.email.toLowerCase()} in lower(value))`, '>', 0),
            eb(sql`position(${user.email.toLowerCase()} in lower(identifier))`, '>', 0),
          ]),
        )
        .execute();
    }
    await trx.deleteFrom('asset').where('user_id', '=', userId).execute();
    await trx.deleteFrom('generation').where('user_id', '=', userId).execute();
    await trx.updateTable('credit_ledger').set({ user_id: subject }).where('user_id', '=', userId).execute();
    await trx.updateTable('credit_ledger').set({ ref: subject }).where('ref', '=', userId).execute();
    await trx.updateTable('audit_log').set({ user_id: subject }).where('user_id', '=', userId).execute();
    // Moderation (ADR 0013): an operator's decisions name them in detail.operator; the notes they
    // wrote when reporting are their words (the report itself stays, without a reporter).
    await trx.updateTable('audit_log').set({ detail: sql`jsonb_set(detail, '{operator}', to_jsonb(${subject}::text))` }).where(sql<boolean>`detail->>'operator' = ${userId}`).execute();
    await trx.updateTable('report').set({ note: null }).where('reporter_id', '=', userId).execute();
    // Board comments stay for the team, without an author (docs/decisions/0018-board-comments.md).
    await detachCommentAuthor(trx, userId);
    await trx.deleteFrom('user').where('id', '=', userId).execute(); // sessions, accounts, memberships, exports, 2FA cascade
    await trx.updateTable('deletion_request').set({ status: 'completed', finished_at: now, user_id: subject }).where('user_id', '=', userId).execute();
    if (opts.requestId) await trx.updateTable('deletion_request').set({ status: 'completed', finished_at: now, user_id: subject }).where('id', '=', opts.requestId).execute();
    await audit(trx, subject, opts.requestId ? 'deletion.completed' : 'deletion.replayed', { ...(opts.requestId ? { requestId: opts.requestId } : {}), files: files.length });
    return deleted;
  });
  // Whatever is left under a deleted workspace's prefix (its files' rows went with it).
  for (const ws of gone) for await (const f of deps.storage.list(`ws/${ws}/`)) await deps.storage.delete(f.key);
}

/** Every pseudonym in the deletion log: the table, and its mirror in storage (for a database lost and restored). */
async function deletionSubjects(deps: EraseDeps): Promise<Set<string>> {
  const rows = await deps.db.selectFrom('deletion_log').select('subject').execute();
  const subjects = new Set(rows.map((r) => r.subject));
  for await (const f of deps.storage.list(DELETION_LOG_PREFIX)) subjects.add(f.key.slice(DELETION_LOG_PREFIX.length));
  return subjects;
}

/**
 * After a restore: erases again every account deleted since the backup was taken (the deletion log
 * names them by pseudonym; the users whose id hashes to one are found and erased). Returns how many.
 */
export async function replayDeletions(deps: EraseDeps, now = new Date()): Promise<number> {
  const subjects = [...(await deletionSubjects(deps))];
  if (subjects.length === 0) return 0;
  const users = await sql<{ id: string }>`
    select id from "user" where 'deleted-' || left(encode(sha256(convert_to('user:' || id, 'UTF8')), 'hex'), 16) = any(${subjects})`.execute(deps.db);
  for (const u of users.rows) await eraseUser(deps, u.id, { now });
  if (users.rows.length) deps.log.info('restore: deletions replayed', { users: users.rows.length });
  return users.rows.length;
}

/** Deletion log entries older than every backup that could hold the account (plus a margin): no restore needs them. */
export async function pruneDeletionLog(deps: EraseDeps & Pick<Deps, 'config'>, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - (deps.config.retention.backupDays + DELETION_LOG_MARGIN_DAYS) * DAY);
  const old = await deps.db.deleteFrom('deletion_log').where('deleted_at', '<', cutoff).returning('subject').execute();
  let removed = old.length;
  for await (const f of deps.storage.list(DELETION_LOG_PREFIX)) {
    if (f.modifiedAt.getTime() < cutoff.getTime()) {
      await deps.storage.delete(f.key);
      if (!old.some((o) => `${DELETION_LOG_PREFIX}${o.subject}` === f.key)) removed++;
    }
  }
  return removed;
}

/** Days the deletion log outlives the backup retention: a backup job or retention run that is late still finds its entries. */
export const DELETION_LOG_MARGIN_DAYS = 7;
