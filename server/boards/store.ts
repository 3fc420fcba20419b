/**
 * Where boards are stored: an append-only log of Yjs updates (`board_update`) plus a compacted
 * snapshot (`board_snapshot`), per board. Every write goes through ONE statement,
 * `appendUpdates`: clients' updates (group commit across boards, server/boards/live.ts) and the
 * server's own edits (generation results, removed assets: `editBoardFromServer`) alike. It checks each writer's
 * role, stores the rows, indexes the assets they place and announces them on the channel (bus.ts)
 * when another process holds the board live, in one round trip and one commit.
 */
import { CompiledQuery, sql, type Kysely } from 'kysely';
import type pg from 'pg';
import * as Y from 'yjs';
import type { DB, Role } from '../../db/schema.js';
import { readItems } from '../shared/board.js';
import { rolesWith } from '../shared/permissions.js';
import { assetIdsInUpdate, indexAssetsSql, UUID } from './asset-index.js';
import { BOARD_CHANNEL } from './bus.js';
import { applyStoredUpdates, quarantineUpdates, type StoredRow } from './integrity.js';

/** Bytes of a board's versions (board_version, versions.ts): they count towards the board's size limit. */
export async function versionBytes(db: Kysely<DB>, boardId: string): Promise<number> {
  const r = await db.selectFrom('board_version').select(sql<string>`coalesce(sum(bytes), 0)`.as('n')).where('board_id', '=', boardId).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** NOTIFY payloads are capped at 8000 bytes: updates up to this size travel inline, larger ones are read back by id. */
const INLINE_UPDATE_BYTES = 5000;
const WRITE_ROLES: Role[] = rolesWith('board.edit');
/** The origin of the server's own edits (no process holds them live). */
const SERVER_ORIGIN = 'server';

/**
 * Stores updates to any number of boards in ONE statement (one commit, one round trip): a live
 * process's group commit takes what every board has waiting at once, so the cost of a commit is
 * shared by all the boards it serves. A row with a user is written only if that user is (still) an
 * editor or above in the board's workspace and the account is not suspended or banned
 * (active_standing), so the membership check and the append cannot be separated by a removal; a
 * row without one (the server's own edit) only if the board still exists. Each stored row is
 * announced on the channel when another process holds its board live (board_live). It is the hot
 * path of live boards, so it runs as a named prepared statement (planned once per connection; the
 * plan of this statement costs about as much as running it).
 */
const APPEND_BOARD_UPDATES = {
  name: 'fk_append_board_updates_v2',
  text: `
    with input as (
      select * from unnest($1::uuid[], $2::text[], $3::bytea[], $4::text[]) with ordinality as t(board_id, user_id, update, assets, ord)
    ), ok as (
      select i.* from input i where case when i.user_id is null then exists (select 1 from board b where b.id = i.board_id) else exists (
        select 1 from board b join membership m on m.workspace_id = b.workspace_id
        where b.id = i.board_id and m.user_id = i.user_id and m.role in (${WRITE_ROLES.map((r) => `'${r}'`).join(', ')})
          and not exists (select 1 from active_standing s where s.user_id = i.user_id)) end
    ), ins as (
      insert into board_update (board_id, update, user_id)
      select ok.board_id, ok.update, ok.user_id from ok order by ok.ord
      returning id, board_id, user_id, update
    ), idx as (
      insert into board_asset (board_id, asset_id)
      select distinct b.id, a.id
      from ok cross join lateral unnest(string_to_array(ok.assets, ',')::uuid[]) as x(id)
      join asset a on a.id = x.id join board b on b.id = ok.board_id and b.workspace_id = a.workspace_id
      where ok.assets <> ''
      on conflict (board_id, asset_id) do update set added_at = now()
    ), others as (
      select distinct l.board_id from board_live l
      where l.board_id in (select distinct board_id from ins) and l.origin <> $5 and l.expires_at > now()
    )
    select ins.id, ins.board_id, ins.user_id, case when others.board_id is not null then pg_notify('${BOARD_CHANNEL}', json_build_object('k', 'u', 'b', ins.board_id::text, 'i', ins.id, 'o', $5::text, 'u', case when length(ins.update) <= ${INLINE_UPDATE_BYTES} then encode(ins.update, 'base64') end)::text) end
    from ins left join others on others.board_id = ins.board_id order by ins.id`,
};

/** What one append stored for one board: the writers whose rows were stored (null for the server's own) and the highest id. */
export interface StoredForBoard {
  users: Set<string | null>;
  seq: number;
}

/**
 * Stores rows of any boards; returns, per board that had a row stored, the writers whose rows were
 * stored (a writer's rows on a board are all stored or none) and the highest id stored. Runs on a
 * pg pool (prepared, for the live path) or through kysely (a transaction or any process's
 * database handle).
 */
export async function appendUpdates(
  on: Pick<pg.Pool, 'query'> | Kysely<DB>,
  rows: { boardId: string; update: Uint8Array; userId: string | null }[],
  origin: string,
): Promise<Map<string, StoredForBoard>> {
  const stored = new Map<string, StoredForBoard>();
  if (rows.length === 0) return stored;
  const values = [
    rows.map((r) => r.boardId),
    rows.map((r) => r.userId),
    rows.map((r) => Buffer.from(r.update.buffer, r.update.byteOffset, r.update.byteLength)),
    rows.map((r) => assetIdsInUpdate(r.update).join(',')),
    origin,
  ];
  type Row = { id: string | number; board_id: string; user_id: string | null };
  const result: Row[] =
    'executeQuery' in on ? (await on.executeQuery<Row>(CompiledQuery.raw(APPEND_BOARD_UPDATES.text, values))).rows : (await on.query<Row>({ ...APPEND_BOARD_UPDATES, values })).rows;
  for (const r of result) {
    const board = stored.get(r.board_id) ?? { users: new Set<string | null>(), seq: 0 };
    board.users.add(r.user_id);
    board.seq = Math.max(board.seq, Number(r.id));
    stored.set(r.board_id, board);
  }
  return stored;
}

/** `appendUpdates` for rows of one board (seq 0 and no users when nothing was stored). */
export async function appendBoardUpdates(
  on: Pick<pg.Pool, 'query'> | Kysely<DB>,
  boardId: string,
  rows: { update: Uint8Array; userId: string | null }[],
  origin: string,
): Promise<StoredForBoard> {
  const stored = await appendUpdates(
    on,
    rows.map((r) => ({ ...r, boardId })),
    origin,
  );
  return stored.get(boardId.toLowerCase()) ?? stored.get(boardId) ?? { users: new Set(), seq: 0 };
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
      // The board's versions count towards its size too (versions.ts).
      const bytes = (snap?.state.byteLength ?? 0) + rows.reduce((n, r) => n + r.update.byteLength, 0) + (await versionBytes(trx, boardId));
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
    if (rows.length === 0) return { merged: 0, bytes: (snap?.state.byteLength ?? 0) + (await versionBytes(trx, boardId)) };
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
    return { merged: rows.length, bytes: state.byteLength + (await versionBytes(trx, boardId)) };
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
    return (await appendBoardUpdates(db, boardId, [{ update, userId: null }], SERVER_ORIGIN)).seq > 0;
  } finally {
    doc.destroy();
  }
}
