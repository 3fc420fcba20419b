/**
 * The boards' cross-process channel: one Postgres NOTIFY channel, `fk_board`, that every process
 * LISTENs on (server/boards/index.ts). It carries committed updates (announced by the append
 * statement in store.ts), presence relays, and membership changes (kick, join, role). Each process
 * records which boards it holds live (`board_live`), so updates and presence are announced only
 * when another process needs them.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';

export const BOARD_CHANNEL = 'fk_board';

/** A message on the board channel. */
export type BoardBusMessage =
  /** a stored update (id `i`, inline base64 `u` unless too large for a NOTIFY) from process `o` */
  | { k: 'u'; b: string; i: number; o: string; u: string | null }
  /** presence (awareness update, base64) relayed from process `o` */
  | { k: 'a'; b: string; o: string; a: string }
  | { k: 'kick'; w: string; u: string | null; b?: string }
  | { k: 'join'; w: string; u: string }
  | { k: 'role'; w: string; u: string }
  /** a share link revoked (`l`), or every link of workspace `w` switched off: their sockets are disconnected */
  | { k: 'unlink'; l?: string; w?: string };

/** Announces a membership or board change to every process (they update their sockets' rooms). */
export async function publish(db: Kysely<DB>, msg: BoardBusMessage): Promise<void> {
  await sql`select pg_notify(${BOARD_CHANNEL}, ${JSON.stringify(msg)})`.execute(db);
}

/** Announces a message about one board to the other processes that hold it live, if there are any. */
export async function publishToOthers(db: Kysely<DB>, boardId: string, origin: string, msg: BoardBusMessage): Promise<void> {
  await sql`select pg_notify(${BOARD_CHANNEL}, ${JSON.stringify(msg)}) where exists (select 1 from board_live where board_id = ${boardId} and origin <> ${origin} and expires_at > now())`.execute(db);
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
