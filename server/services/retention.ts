import { sql, type ExpressionBuilder } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Deps } from './deps.js';
import { pruneDeletionLog } from './privacy.js';
import { thinVersions } from '../boards/versions.js';
import { allThumbKeys } from './thumbnails.js';

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
    await Promise.all(deleted.flatMap((a) => [deps.storage.delete(a.storage_key), ...allThumbKeys(a.id).map((k) => deps.storage.delete(k))]));
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
function purgeOlderThan(task: string, table: 'usage_log' | 'analytics_event' | 'deletion_request' | 'webhook_delivery', column: 'at' | 'created_at' | 'finished_at', days: (d: Deps) => number) {
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
/** The webhooks' delivery log (its payloads carry prompts): WEBHOOK_LOG_RETENTION_DAYS. */
export const purgeWebhookDeliveries = purgeOlderThan('webhook-deliveries', 'webhook_delivery', 'created_at', (d) => d.config.webhooks.logRetentionDays);

/** Backups older than their period: file and record. */
export async function purgeOldBackups(deps: Deps, now = new Date()): Promise<RetentionResult> {
  const cutoff = new Date(now.getTime() - deps.config.retention.backupDays * DAY);
  const old = await deps.db.selectFrom('backup').select(['id', 'storage_key']).where('created_at', '<', cutoff).execute();
  await Promise.all(old.map((b) => deps.storage.delete(b.storage_key)));
  if (old.length) await deps.db.deleteFrom('backup').where('id', 'in', old.map((b) => b.id)).execute();
  deps.log.info('retention: old backups removed', { removed: old.length });
  return { task: 'backups', removed: old.length };
}

/** A file must be this old before the sweep may call it an orphan: an attempt still writing has not committed its row yet. */
const ORPHAN_GRACE_MS = DAY;

/**
 * Files no row points at: outputs written by an attempt killed between storage and commit, uploads
 * whose row never committed, thumbnails of deleted assets (so also every file of a workspace that
 * was deleted). Only files older than a day, and never the outputs of a generation still queued
 * or running (its commit may be on its way).
 */
export async function purgeOrphanFiles(deps: Deps, now = new Date()): Promise<RetentionResult> {
  const before = now.getTime() - ORPHAN_GRACE_MS;
  let removed = 0;
  const sweep = async (candidates: string[]) => {
    if (candidates.length === 0) return;
    const thumbIds = candidates.flatMap((k) => THUMB_KEY.exec(k)?.slice(1, 2) ?? []);
    const outGens = candidates.flatMap((k) => OUTPUT_KEY.exec(k)?.slice(1, 2) ?? []);
    const [keyed, thumbed, unfinished] = await Promise.all([
      deps.db.selectFrom('asset').select('storage_key').where('storage_key', 'in', candidates).execute(),
      thumbIds.length ? deps.db.selectFrom('asset').select('id').where('id', 'in', thumbIds).execute() : [],
      outGens.length ? deps.db.selectFrom('generation').select('id').where('id', 'in', outGens).where('status', 'in', ['queued', 'running']).execute() : [],
    ]);
    const kept = new Set([...keyed.map((k) => k.storage_key), ...thumbed.flatMap((a) => allThumbKeys(a.id))]);
    const running = new Set(unfinished.map((g) => g.id));
    for (const key of candidates) {
      if (kept.has(key) || !(THUMB_KEY.test(key) || MEDIA_KEY.test(key))) continue;
      const gen = OUTPUT_KEY.exec(key)?.[1];
      if (gen && running.has(gen)) continue;
      await deps.storage.delete(key);
      removed++;
    }
  };
  for (const prefix of ['ws/', 'thumbs/']) {
    let batch: string[] = [];
    for await (const f of deps.storage.list(prefix)) {
      if (f.modifiedAt.getTime() >= before) continue;
      batch.push(f.key);
      if (batch.length >= 500) {
        await sweep(batch);
        batch = [];
      }
    }
    await sweep(batch);
  }
  deps.log.info('retention: orphaned files removed', { removed });
  return { task: 'orphan-files', removed };
}

/** Storage keys the services write (generations.ts, assets.ts): outputs, uploads, thumbnails. */
const OUTPUT_KEY = /^ws\/[0-9a-f-]{36}\/out\/([0-9a-f-]{36})-/;
const MEDIA_KEY = /^ws\/[0-9a-f-]{36}\/(out|up)\//;
const THUMB_KEY = /^thumbs\/([0-9a-f-]{36})(?:-\d+)?\.webp$/;

/** Deletion log entries no restore can need any more (every backup that held the account has expired). */
export async function purgeDeletionLog(deps: Deps, now = new Date()): Promise<RetentionResult> {
  const removed = await pruneDeletionLog(deps, now);
  deps.log.info('retention: deletion log pruned', { removed });
  return { task: 'deletion-log', removed };
}

/** Every retention task, in order; the scheduled job runs them all. Billing and audit records are kept. */
/** Automatic board versions older than 30 days are thinned to one a day; named ones are kept (server/boards/versions.ts). */
export async function thinBoardVersions(deps: Deps, now = new Date()): Promise<RetentionResult> {
  return { task: 'thinBoardVersions', removed: await thinVersions(deps.db, now) };
}

export const retentionTasks: ((deps: Deps, now?: Date) => Promise<RetentionResult>)[] = [
  thinBoardVersions,
  purgeUnsavedOutputs,
  purgeExpiredExports,
  purgeUsageLogs,
  purgeAnalytics,
  purgeFinishedDeletionRequests,
  purgeWebhookDeliveries,
  purgeOldBackups,
  purgeOrphanFiles,
  purgeDeletionLog,
];

export async function runRetention(deps: Deps, now = new Date()): Promise<RetentionResult[]> {
  const results: RetentionResult[] = [];
  for (const task of retentionTasks) results.push(await task(deps, now));
  return results;
}
