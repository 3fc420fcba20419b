/**
 * Boards: a Yjs document per board, stored as an append-only log of updates (board_update) plus a
 * compacted snapshot (board_snapshot). Every write goes through `appendBoardUpdate`, which checks
 * the writer's role, stores the update and announces it on the Postgres channel `fk_board` in ONE
 * statement: each process holding the board live applies it (server/realtime/boards.ts).
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import * as Y from 'yjs';
import type { z } from 'zod';
import type { DB, Role } from '../../db/schema.js';
import { fitSize, itemsOf, nextFreeSpot, putItem, readItem, readItems, setFields, type BoardItem, CreateBoardInput, RenameBoardInput } from '../shared/board.js';
import { AppError } from '../shared/errors.js';
import { applyStoredUpdates, quarantineUpdates, type StoredRow } from './board-integrity.js';
import { rooms } from '../shared/realtime.js';
import type { Actor, BoardsApi, Deps, GenerationChange } from './deps.js';
import { requireRole } from './workspaces.js';

export const BOARD_CHANNEL = 'fk_board';
/** NOTIFY payloads are capped at 8000 bytes: updates up to this size travel inline, larger ones are read back by id. */
const INLINE_UPDATE_BYTES = 5000;

/** A message on the board channel. */
export type BoardBusMessage =
  | { k: 'u'; b: string; i: number; o: string; u: string | null }
  /** presence (awareness update, base64) relayed from process `o` */
  | { k: 'a'; b: string; o: string; a: string }
  | { k: 'kick'; w: string; u: string | null; b?: string }
  | { k: 'join'; w: string; u: string }
  | { k: 'role'; w: string; u: string };

export interface BoardView {
  id: string;
  workspaceId: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

const toView = (b: { id: string; workspace_id: string; name: string; created_at: Date; updated_at: Date }): BoardView => ({
  id: b.id,
  workspaceId: b.workspace_id,
  name: b.name,
  createdAt: b.created_at,
  updatedAt: b.updated_at,
});

/** The board and the actor's role in its workspace; NOT_FOUND for non-members and unknown boards alike. */
export async function boardAccess(db: Kysely<DB>, actor: Actor, boardId: string): Promise<{ board: BoardView; role: Role }> {
  const row = await db
    .selectFrom('board')
    .innerJoin('membership', (j) => j.onRef('membership.workspace_id', '=', 'board.workspace_id').on('membership.user_id', '=', actor.userId))
    .select(['board.id', 'board.workspace_id', 'board.name', 'board.created_at', 'board.updated_at', 'membership.role'])
    .where('board.id', '=', boardId)
    .executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  return { board: toView(row), role: row.role };
}

export async function listBoards(deps: Pick<Deps, 'db'>, actor: Actor, workspaceId: string): Promise<BoardView[]> {
  await requireRole(deps.db, actor, workspaceId, 'viewer');
  const rows = await deps.db.selectFrom('board').selectAll().where('workspace_id', '=', workspaceId).orderBy('updated_at', 'desc').limit(200).execute();
  return rows.map(toView);
}

export async function getBoard(deps: Pick<Deps, 'db'>, actor: Actor, boardId: string) {
  const { board, role } = await boardAccess(deps.db, actor, boardId);
  return { ...board, role, readOnly: role === 'viewer' };
}

export async function createBoard(deps: Pick<Deps, 'db' | 'notifier'>, actor: Actor, raw: z.input<typeof CreateBoardInput>): Promise<BoardView> {
  const input = CreateBoardInput.parse(raw);
  await requireRole(deps.db, actor, input.workspaceId, 'editor');
  const row = await deps.db.insertInto('board').values({ workspace_id: input.workspaceId, name: input.name, created_by: actor.userId }).returningAll().executeTakeFirstOrThrow();
  deps.notifier.emit(rooms.workspace(input.workspaceId), 'workspace:changed', { workspaceId: input.workspaceId, what: 'boards' });
  return toView(row);
}

export async function renameBoard(deps: Pick<Deps, 'db' | 'notifier'>, actor: Actor, raw: z.input<typeof RenameBoardInput>): Promise<BoardView> {
  const input = RenameBoardInput.parse(raw);
  const { board } = await boardAccess(deps.db, actor, input.boardId);
  await requireRole(deps.db, actor, board.workspaceId, 'editor');
  const row = await deps.db.updateTable('board').set({ name: input.name, updated_at: new Date() }).where('id', '=', board.id).returningAll().executeTakeFirstOrThrow();
  deps.notifier.emit(rooms.workspace(board.workspaceId), 'workspace:changed', { workspaceId: board.workspaceId, what: 'boards' });
  return toView(row);
}

/** Admins and owners delete boards; everyone on it is told and removed from its room. */
export async function deleteBoard(deps: Pick<Deps, 'db' | 'notifier'>, actor: Actor, boardId: string): Promise<{ id: string }> {
  const { board } = await boardAccess(deps.db, actor, boardId);
  await requireRole(deps.db, actor, board.workspaceId, 'admin');
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('board').where('id', '=', board.id).execute();
    await publish(trx, { k: 'kick', w: board.workspaceId, u: null, b: board.id });
  });
  deps.notifier.emit(rooms.workspace(board.workspaceId), 'workspace:changed', { workspaceId: board.workspaceId, what: 'boards' });
  return { id: board.id };
}

