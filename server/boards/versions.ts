/**
 * Version history of a board (issue 17): stored states of the whole board (`board_version`, the
 * encoded Yjs state), named by an editor or made automatically (at most once per ten minutes of
 * activity, and before every restore).
 *
 * - A preview is read from the stored state in a document of its own, never by replaying into the
 *   live document; what changed since is its items compared with the board's stored state now.
 * - Restoring is a NEW change on the live document, made by the restorer's browser with the origin
 *   its undo manager tracks (server/shared/board-versions.ts `restoreItems`): it is accepted, fanned
 *   out from memory, stored by group commit and acknowledged after the commit like every edit
 *   (docs/decisions/0010), the append statement checks the role again, every client converges
 *   without reloading, and Ctrl+Z undoes it. `prepareRestore` checks the role first, keeps the
 *   board as it is now as an automatic version ("Before restoring …"), and hands over the old items.
 * - Automatic versions older than 30 days are thinned to one a day (the day's last); named ones stay.
 * - Versions count towards the board's size limit (store.ts adds their bytes to the board's size).
 */
import { sql, type Kysely } from 'kysely';
import * as Y from 'yjs';
import type { DB } from '../../db/schema.js';
import type { Actor } from '../services/deps.js';
import { diffItems, docFromState, itemFields, type ItemFields, type VersionDiff } from '../shared/board-versions.js';
import { itemsOf } from '../shared/board.js';
import { AppError } from '../shared/errors.js';
import { can, deniedReason } from '../shared/permissions.js';
import { boardAccess } from './access.js';
import { loadBoardDoc, loadBoardState } from './store.js';

export { versionBytes } from './store.js';

export const AUTO_VERSION_EVERY_MS = 10 * 60_000;
export const THIN_AFTER_DAYS = 30;
const DAY = 86_400_000;
const LIST_LIMIT = 200;

export interface VersionView {
  id: string;
  kind: 'named' | 'auto';
  name: string | null;
  itemCount: number;
  bytes: number;
  createdAt: Date;
  createdBy: { id: string; name: string } | null;
}

type VersionRow = { id: string; kind: 'named' | 'auto'; name: string | null; item_count: number; bytes: number; created_at: Date; created_by: string | null; creator_name: string | null };
const toView = (r: VersionRow): VersionView => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  itemCount: r.item_count,
  bytes: r.bytes,
  createdAt: r.created_at,
  createdBy: r.created_by ? { id: r.created_by, name: r.creator_name ?? 'Someone' } : null,
});

type Db = Kysely<DB>;

function versionQuery(db: Db) {
  return db
    .selectFrom('board_version as v')
    .leftJoin('user as u', 'u.id', 'v.created_by')
    .select(['v.id', 'v.kind', 'v.name', 'v.item_count', 'v.bytes', 'v.created_at', 'v.created_by', 'u.name as creator_name']);
}

async function requireEditor(db: Db, actor: Actor, boardId: string) {
  const access = await boardAccess(db, actor, boardId);
  if (!can(access.role, 'board.edit')) throw new AppError('FORBIDDEN', { userMessage: deniedReason(access.role, 'board.edit') ?? undefined });
  return access;
}

/** The board's stored state now, kept as a version. Returns null when nothing changed since the latest version (only with `skipIfUnchanged`). */
export async function snapshotVersion(
  db: Db,
  boardId: string,
  v: { kind: 'named' | 'auto'; name: string | null; userId: string | null; skipIfUnchanged?: boolean; maxBoardBytes?: number },
): Promise<VersionView | null> {
  const doc = await loadBoardDoc(db, boardId);
  try {
    const state = Y.encodeStateAsUpdate(doc);
    const sv = Y.encodeStateVector(doc);
    const sameStateVector = (state: Uint8Array, vector: Uint8Array) => Buffer.compare(Buffer.from(Y.encodeStateVectorFromUpdate(state)), Buffer.from(vector)) === 0;
    if (v.skipIfUnchanged) {
      const latest = await db.selectFrom('board_version').select('state').where('board_id', '=', boardId).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
      if (latest && sameStateVector(latest.state, sv)) return null;
      // An empty board (a new one being started) is not worth a version.
      if (!latest && itemsOf(doc).size === 0) return null;
    }
    if (v.maxBoardBytes !== undefined) {
      const { bytes } = await loadBoardState(db, boardId);
      if (bytes + state.byteLength > v.maxBoardBytes) throw new AppError('BOARD_FULL', { userMessage: 'This board is at its size limit, so no version can be kept. Delete older named versions or remove some items.' });
    }
    const row = await db
      .insertInto('board_version')
      .values({ board_id: boardId, kind: v.kind, name: v.name, state: Buffer.from(state), item_count: Object.keys(itemFields(doc)).length, bytes: state.byteLength, created_by: v.userId })
      .returning('id')
      .executeTakeFirstOrThrow();
    return toView((await versionQuery(db).where('v.id', '=', row.id).executeTakeFirstOrThrow()) as VersionRow);
  } finally {
    doc.destroy();
  }
}

/** Every version of a board, newest first (members of its workspace). */
export async function listVersions(db: Db, actor: Actor, boardId: string): Promise<VersionView[]> {
  await boardAccess(db, actor, boardId);
  const rows = await versionQuery(db).where('v.board_id', '=', boardId).orderBy('v.created_at', 'desc').orderBy('v.id').limit(LIST_LIMIT).execute();
  return rows.map((r) => toView(r as VersionRow));
}

