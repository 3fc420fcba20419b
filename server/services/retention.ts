import { sql, type ExpressionBuilder } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Deps } from './deps.js';

/**
 * Retention: data the product keeps only for a limited time is removed by scheduled jobs.
 * Each task takes `now` (tests control time), is idempotent, and reports counts, never contents.
 */
export interface RetentionResult {
  task: string;
  removed: number;
}

const DAY = 86_400_000;

/**
 * An output nobody kept: not saved, not a favourite, on no board (board_asset) and no generation's
 * reference. Checked in the statement that deletes, so an asset placed on a board meanwhile stays.
 */
function unkept(eb: ExpressionBuilder<DB, 'asset'>) {
  return eb.and([
    eb('asset.source', '=', 'output'),
    eb('asset.saved', '=', false),
    eb('asset.favorite', '=', false),
    eb.not(eb.exists(eb.selectFrom('board_asset').select('board_asset.asset_id').whereRef('board_asset.asset_id', '=', 'asset.id'))),
    eb.not(eb.exists(eb.selectFrom('generation_reference').select('generation_reference.asset_id').whereRef('generation_reference.asset_id', '=', 'asset.id'))),
  ]);
}

/**
 * Outputs nobody chose to keep are removed after the configured period: their rows, then their
 * files and thumbnails. Uploads, saved and favourite outputs, and outputs shown on a board or used
 * as a reference stay until the user deletes them.
 */
export async function purgeUnsavedOutputs(deps: Deps, now = new Date()): Promise<RetentionResult> {
  const cutoff = new Date(now.getTime() - deps.config.retention.unsavedOutputDays * DAY);
  let removed = 0;
  for (;;) {
    const batch = await deps.db.selectFrom('asset').select('id').where(unkept).where('created_at', '<', cutoff).orderBy('created_at').limit(200).execute();
    if (batch.length === 0) break;
    // Rows first, re-checked in the delete: only what is really gone loses its file (a crash in
    // between leaves an orphaned file, never a board or library item whose image is missing).
    const deleted = await deps.db
      .deleteFrom('asset')
      .where('id', 'in', batch.map((a) => a.id))
      .where(unkept)
      .returning(['id', 'storage_key'])
      .execute();
    await Promise.all(deleted.flatMap((a) => [deps.storage.delete(a.storage_key), deps.storage.delete(`thumbs/${a.id}.webp`)]));
    removed += deleted.length;
    if (deleted.length === 0) break;
  }
  deps.log.info('retention: unsaved outputs removed', { removed, olderThanDays: deps.config.retention.unsavedOutputDays });
  return { task: 'unsaved-outputs', removed };
}

/** Data exports are removed (file and row) once their download link has expired. */
export async function purgeExpiredExports(deps: Deps, now = new Date()): Promise<RetentionResult> {
  const expired = await deps.db.selectFrom('data_export').select(['id', 'storage_key']).where('expires_at', '<', now).execute();
  await Promise.all(expired.filter((e) => e.storage_key).map((e) => deps.storage.delete(e.storage_key!)));
  if (expired.length) await deps.db.deleteFrom('data_export').where('id', 'in', expired.map((e) => e.id)).execute();
  deps.log.info('retention: expired exports removed', { removed: expired.length });
  return { task: 'expired-exports', removed: expired.length };
}

/** Rows that only live for a period: usage logs, analytics events, finished deletion requests. */
function purgeOlderThan(task: string, table: 'usage_log' | 'analytics_event' | 'deletion_request', column: 'at' | 'created_at' | 'finished_at', days: (d: Deps) => number) {
  return async (deps: Deps, now = new Date()): Promise<RetentionResult> => {
    const cutoff = new Date(now.getTime() - days(deps) * DAY);
    const res = await deps.db.deleteFrom(table).where(sql.ref(column), '<', cutoff).executeTakeFirst();
    const removed = Number(res.numDeletedRows);
    deps.log.info(`retention: ${task} removed`, { removed });
    return { task, removed };
  };
}

export const purgeUsageLogs = purgeOlderThan('usage-logs', 'usage_log', 'at', (d) => d.config.retention.usageLogDays);
export const purgeAnalytics = purgeOlderThan('analytics-events', 'analytics_event', 'created_at', (d) => d.config.retention.analyticsDays);
export const purgeFinishedDeletionRequests = purgeOlderThan('finished-deletion-requests', 'deletion_request', 'finished_at', (d) => d.config.retention.deletionRequestDays);

/** Backups older than their period: file and record. */
export async function purgeOldBackups(deps: Deps, now = new Date()): Promise<RetentionResult> {
  const cutoff = new Date(now.getTime() - deps.config.retention.backupDays * DAY);
  const old = await deps.db.selectFrom('backup').select(['id', 'storage_key']).where('created_at', '<', cutoff).execute();
  await Promise.all(old.map((b) => deps.storage.delete(b.storage_key)));
  if (old.length) await deps.db.deleteFrom('backup').where('id', 'in', old.map((b) => b.id)).execute();
  deps.log.info('retention: old backups removed', { removed: old.length });
  return { task: 'backups', removed: old.length };
}

/** Every retention task, in order; the scheduled job runs them all. Billing and audit records are kept. */
export const retentionTasks: ((deps: Deps, now?: Date) => Promise<RetentionResult>)[] = [
  purgeUnsavedOutputs,
  purgeExpiredExports,
  purgeUsageLogs,
  purgeAnalytics,
  purgeFinishedDeletionRequests,
  purgeOldBackups,
];

export async function runRetention(deps: Deps, now = new Date()): Promise<RetentionResult[]> {
  const results: RetentionResult[] = [];
  for (const task of retentionTasks) results.push(await task(deps, now));
  return results;
}