export const boardsApi: BoardsApi = {
  async requireBoardInWorkspace(deps, boardId, workspaceId) {
    const b = await deps.db.selectFrom('board').select('id').where('id', '=', boardId).where('workspace_id', '=', workspaceId).executeTakeFirst();
    if (!b) throw new AppError('NOT_FOUND', { userMessage: 'That board was not found in this workspace.' });
  },
};

// ---- the Postgres channel ----

/** Announces a membership or board change to every process (they update their sockets' rooms). */
export async function publish(db: Kysely<DB>, msg: BoardBusMessage): Promise<void> {
  await sql`select pg_notify(${BOARD_CHANNEL}, ${JSON.stringify(msg)})`.execute(db);
}

/** Announces a message about one board to the other processes that hold it live, if there are any. */
export async function publishToOthers(db: Kysely<DB>, boardId: string, origin: string, msg: BoardBusMessage): Promise<void> {
  await sql`select pg_notify(${BOARD_CHANNEL}, ${JSON.stringify(msg)}) where exists (select 1 from board_live where board_id = ${boardId} and origin <> ${origin} and expires_at > now())`.execute(db);
}

// ---- which boards show which assets (board_asset) ----

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ASSET_KEY: keyof BoardItem = 'assetId';
const ASSET_KEY_BYTES = Buffer.from(ASSET_KEY);

/**
 * The asset ids an update sets on board items, read from the update alone (no document): cheap
 * enough for every stored update, and nothing at all for updates that do not mention `assetId`.
 * It misses one case: an `assetId` replaced on an item that already had one (Yjs then leaves the
 * key out of the update); compaction recomputes the index from the whole document and catches it.
 */
export function assetIdsInUpdate(update: Uint8Array): string[] {
  if (!Buffer.from(update.buffer, update.byteOffset, update.byteLength).includes(ASSET_KEY_BYTES)) return [];
  const ids = new Set<string>();
  try {
    for (const s of Y.decodeUpdate(update).structs) {
      if (!(s instanceof Y.Item) || s.parentSub !== ASSET_KEY) continue;
      for (const v of s.content.getContent()) if (typeof v === 'string' && UUID.test(v)) ids.add(v.toLowerCase());
    }
  } catch {
    return [];
  }
  return [...ids];
}

/** Records that a board shows these assets (only assets of the board's own workspace). */
function indexAssetsSql(boardId: ReturnType<typeof sql>, assetIds: ReturnType<typeof sql>) {
  return sql`
    insert into board_asset (board_id, asset_id)
    select distinct b.id, a.id from board b join asset a on a.workspace_id = b.workspace_id
    where b.id = ${boardId} and a.id in (${assetIds})
    on conflict (board_id, asset_id) do update set added_at = now()`;
}

/**
 * The boards that show any of these assets, with the assets each shows. The index names the
 * candidates; each candidate's document is read to confirm (an item removed since the board's last
 * compaction may still be indexed).
 */
