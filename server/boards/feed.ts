/**
 * A board's job feed (issue 17): every generation started from the board, by whom, with its state
 * (queued → running % → done or failed), newest first. Stored: it is a query over `generation`
 * filtered by board, so a reload or someone joining later sees the jobs started before. Live: each
 * state change is sent to the board's room (`board:job`), to everyone on the board, whichever
 * workspace member started it (the workspace room carries the same change for the studio).
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Actor, Deps, GenerationChange } from '../services/deps.js';
import { rooms, type BoardJobEvent } from '../shared/realtime.js';
import { boardAccess } from './access.js';

export const FEED_LIMIT = 50;

/** The board item a generation's result is: its placeholder id, kept by the first output (services/boards.ts). */
export const feedItemId = (generationId: string) => `gen-${generationId}`;

type Row = {
  id: string;
  board_id: string | null;
  user_id: string;
  user_name: string | null;
  kind: 'image' | 'video';
  status: BoardJobEvent['status'];
  progress: number;
  prompt: string;
  error_message: string | null;
  created_at: Date;
  updated_at: Date;
};

const toEvent = (r: Row): BoardJobEvent => ({
  id: r.id,
  boardId: r.board_id!,
  userId: r.user_id,
  userName: r.user_name ?? 'Someone',
  kind: r.kind,
  status: r.status,
  progress: r.progress,
  prompt: r.prompt,
  errorMessage: r.error_message,
  itemId: feedItemId(r.id),
  createdAt: r.created_at.getTime(),
  updatedAt: r.updated_at.getTime(),
});

function feedQuery(db: Kysely<DB>) {
  return db
    .selectFrom('generation as g')
    .leftJoin('user as u', 'u.id', 'g.user_id')
    .select(['g.id', 'g.board_id', 'g.user_id', 'u.name as user_name', 'g.kind', 'g.status', 'g.progress', 'g.prompt', 'g.error_message', 'g.created_at', 'g.updated_at']);
}

/** The newest jobs started from a board (members of its workspace). */
export async function listBoardFeed(db: Kysely<DB>, actor: Actor, boardId: string): Promise<BoardJobEvent[]> {
  await boardAccess(db, actor, boardId);
  const rows = await feedQuery(db).where('g.board_id', '=', boardId).orderBy('g.created_at', 'desc').orderBy('g.id', 'desc').limit(FEED_LIMIT).execute();
  return rows.map((r) => toEvent(r as Row));
}

/** The generationChanged hook: the new state goes to everyone on the board. */
export async function boardFeedHook(change: GenerationChange, deps: Deps): Promise<void> {
  if (!change.boardId) return;
  const row = await feedQuery(deps.db).where('g.id', '=', change.id).executeTakeFirst();
  if (!row || row.board_id !== change.boardId) return;
  // The state is the change's own (the row may have moved on since; that state has its own event).
  const event = toEvent(row as Row);
  deps.notifier.emit(rooms.board(change.boardId), 'board:job', {
    ...event,
    status: change.status,
    progress: change.progress,
    prompt: change.prompt,
    errorMessage: change.errorMessage,
    updatedAt: change.updatedAt ?? event.updatedAt,
  });
}
