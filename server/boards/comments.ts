/**
 * Comments on boards (issue 17): threads pinned to an item or a point on the canvas, with replies;
 * resolved and reopened; each author edits and deletes their own; @mentions notify the members
 * named (as notes do: server/services/notifications.ts). Stored in Postgres (migration 0115), sent
 * live to everyone on the board (`board:comment` in the board's room) after each change.
 *
 * Who may: every member reads; editors and up write (resolve, reopen, start, answer), viewers too
 * when the workspace allows it (an owner's or admin's setting); a suspended account may not write.
 * Non-members learn nothing (NOT_FOUND). Writing is rate-limited per person across processes.
 * A deleted account's comments stay, without an author (docs/decisions/0018-board-comments.md).
 */
import { sql, type Kysely } from 'kysely';
import type { z } from 'zod';
import type { DB, Role } from '../../db/schema.js';
import type { Actor, Deps } from '../services/deps.js';
import { audit } from '../services/audit.js';
import { notify } from '../services/notifications.js';
import { hitLimit } from '../services/rate-limits.js';
import { standingRefusal, type StandingRow } from '../services/account-standing.js';
import { requirePermission, requireRole } from '../services/workspaces.js';
import { itemsOf, mentionKeysOf, mentionsIn } from '../shared/board.js';
import { COMMENTS_PER_THREAD, mayComment, THREADS_PER_BOARD, type CommentView, type ThreadView } from '../shared/comments.js';
import { CommentSettingsInput, EditCommentInput, ReplyInput, ResolveInput, StartThreadInput } from '../shared/board-inputs.js';
import { AppError } from '../shared/errors.js';
import { rooms } from '../shared/realtime.js';
import { loadBoardDoc } from './store.js';

type CommentDeps = Pick<Deps, 'db' | 'notifier' | 'config'>;

export const DELETED_AUTHOR = 'A deleted user';

const VIEWER_REFUSAL = 'Viewers cannot comment in this workspace. An owner or admin can allow it in the workspace settings.';

// ------------------------------------------------------------------ access

interface Access {
  board: { id: string; name: string; workspaceId: string };
  role: Role;
  standing: StandingRow;
  viewersMayComment: boolean;
}

/** The board, the actor's role and the workspace's comment setting; NOT_FOUND for non-members and unknown boards alike. */
async function access(db: Kysely<DB>, actor: Actor, boardId: string): Promise<Access> {
  const row = await db
    .selectFrom('board')
    .innerJoin('membership', (j) => j.onRef('membership.workspace_id', '=', 'board.workspace_id').on('membership.user_id', '=', actor.userId))
    .innerJoin('workspace', 'workspace.id', 'board.workspace_id')
    .leftJoin('active_standing as s', 's.user_id', 'membership.user_id')
    .select(['board.id', 'board.name', 'board.workspace_id', 'membership.role', 's.status', 's.reason', 's.note', 's.until', 's.source', 'workspace.viewers_may_comment'])
    .where('board.id', '=', boardId)
    .executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  return { board: { id: row.id, name: row.name, workspaceId: row.workspace_id }, role: row.role, standing: { status: row.status, reason: row.reason, note: row.note, until: row.until, source: row.source }, viewersMayComment: row.viewers_may_comment };
}

/** Why this member may not write comments, or null when they may. */
function writeRefusal(a: Access): AppError | null {
  const standing = standingRefusal(a.standing, 'board.comment');
  if (standing) return standing;
  if (!mayComment(a.role, a.viewersMayComment)) return new AppError('FORBIDDEN', { userMessage: VIEWER_REFUSAL });
  return null;
}

async function writeAccess(db: Kysely<DB>, actor: Actor, boardId: string): Promise<Access> {
  const a = await access(db, actor, boardId);
  const refusal = writeRefusal(a);
  if (refusal) throw refusal;
  return a;
}

/** The board a thread is on, for a member of its workspace (NOT_FOUND otherwise). */
async function boardOfThread(db: Kysely<DB>, actor: Actor, threadId: string): Promise<string> {
  const row = await db
    .selectFrom('board_comment_thread as t')
    .innerJoin('membership as m', (j) => j.onRef('m.workspace_id', '=', 't.workspace_id').on('m.user_id', '=', actor.userId))
    .select('t.board_id')
    .where('t.id', '=', threadId)
    .executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  return row.board_id;
}