export async function boardsShowingAssets(db: Kysely<DB>, assetIds: string[]): Promise<{ id: string; name: string; assetIds: string[] }[]> {
  if (assetIds.length === 0) return [];
  const candidates = await db
    .selectFrom('board_asset')
    .innerJoin('board', 'board.id', 'board_asset.board_id')
    .select(['board.id', 'board.name'])
    .distinct()
    .where('board_asset.asset_id', 'in', assetIds)
    .orderBy('board.name')
    .execute();
  const wanted = new Set(assetIds);
  const out: { id: string; name: string; assetIds: string[] }[] = [];
  for (const b of candidates) {
    const doc = await loadBoardDoc(db, b.id);
    const shown = new Set(readItems(doc).flatMap((i) => (i.assetId && wanted.has(i.assetId) ? [i.assetId] : [])));
    doc.destroy();
    if (shown.size > 0) out.push({ ...b, assetIds: [...shown] });
  }
  return out;
}

/** Marks the items showing deleted assets as removed, so everyone on the board sees a "Removed" tile. */
export async function markAssetsRemoved(db: Kysely<DB>, boardId: string, assetIds: string[]): Promise<void> {
  const gone = new Set(assetIds);
  await editBoardFromServer(db, boardId, (doc) => {
    let changed = false;
    for (const item of readItems(doc)) {
      if (item.type !== 'image' || !item.assetId || !gone.has(item.assetId) || item.status === 'removed') continue;
      setFields(doc, item.id, { status: 'removed' });
      changed = true;
    }
    return changed;
  });
}

// ---- persistence ----

const WRITE_ROLES: Role[] = ['owner', 'admin', 'editor'];

/**
 * Stores one update and announces it, in one statement. With a `userId`, the row is written only if
 * that user is (still) an editor or above in the board's workspace: the membership check and the
 * append cannot be separated by a removal. Returns the update's id, or null when refused.
 */
export async function appendBoardUpdate(
  db: Kysely<DB>,
  opts: { boardId: string; update: Uint8Array; userId: string | null; origin: string },
): Promise<number | null> {
  const inline = opts.update.byteLength <= INLINE_UPDATE_BYTES;
  const bytes = Buffer.from(opts.update.buffer, opts.update.byteOffset, opts.update.byteLength);
  const allowed = opts.userId
    ? sql`exists (select 1 from board b join membership m on m.workspace_id = b.workspace_id where b.id = ${opts.boardId} and m.user_id = ${opts.userId} and m.role in (${sql.join(WRITE_ROLES)}))`
    : sql`exists (select 1 from board b where b.id = ${opts.boardId})`;
  const assets = assetIdsInUpdate(opts.update);
  const res = await sql<{ id: number }>`
    with ins as (
      insert into board_update (board_id, update, user_id)
      select ${opts.boardId}, ${bytes}, ${opts.userId} where ${allowed}
      returning id
    ), idx as (
      ${indexAssetsSql(sql`${opts.boardId}::uuid`, sql`select x.id from ins, unnest(${assets}::uuid[]) as x(id)`)}
    )
    select ins.id, pg_notify(${BOARD_CHANNEL}, json_build_object('k', 'u', 'b', ${opts.boardId}::text, 'i', ins.id, 'o', ${opts.origin}::text, 'u', ${inline ? sql`encode(${bytes}::bytea, 'base64')` : sql`null::text`})::text) from ins`.execute(db);
  return res.rows[0]?.id ?? null;
}

/**
 * Group commit: stores several clients' updates to one board in ONE statement (one commit, one
 * round trip), each row only if its writer is (still) an editor or above, and announces each on the
 * channel when another process holds the board live (board_live; see registerLiveBoards). It is
 * the hot path of live boards, so it runs as a named prepared statement (planned once per
 * connection; the plan of this statement costs about as much as running it).
 */
