import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { sql } from 'kysely';
import yazl from 'yazl';
import { composeMail } from '../mail/index.js';
import { AppError } from '../shared/errors.js';
import { rooms } from '../shared/realtime.js';
import { audit } from './audit.js';
import { notify } from './notifications.js';
import type { Actor, Deps } from './deps.js';

export const EXPORT_QUEUE = 'export';
export const DELETION_QUEUE = 'deletion';
const DAY = 86_400_000;

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
    db.selectFrom('asset').select(['id', 'workspace_id', 'generation_id', 'source', 'media', 'mime', 'size_bytes', 'width', 'height', 'sha256', 'saved', 'favorite', 'tags', 'original_name', 'created_at', 'storage_key']).where('user_id', '=', userId).orderBy('created_at').execute(),
    db.selectFrom('data_export').select(['id', 'status', 'created_at']).where('user_id', '=', userId).execute(),
    db.selectFrom('audit_log').select(['action', 'detail', 'created_at']).where('user_id', '=', userId).orderBy('created_at').execute(),
    db.selectFrom('consent_record').select(['preferences', 'analytics', 'policy_version', 'source', 'ip_network', 'created_at']).where('user_id', '=', userId).orderBy('created_at').execute(),
    db.selectFrom('usage_log').select(['at', 'method', 'route', 'status', 'error_code', 'device', 'ip_network']).where('user_id', '=', userId).orderBy('at').execute(),
    db.selectFrom('analytics_event').select(['name', 'path', 'created_at']).where('user_id', '=', userId).orderBy('created_at').execute(),
    db.selectFrom('notification').select(['kind', 'title', 'body', 'link', 'read_at', 'created_at']).where('user_id', '=', userId).orderBy('created_at').execute(),
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
  return {
    format: 'flux-klein-export/1',
    exportedAt: new Date().toISOString(),
    account: user,
    authProviders: accounts.map((a) => ({ provider: a.providerId, providerAccountId: a.providerId === 'credential' ? null : a.accountId, linkedAt: a.createdAt })),
    sessions,
    workspaces: memberships,
    generations,
    assets: assets.map(({ storage_key, ...a }) => ({ ...a, file: `files/${a.id}.${storage_key.split('.').pop()}` })),
    credits: ledger,
    billing: { customers, subscriptions, invoices },
    exports,
    consentRecords: consents,
    usageLog: usage,
    analyticsEvents: analytics,
    notifications,
    auditLog: audits,
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
  const zip = new yazl.ZipFile();
  const out = new PassThrough();
  zip.outputStream.pipe(out);
  const key = `exports/${row.user_id}/${exportId}.zip`;
  const opened: Readable[] = [];
  // A failed write ends the attempt (the job retries, then its dead letter marks the export failed):
  // stop feeding the ZIP and close the files it had opened.
  const writing = deps.storage.putStream(key, out).catch((err: unknown) => {
    out.destroy();
    for (const f of opened) f.destroy();
    throw err;
  });
  writing.catch(() => undefined); // awaited below; handled here so a failure while files are still being opened is not "unhandled"
  zip.addBuffer(Buffer.from(JSON.stringify(data, null, 2)), 'data.json');
  zip.addBuffer(Buffer.from(README), 'README.txt');
  const files = await deps.db.selectFrom('asset').select(['id', 'storage_key']).where('user_id', '=', row.user_id).execute();
  for (const f of files) {
    try {
      const stream = await deps.storage.read(f.storage_key);
      opened.push(stream);
      zip.addReadStream(stream, `files/${f.id}.${f.storage_key.split('.').pop()}`, { compress: false });
    } catch {
      /* a file already removed by retention: the JSON still lists the record */
    }
  }
  zip.end();
  const size = await writing;
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
generations with their prompts and parameters, assets, credits and billing metadata of workspaces
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

/** Cancels a pending deletion (called when the person signs in during the grace period). */
export async function cancelDeletion(deps: Pick<Deps, 'db'>, userId: string): Promise<boolean> {
  const r = await deps.db.updateTable('deletion_request').set({ status: 'canceled', finished_at: new Date() }).where('user_id', '=', userId).where('status', '=', 'pending').returning('id').executeTakeFirst();
  if (r) await audit(deps.db, userId, 'deletion.canceled', { requestId: r.id });
  return Boolean(r);
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
  deps.log.error('account deletion failed after its retries; finish it by hand (docs/operations.md)', { requestId });
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
 * The deletion job: removes the user's files, prompts, generations, sessions, accounts and logs;
 * hands team workspaces they own to another admin (or member), deletes the rest; keeps billing and
 * audit records under a pseudonym. Idempotent: a retry or a second run deletes nothing twice.
 */
export async function runDeletion(deps: Deps, requestId: string, now = new Date()) {
  const req = await deps.db.selectFrom('deletion_request').selectAll().where('id', '=', requestId).executeTakeFirst();
  if (!req || req.status !== 'pending' || req.scheduled_for.getTime() > now.getTime()) return;
  const userId = req.user_id;
  const files = await deps.db.selectFrom('asset').select(['id', 'storage_key']).where('user_id', '=', userId).execute();
  const exports = await deps.db.selectFrom('data_export').select('storage_key').where('user_id', '=', userId).execute();
  await Promise.all([
    ...files.flatMap((f) => [deps.storage.delete(f.storage_key), deps.storage.delete(`thumbs/${f.id}.webp`)]),
    ...exports.filter((e) => e.storage_key).map((e) => deps.storage.delete(e.storage_key!)),
  ]);
  await deps.db.transaction().execute(async (trx) => {
    const owned = await trx.selectFrom('membership').innerJoin('workspace', 'workspace.id', 'membership.workspace_id').select(['workspace.id', 'workspace.kind']).where('membership.user_id', '=', userId).where('membership.role', '=', 'owner').execute();
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
      }
    }
    await trx.deleteFrom('asset').where('user_id', '=', userId).execute();
    await trx.deleteFrom('generation').where('user_id', '=', userId).execute();
    await trx.updateTable('credit_ledger').set({ user_id: pseudonym(userId) }).where('user_id', '=', userId).execute();
    await trx.updateTable('credit_ledger').set({ ref: pseudonym(userId) }).where('ref', '=', userId).execute();
    await trx.updateTable('audit_log').set({ user_id: pseudonym(userId) }).where('user_id', '=', userId).execute();
    await trx.deleteFrom('user').where('id', '=', userId).execute(); // sessions, accounts, memberships, exports, 2FA cascade
    await trx.updateTable('deletion_request').set({ status: 'completed', finished_at: now, user_id: pseudonym(userId) }).where('id', '=', requestId).execute();
    await audit(trx, pseudonym(userId), 'deletion.completed', { requestId, files: files.length });
  });
}