async function limit(deps: CommentDeps, actor: Actor): Promise<void> {
  const d = await hitLimit(deps.db, `board-comment:${actor.userId}`, { max: deps.config.boards.commentsPerMinute, windowSeconds: 60 });
  if (!d.allowed) throw new AppError('RATE_LIMITED', { userMessage: 'You are commenting very quickly. Wait a moment, then send it again.', retryAfterSeconds: d.retryAfterSeconds });
}

// ------------------------------------------------------------------ reading

type ThreadRow = { id: string; board_id: string; item_id: string | null; x: number; y: number; resolved_at: Date | null; resolved_by_name: string | null; created_at: Date; updated_at: Date };
type CommentRow = { id: string; thread_id: string; author_id: string | null; author_name: string | null; body: string; created_at: Date; edited_at: Date | null; deleted_at: Date | null };

function threadsQuery(db: Kysely<DB>) {
  return db
    .selectFrom('board_comment_thread as t')
    .leftJoin('user as r', 'r.id', 't.resolved_by')
    .select(['t.id', 't.board_id', 't.item_id', 't.x', 't.y', 't.resolved_at', 'r.name as resolved_by_name', 't.created_at', 't.updated_at']);
}

async function commentsOf(db: Kysely<DB>, threadIds: string[]): Promise<Map<string, CommentView[]>> {
  const out = new Map<string, CommentView[]>();
  if (threadIds.length === 0) return out;
  const rows: CommentRow[] = await db
    .selectFrom('board_comment as c')
    .leftJoin('user as u', 'u.id', 'c.author_id')
    .select(['c.id', 'c.thread_id', 'c.author_id', 'u.name as author_name', 'c.body', 'c.created_at', 'c.edited_at', 'c.deleted_at'])
    .where('c.thread_id', 'in', threadIds)
    .orderBy('c.created_at')
    .orderBy('c.id')
    .execute();
  for (const r of rows) {
    const list = out.get(r.thread_id) ?? [];
    list.push({
      id: r.id,
      authorId: r.author_id,
      authorName: r.author_id === null ? DELETED_AUTHOR : r.author_name || 'Someone',
      body: r.deleted_at ? '' : r.body,
      createdAt: r.created_at.getTime(),
      editedAt: r.edited_at?.getTime() ?? null,
      deleted: r.deleted_at !== null,
    });
    out.set(r.thread_id, list);
  }
  return out;
}

const toThread = (t: ThreadRow, comments: CommentView[]): ThreadView => ({
  id: t.id,
  boardId: t.board_id,
  itemId: t.item_id,
  x: t.x,
  y: t.y,
  resolved: t.resolved_at !== null,
  resolvedByName: t.resolved_at ? (t.resolved_by_name ?? DELETED_AUTHOR) : null,
  createdAt: t.created_at.getTime(),
  updatedAt: t.updated_at.getTime(),
  comments,
});

async function loadThread(db: Kysely<DB>, threadId: string): Promise<ThreadView | null> {
  const t = await threadsQuery(db).where('t.id', '=', threadId).executeTakeFirst();
  if (!t) return null;
  return toThread(t, (await commentsOf(db, [t.id])).get(t.id) ?? []);
}

export interface BoardComments {
  threads: ThreadView[];
  /** whether the reader may write comments here, and why not */
  mayComment: boolean;
  reason: string | null;
}

/** Every thread on a board (open and resolved, oldest first) for a member, and whether they may write. */
export async function listThreads(db: Kysely<DB>, actor: Actor, boardId: string): Promise<BoardComments> {
  const a = await access(db, actor, boardId);
  const rows = await threadsQuery(db).where('t.board_id', '=', boardId).orderBy('t.created_at').orderBy('t.id').limit(THREADS_PER_BOARD).execute();
  const comments = await commentsOf(db, rows.map((r) => r.id));
  const refusal = writeRefusal(a);
  return { threads: rows.map((r) => toThread(r, comments.get(r.id) ?? [])), mayComment: refusal === null, reason: refusal?.userMessage ?? null };
}