const APPEND_BOARD_UPDATES = {
  name: 'fk_append_board_updates',
  text: `
    with input as (
      select * from unnest($1::text[], $2::bytea[], $5::text[]) with ordinality as t(user_id, update, assets, ord)
    ), ok as (
      select i.* from input i where exists (
        select 1 from board b join membership m on m.workspace_id = b.workspace_id
        where b.id = $3 and m.user_id = i.user_id and m.role in (${WRITE_ROLES.map((r) => `'${r}'`).join(', ')}))
    ), ins as (
      insert into board_update (board_id, update, user_id)
      select $3, ok.update, ok.user_id from ok order by ok.ord
      returning id, user_id, update
    ), idx as (
      insert into board_asset (board_id, asset_id)
      select distinct b.id, a.id
      from ok cross join lateral unnest(string_to_array(ok.assets, ',')::uuid[]) as x(id)
      join asset a on a.id = x.id join board b on b.id = $3 and b.workspace_id = a.workspace_id
      where ok.assets <> ''
      on conflict (board_id, asset_id) do update set added_at = now()
    ), others as (
      select exists (select 1 from board_live l where l.board_id = $3 and l.origin <> $4 and l.expires_at > now()) as live
    )
    select ins.id, ins.user_id, case when others.live then pg_notify('${BOARD_CHANNEL}', json_build_object('k', 'u', 'b', $3::text, 'i', ins.id, 'o', $4::text, 'u', case when length(ins.update) <= ${INLINE_UPDATE_BYTES} then encode(ins.update, 'base64') end)::text) end
    from ins, others order by ins.id`,
};

/**
 * Returns the writers whose rows were stored (a writer's rows are all stored or none) and the
 * highest id stored (0 when none). The assets the stored updates place are recorded in board_asset
 * in the same statement.
 */
export async function appendBoardUpdates(pool: Pick<pg.Pool, 'query'>, boardId: string, rows: { update: Uint8Array; userId: string }[], origin: string): Promise<{ users: Set<string>; seq: number }> {
  if (rows.length === 0) return { users: new Set(), seq: 0 };
  const users = rows.map((r) => r.userId);
  const updates = rows.map((r) => Buffer.from(r.update.buffer, r.update.byteOffset, r.update.byteLength));
  const assets = rows.map((r) => assetIdsInUpdate(r.update).join(','));
  const res = await pool.query<{ id: string | number; user_id: string }>({ ...APPEND_BOARD_UPDATES, values: [users, updates, boardId, origin, assets] });
  return { users: new Set(res.rows.map((r) => r.user_id)), seq: res.rows.reduce((m, r) => Math.max(m, Number(r.id)), 0) };
}

/** How long a process's claim to hold a board live lasts unless renewed. */
export const BOARD_LIVE_TTL_SECONDS = 120;

/**
 * Records that process `origin` holds these boards live (so others announce their changes to it).
 * Called before a board's state is loaded, and periodically for all live boards.
 */
export async function registerLiveBoards(db: Kysely<DB>, origin: string, boardIds: string[]): Promise<void> {
  if (boardIds.length === 0) return;
  await sql`
    insert into board_live (board_id, origin, expires_at)
    select b.id, ${origin}, now() + make_interval(secs => ${BOARD_LIVE_TTL_SECONDS}) from board b where b.id = any(${boardIds}::uuid[])
    on conflict (board_id, origin) do update set expires_at = excluded.expires_at`.execute(db);
}

/** Whether a process other than `origin` holds the board live (an unexpired claim). */
export async function othersHoldBoard(db: Kysely<DB>, boardId: string, origin: string): Promise<boolean> {
  const row = await db
    .selectFrom('board_live')
    .select('origin')
    .where('board_id', '=', boardId)
    .where('origin', '<>', origin)
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
  return row !== undefined;
}

/** Forgets the claims of processes that stopped renewing them (ended without releasing). */
export async function pruneLiveBoards(db: Kysely<DB>): Promise<number> {
  const r = await db.deleteFrom('board_live').where('expires_at', '<', sql<Date>`now()`).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function unregisterLiveBoards(db: Kysely<DB>, origin: string, boardIds?: string[]): Promise<void> {
  let q = db.deleteFrom('board_live').where('origin', '=', origin);
  if (boardIds) {
    if (boardIds.length === 0) return;
    q = q.where('board_id', 'in', boardIds);
  }
  await q.execute();
}

export async function readBoardUpdate(db: Kysely<DB>, id: number): Promise<Uint8Array | null> {
  const row = await db.selectFrom('board_update').select('update').where('id', '=', id).executeTakeFirst();
  return row ? row.update : null;
}

/** Everything stored for a board (its snapshot, then the rows since), read consistently. */
export async function loadBoardState(db: Kysely<DB>, boardId: string): Promise<{ snapshot: Uint8Array | null; rows: StoredRow[]; bytes: number; pending: number }> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const snap = await trx.selectFrom('board_snapshot').select('state').where('board_id', '=', boardId).executeTakeFirst();
      const rows = await trx.selectFrom('board_update').select(['id', 'update', 'user_id']).where('board_id', '=', boardId).orderBy('id').execute();
      const bytes = (snap?.state.byteLength ?? 0) + rows.reduce((n, r) => n + r.update.byteLength, 0);
      return { snapshot: snap?.state ?? null, rows, bytes, pending: rows.length };
    });
}