/** A named version of the board as it is stored now (editors and up). */
export async function createNamedVersion(db: Db, actor: Actor, boardId: string, name: string, maxBoardBytes: number): Promise<VersionView> {
  await requireEditor(db, actor, boardId);
  return (await snapshotVersion(db, boardId, { kind: 'named', name, userId: actor.userId, maxBoardBytes }))!;
}

async function loadVersion(db: Db, boardId: string, versionId: string) {
  const row = await versionQuery(db).select('v.state').where('v.id', '=', versionId).where('v.board_id', '=', boardId).executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND', { userMessage: 'That version was not found. It may have been thinned out or the board deleted.' });
  return { view: toView(row as VersionRow), state: row.state };
}

export interface VersionPreview {
  version: VersionView;
  /** the board's items in this version, read from the stored state */
  items: ItemFields;
  /** what changed from this version to the board as stored now */
  diff: VersionDiff;
}

/** A read-only preview of one version and what changed since (members of the workspace). */
export async function previewVersion(db: Db, actor: Actor, boardId: string, versionId: string): Promise<VersionPreview> {
  await boardAccess(db, actor, boardId);
  const { view, state } = await loadVersion(db, boardId, versionId);
  const then = docFromState(state);
  const now = await loadBoardDoc(db, boardId);
  try {
    const items = itemFields(then);
    return { version: view, items, diff: diffItems(items, itemFields(now)) };
  } finally {
    then.destroy();
    now.destroy();
  }
}

/**
 * Before a restore (editors and up): keeps the board as stored now as an automatic version and
 * returns the version's items, which the restorer's browser applies to the live document as a new
 * change (see the header). The append statement checks the role again when that change is stored.
 */
export async function prepareRestore(db: Db, actor: Actor, boardId: string, versionId: string): Promise<{ version: VersionView; items: ItemFields; before: VersionView | null }> {
  await requireEditor(db, actor, boardId);
  const { view, state } = await loadVersion(db, boardId, versionId);
  const label = view.name ?? `the version of ${view.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const before = await snapshotVersion(db, boardId, { kind: 'auto', name: `Before restoring “${label}”`.slice(0, 120), userId: actor.userId });
  const then = docFromState(state);
  try {
    return { version: view, items: itemFields(then), before };
  } finally {
    then.destroy();
  }
}

/**
 * Automatic versions older than THIN_AFTER_DAYS: of each board's day (UTC) only the last is kept.
 * Named versions are never removed. Idempotent: a second run finds nothing more to remove.
 */
export async function thinVersions(db: Db, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - THIN_AFTER_DAYS * DAY);
  const r = await sql`
    delete from board_version v using (
      select id, row_number() over (partition by board_id, date_trunc('day', created_at at time zone 'UTC') order by created_at desc, id desc) as n
      from board_version where kind = 'auto' and created_at < ${cutoff}
    ) ranked
    where v.id = ranked.id and ranked.n > 1`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/**
 * Activity on a board (an accepted edit): at most once per AUTO_VERSION_EVERY_MS per board, an
 * automatic version of its stored state, unless one was made within that time (by any process) or
 * nothing changed since the latest version. Checked in memory first, so edits cost nothing.
 */
export function createAutoVersions(db: Db, opts: { everyMs?: number; log?: { warn(msg: string, meta?: Record<string, unknown>): void } } = {}) {
  const everyMs = opts.everyMs ?? AUTO_VERSION_EVERY_MS;
  const lastCheck = new Map<string, number>();
  return {
    touched(boardId: string, userId: string): void {
      const now = Date.now();
      if (now - (lastCheck.get(boardId) ?? 0) < everyMs) return;
      lastCheck.set(boardId, now);
      // Old entries go: the map holds boards touched within the interval.
      if (lastCheck.size > 10_000) for (const [id, t] of lastCheck) if (now - t >= everyMs) lastCheck.delete(id);
      void (async () => {
        const recent = await db
          .selectFrom('board_version')
          .select('id')
          .where('board_id', '=', boardId)
          .where('kind', '=', 'auto')
          .where('created_at', '>', new Date(now - everyMs))
          .executeTakeFirst();
        if (recent) return;
        await snapshotVersion(db, boardId, { kind: 'auto', name: null, userId, skipIfUnchanged: true });
      })().catch((err) => opts.log?.warn('automatic board version failed', { boardId, err }));
    },
  };
}

/**
 * For a deleted user (server/services/privacy.ts): every version whose bytes hold `needle` (their
 * id). Automatic ones are removed (they may hold their drafts, which the board's own history no
 * longer does); named ones, kept on purpose by someone, are rewritten with `fn` applied (the
 * document is garbage-collected, so the removed values are not in the new state).
 */
export async function rewriteVersionsHolding(db: Db, needle: Uint8Array, fn: (doc: Y.Doc) => boolean | void): Promise<number> {
  const holding = sql<boolean>`position(${Buffer.from(needle)}::bytea in state) > 0`;
  await db.deleteFrom('board_version').where('kind', '=', 'auto').where(holding).execute();
  const rows = await sql<{ id: string; state: Uint8Array }>`select id, state from board_version where ${holding}`.execute(db);
  for (const r of rows.rows) {
    const doc = docFromState(r.state);
    try {
      doc.transact(() => void fn(doc));
      const state = Y.encodeStateAsUpdate(doc);
      await db
        .updateTable('board_version')
        .set({ state: Buffer.from(state), bytes: state.byteLength, item_count: itemsOf(doc).size })
        .where('id', '=', r.id)
        .execute();
    } finally {
      doc.destroy();
    }
  }
  return rows.rows.length;
}