/** Sends the thread as it is now to everyone on its board (or that it is gone). */
async function announce(deps: CommentDeps, boardId: string, threadId: string): Promise<ThreadView | null> {
  const thread = await loadThread(deps.db, threadId);
  if (thread) deps.notifier.emit(rooms.board(boardId), 'board:comment', { boardId, thread });
  else deps.notifier.emit(rooms.board(boardId), 'board:comment', { boardId, threadId, removed: true, updatedAt: Date.now() });
  return thread;
}

// ------------------------------------------------------------------ writing

/** Starts a thread on an item (which must be on the board) or at a point, with its first comment. */
export async function startThread(deps: CommentDeps, actor: Actor, raw: z.input<typeof StartThreadInput>): Promise<ThreadView> {
  const input = StartThreadInput.parse(raw);
  const a = await writeAccess(deps.db, actor, input.boardId);
  if (input.itemId) {
    const doc = await loadBoardDoc(deps.db, input.boardId);
    const there = itemsOf(doc).has(input.itemId);
    doc.destroy();
    if (!there) throw new AppError('NOT_FOUND', { userMessage: 'That item is no longer on the board. Comment on the canvas instead.' });
  }
  await limit(deps, actor);
  const { threadId, commentId } = await deps.db.transaction().execute(async (trx) => {
    // One board at a time: the count below cannot be passed by two threads started together.
    await trx.selectFrom('board').select('id').where('id', '=', input.boardId).forUpdate().executeTakeFirst();
    const { n } = await trx.selectFrom('board_comment_thread').select((eb) => eb.fn.countAll<string>().as('n')).where('board_id', '=', input.boardId).executeTakeFirstOrThrow();
    if (Number(n) >= THREADS_PER_BOARD) throw new AppError('CONFLICT', { userMessage: `This board has ${THREADS_PER_BOARD} comment threads, the most it can hold. Delete some that are done.` });
    const t = await trx
      .insertInto('board_comment_thread')
      .values({ board_id: input.boardId, workspace_id: a.board.workspaceId, item_id: input.itemId ?? null, x: input.x, y: input.y, created_by: actor.userId })
      .returning('id')
      .executeTakeFirstOrThrow();
    const c = await trx.insertInto('board_comment').values({ thread_id: t.id, author_id: actor.userId, body: input.body }).returning('id').executeTakeFirstOrThrow();
    return { threadId: t.id, commentId: c.id };
  });
  await notifyCommentMentions(deps, actor, a, threadId, commentId, input.body);
  return (await announce(deps, input.boardId, threadId))!;
}

/** Answers a thread (resolved or open; answering does not reopen it). */
export async function replyToThread(deps: CommentDeps, actor: Actor, raw: z.input<typeof ReplyInput>): Promise<ThreadView> {
  const input = ReplyInput.parse(raw);
  const boardId = await boardOfThread(deps.db, actor, input.threadId);
  const a = await writeAccess(deps.db, actor, boardId);
  await limit(deps, actor);
  const commentId = await deps.db.transaction().execute(async (trx) => {
    const t = await trx.selectFrom('board_comment_thread').select('id').where('id', '=', input.threadId).forUpdate().executeTakeFirst();
    if (!t) throw new AppError('NOT_FOUND', { userMessage: 'This thread was deleted.' });
    const { n } = await trx.selectFrom('board_comment').select((eb) => eb.fn.countAll<string>().as('n')).where('thread_id', '=', input.threadId).executeTakeFirstOrThrow();
    if (Number(n) >= COMMENTS_PER_THREAD) throw new AppError('CONFLICT', { userMessage: `This thread has ${COMMENTS_PER_THREAD} comments, the most it can hold. Start a new one.` });
    const c = await trx.insertInto('board_comment').values({ thread_id: input.threadId, author_id: actor.userId, body: input.body }).returning('id').executeTakeFirstOrThrow();
    await trx.updateTable('board_comment_thread').set({ updated_at: sql`now()` }).where('id', '=', input.threadId).execute();
    return c.id;
  });
  await notifyCommentMentions(deps, actor, a, input.threadId, commentId, input.body);
  return (await announce(deps, boardId, input.threadId))!;
}