/**
 * A board's stored state applied to a document (`into`, or a new one; see applyStoredUpdates for
 * when the result is another document). A stored update that throws is left out and quarantined,
 * so the board still opens.
 */
export async function openBoardState(
  db: Kysely<DB>,
  boardId: string,
  opts: { into?: Y.Doc; origin?: string; log?: { error(msg: string, meta?: Record<string, unknown>): void } } = {},
): Promise<{ doc: Y.Doc; bytes: number; pending: number; quarantined: number }> {
  const state = await loadBoardState(db, boardId);
  const { doc, failed } = applyStoredUpdates(state.snapshot, state.rows, opts);
  if (failed.length > 0) {
    opts.log?.error('stored board updates failed to apply; quarantined', { boardId, updates: failed.map((f) => ({ id: f.id, error: f.error })) });
    await quarantineUpdates(db, boardId, failed);
  }
  const lost = failed.reduce((n, f) => n + f.update.byteLength, 0);
  return { doc, bytes: state.bytes - lost, pending: state.pending - failed.length, quarantined: failed.length };
}

export async function loadBoardDoc(db: Kysely<DB>, boardId: string): Promise<Y.Doc> {
  return (await openBoardState(db, boardId)).doc;
}

/**
 * Merges a board's stored updates into its snapshot. Deletes exactly the updates it merged (an
 * update committed meanwhile with a lower id stays), so nothing is lost to a race. Serialised per
 * board by a row lock that does not hold up appends. Returns the snapshot's size in bytes.
 */
export async function compactBoard(db: Kysely<DB>, boardId: string): Promise<{ merged: number; bytes: number } | null> {
  return db.transaction().execute(async (trx) => {
    // FOR NO KEY UPDATE: serialises compactions of this board, yet does not block the appends that
    // go on meanwhile (their foreign key takes KEY SHARE on the board row, which FOR UPDATE would block).
    const locked = await trx.selectFrom('board').select('id').where('id', '=', boardId).forNoKeyUpdate().executeTakeFirst();
    if (!locked) return null;
    const snap = await trx.selectFrom('board_snapshot').select('state').where('board_id', '=', boardId).executeTakeFirst();
    const rows = await trx.selectFrom('board_update').select(['id', 'update', 'user_id']).where('board_id', '=', boardId).orderBy('id').execute();
    if (rows.length === 0) return { merged: 0, bytes: snap?.state.byteLength ?? 0 };
    // A row that does not apply is quarantined (in this transaction), never merged or dropped.
    const { doc, failed } = applyStoredUpdates(snap?.state ?? null, rows, { origin: 'compact' });
    await quarantineUpdates(trx, boardId, failed);
    // Pending structs (waiting for a dependency) are part of the encoded state: nothing is lost.
    const state = Y.encodeStateAsUpdate(doc);
    const shown = [...new Set(readItems(doc).flatMap((i) => (i.assetId && UUID.test(i.assetId) ? [i.assetId.toLowerCase()] : [])))];
    doc.destroy();
    // The whole document is at hand: make board_asset exactly what it shows. Rows added since this
    // transaction began belong to updates it did not merge, so they stay.
    await sql`delete from board_asset where board_id = ${boardId} and added_at < now() and not (asset_id = any(${shown}::uuid[]))`.execute(trx);
    if (shown.length > 0) await sql`${indexAssetsSql(sql`${boardId}::uuid`, sql`select unnest(${shown}::uuid[])`)}`.execute(trx);
    await trx
      .insertInto('board_snapshot')
      .values({ board_id: boardId, state: Buffer.from(state), updates_merged: rows.length })
      .onConflict((oc) => oc.column('board_id').doUpdateSet({ state: Buffer.from(state), updates_merged: sql`board_snapshot.updates_merged + ${rows.length}`, compacted_at: new Date() }))
      .execute();
    await trx.deleteFrom('board_update').where('id', 'in', rows.map((r) => r.id)).execute();
    await trx.updateTable('board').set({ updated_at: new Date() }).where('id', '=', boardId).execute();
    return { merged: rows.length, bytes: state.byteLength };
  });
}