/** The comment, for a member of its workspace who wrote it: someone else's is FORBIDDEN, a non-member's view NOT_FOUND. */
async function ownComment(db: Kysely<DB>, actor: Actor, commentId: string) {
  const row = await db
    .selectFrom('board_comment as c')
    .innerJoin('board_comment_thread as t', 't.id', 'c.thread_id')
    .innerJoin('membership as m', (j) => j.onRef('m.workspace_id', '=', 't.workspace_id').on('m.user_id', '=', actor.userId))
    .select(['c.id', 'c.thread_id', 'c.author_id', 'c.deleted_at', 't.board_id'])
    .where('c.id', '=', commentId)
    .executeTakeFirst();
  if (!row || row.deleted_at) throw new AppError('NOT_FOUND', { userMessage: 'This comment was deleted.' });
  if (row.author_id !== actor.userId) throw new AppError('FORBIDDEN', { userMessage: 'You can edit and delete only your own comments.' });
  return row;
}

/** Changes the text of one's own comment; members newly @mentioned are told. */
export async function editComment(deps: CommentDeps, actor: Actor, raw: z.input<typeof EditCommentInput>): Promise<ThreadView> {
  const input = EditCommentInput.parse(raw);
  const c = await ownComment(deps.db, actor, input.commentId);
  const a = await writeAccess(deps.db, actor, c.board_id);
  await limit(deps, actor);
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('board_comment').set({ body: input.body, edited_at: sql`now()` }).where('id', '=', c.id).where('author_id', '=', actor.userId).execute();
    await trx.updateTable('board_comment_thread').set({ updated_at: sql`now()` }).where('id', '=', c.thread_id).execute();
  });
  await notifyCommentMentions(deps, actor, a, c.thread_id, c.id, input.body);
  return (await announce(deps, c.board_id, c.thread_id))!;
}

/**
 * Deletes one's own comment. A reply goes; a thread's first comment goes with the thread unless
 * others answered it, in which case it stays as "deleted" (its text erased) so the answers keep
 * their place. A thread left with nothing but that marker goes too. Members may delete their own
 * comments whatever their role now (a viewer whose right to comment was switched off, a suspended account).
 */
export async function deleteComment(deps: CommentDeps, actor: Actor, commentId: string): Promise<{ threadId: string; removed: boolean }> {
  const c = await ownComment(deps.db, actor, commentId);
  const removed = await deps.db.transaction().execute(async (trx) => {
    await trx.selectFrom('board_comment_thread').select('id').where('id', '=', c.thread_id).forUpdate().executeTakeFirst();
    const all = await trx.selectFrom('board_comment').select(['id', 'deleted_at']).where('thread_id', '=', c.thread_id).orderBy('created_at').orderBy('id').execute();
    const othersLeft = all.filter((r) => r.id !== c.id && r.deleted_at === null).length;
    if (othersLeft === 0) {
      await trx.deleteFrom('board_comment_thread').where('id', '=', c.thread_id).execute();
      return true;
    }
    if (all[0]?.id === c.id) await trx.updateTable('board_comment').set({ body: '', deleted_at: sql`now()`, edited_at: null }).where('id', '=', c.id).execute();
    else await trx.deleteFrom('board_comment').where('id', '=', c.id).execute();
    await trx.updateTable('board_comment_thread').set({ updated_at: sql`now()` }).where('id', '=', c.thread_id).execute();
    return false;
  });
  await announce(deps, c.board_id, c.thread_id);
  return { threadId: c.thread_id, removed };
}

/** Resolves a thread (it leaves the open list and the badges) or reopens it. */
export async function setThreadResolved(deps: CommentDeps, actor: Actor, raw: z.input<typeof ResolveInput>): Promise<ThreadView> {
  const input = ResolveInput.parse(raw);
  const boardId = await boardOfThread(deps.db, actor, input.threadId);
  await writeAccess(deps.db, actor, boardId);
  // Each change is sent to everyone on the board: counted like writing.
  await limit(deps, actor);
  const row = await deps.db
    .updateTable('board_comment_thread')
    .set(input.resolved ? { resolved_at: sql`now()`, resolved_by: actor.userId, updated_at: sql`now()` } : { resolved_at: null, resolved_by: null, updated_at: sql`now()` })
    .where('id', '=', input.threadId)
    .where('resolved_at', input.resolved ? 'is' : 'is not', null)
    .returning('id')
    .executeTakeFirst();
  const thread = row ? await announce(deps, boardId, input.threadId) : await loadThread(deps.db, input.threadId);
  if (!thread) throw new AppError('NOT_FOUND', { userMessage: 'This thread was deleted.' });
  return thread;
}