/**
 * Changes a board from the server (no socket involved): loads its stored state, applies `fn`, and
 * appends the difference through the same path clients' updates take. Works in any process,
 * including separate workers: the web processes holding the board live apply it from the channel.
 */
export async function editBoardFromServer(db: Kysely<DB>, boardId: string, fn: (doc: Y.Doc) => boolean | void): Promise<boolean> {
  const doc = await loadBoardDoc(db, boardId);
  try {
    const before = Y.encodeStateVector(doc);
    let changed: boolean | void = false;
    doc.transact(() => {
      changed = fn(doc);
    });
    if (changed === false) return false;
    const update = Y.encodeStateAsUpdate(doc, before);
    if (update.byteLength <= 2) return false;
    return (await appendBoardUpdate(db, { boardId, update, userId: null, origin: 'server' })) !== null;
  } finally {
    doc.destroy();
  }
}

// ---- generations started from a board ----

const placeholderId = (generationId: string) => `gen-${generationId}`;
const outputId = (generationId: string, index: number) => (index === 0 ? placeholderId(generationId) : `gen-${generationId}-${index}`);

/**
 * The generationChanged hook: a placeholder appears on the board when the generation is queued,
 * follows its state, and turns into the outputs when it succeeds. Idempotent (items are keyed by
 * the generation's id), so a retried job or a duplicate event changes nothing twice.
 */
export async function boardGenerationHook(change: GenerationChange, deps: Deps): Promise<void> {
  if (!change.boardId) return;
  const boardId = change.boardId;
  await editBoardFromServer(deps.db, boardId, (doc) => {
    const items = itemsOf(doc);
    const id = placeholderId(change.id);
    const existing = items.get(id);
    const current = existing instanceof Y.Map ? readItem(id, existing) : null;
    if (current?.status === 'succeeded' && current.type === 'image') return false;
    if (change.status === 'succeeded') {
      const images = change.assets.filter((a) => a.media === 'image' || a.media === 'video');
      if (images.length === 0) return false;
      const origin = current ?? { ...nextFreeSpot(doc), ...fitSize(change.width, change.height) };
      images.forEach((a, index) => {
        const size = fitSize(a.width ?? change.width, a.height ?? change.height, Math.max(origin.w, origin.h));
        const fields: Partial<BoardItem> = { type: 'image', assetId: a.id, url: a.url, status: 'succeeded', prompt: change.prompt, generationId: change.id, error: undefined, ...size };
        const itemId = outputId(change.id, index);
        if (index === 0 && current) setFields(doc, itemId, fields);
        else if (!(items.get(itemId) instanceof Y.Map)) putItem(doc, { id: itemId, x: origin.x + index * (size.w + 16), y: origin.y, z: (origin as { z?: number }).z ?? 1, createdBy: change.userId, ...fields } as BoardItem);
      });
      return true;
    }
    if (current) {
      if (current.status === change.status) return false;
      setFields(doc, id, { status: change.status, error: change.status === 'failed' ? (change.errorMessage ?? 'The generation failed.') : undefined });
      return true;
    }
    if (change.status === 'queued' || change.status === 'running') {
      putItem(doc, { id, type: 'placeholder', ...nextFreeSpot(doc), ...fitSize(change.width, change.height), generationId: change.id, status: change.status, prompt: change.prompt, createdBy: change.userId });
      return true;
    }
    return false;
  });
}

/** Records that a member did something in a workspace (at most once a minute per member). */
export async function touchActivity(db: Kysely<DB>, workspaceId: string, userId: string): Promise<void> {
  await db
    .updateTable('membership')
    .set({ last_active_at: sql`now()` })
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('last_active_at', 'is', null), eb('last_active_at', '<', sql<Date>`now() - interval '1 minute'`)]))
    .execute();
}

export const newOrigin = () => randomUUID();