// ------------------------------------------------------------------ mentions

/**
 * Tells the members a comment @mentions (by first name, full name without spaces, or email name, as
 * in notes), once per comment and person: an edit tells only those newly named. Never the author;
 * only members of the board's workspace.
 */
async function notifyCommentMentions(deps: CommentDeps, actor: Actor, a: Access, threadId: string, commentId: string, body: string): Promise<number> {
  const names = mentionsIn(body);
  if (names.length === 0) return 0;
  const members = await deps.db
    .selectFrom('membership')
    .innerJoin('user', 'user.id', 'membership.user_id')
    .select(['user.id', 'user.name', 'user.email'])
    .where('membership.workspace_id', '=', a.board.workspaceId)
    .execute();
  const author = members.find((m) => m.id === actor.userId);
  const snippet = body.length > 120 ? `${body.slice(0, 117)}…` : body;
  let notified = 0;
  for (const m of members) {
    if (m.id === actor.userId || !mentionKeysOf(m).some((k) => names.includes(k))) continue;
    const done = await notify(deps, {
      userId: m.id,
      workspaceId: a.board.workspaceId,
      kind: 'mentioned',
      title: `${author?.name || 'Someone'} mentioned you in a comment on “${a.board.name}”`,
      body: snippet,
      link: `/boards/${a.board.id}?thread=${threadId}`,
      ref: `comment:${commentId}`,
    });
    if (done) notified++;
  }
  return notified;
}

// ------------------------------------------------------------------ the workspace setting

export async function getCommentSettings(db: Kysely<DB>, actor: Actor, workspaceId: string): Promise<{ workspaceId: string; viewersMayComment: boolean }> {
  await requireRole(db, actor, workspaceId, 'viewer');
  const ws = await db.selectFrom('workspace').select('viewers_may_comment').where('id', '=', workspaceId).executeTakeFirstOrThrow();
  return { workspaceId, viewersMayComment: ws.viewers_may_comment };
}

/** Owner or admin: whether viewers may comment on the workspace's boards. */
export async function setCommentSettings(deps: Pick<Deps, 'db' | 'notifier'>, actor: Actor, raw: z.input<typeof CommentSettingsInput>) {
  const input = CommentSettingsInput.parse(raw);
  await requirePermission(deps.db, actor, input.workspaceId, 'comments.settings');
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('workspace').set({ viewers_may_comment: input.viewersMayComment }).where('id', '=', input.workspaceId).execute();
    await audit(trx, actor.userId, 'comments.settings.changed', { workspaceId: input.workspaceId, viewersMayComment: input.viewersMayComment });
  });
  deps.notifier.emit(rooms.workspace(input.workspaceId), 'workspace:changed', { workspaceId: input.workspaceId, what: 'workspace' });
  return { workspaceId: input.workspaceId, viewersMayComment: input.viewersMayComment };
}

// ------------------------------------------------------------------ privacy

/** The comments a person wrote, with where (for their data export). */
export async function commentsByAuthor(db: Kysely<DB>, userId: string) {
  return db
    .selectFrom('board_comment as c')
    .innerJoin('board_comment_thread as t', 't.id', 'c.thread_id')
    .innerJoin('board as b', 'b.id', 't.board_id')
    .select(['c.id', 't.id as thread_id', 't.board_id', 'b.name as board_name', 't.workspace_id', 't.item_id', 't.x', 't.y', 'c.body', 'c.created_at', 'c.edited_at', 't.resolved_at'])
    .where('c.author_id', '=', userId)
    .where('c.deleted_at', 'is', null)
    .orderBy('c.created_at')
    .execute();
}

/**
 * Account deletion: the person's comments stay for the team (others answered them), without an
 * author; threads they started or resolved no longer say so. Shown as "A deleted user".
 */
export async function detachCommentAuthor(db: Kysely<DB>, userId: string): Promise<void> {
  await db.updateTable('board_comment').set({ author_id: null }).where('author_id', '=', userId).execute();
  await db.updateTable('board_comment_thread').set({ created_by: null }).where('created_by', '=', userId).execute();
  await db.updateTable('board_comment_thread').set({ resolved_by: null }).where('resolved_by', '=', userId).execute();
}
