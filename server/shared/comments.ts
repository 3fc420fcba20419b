/**
 * Board comments (issue 17), shared by the server (server/boards/comments.ts) and the board page:
 * the inputs (zod, with their length caps), what a thread looks like on the wire, the live event,
 * and who may comment (one rule for the service's check and the page's gate).
 */
import { z } from 'zod';
import { can, type Role } from './permissions.js';

/** Longest comment, in characters. */
export const COMMENT_MAX_CHARS = 2000;
/** Most threads on one board; most comments in one thread. */
export const THREADS_PER_BOARD = 500;
export const COMMENTS_PER_THREAD = 200;

export const CommentBody = z
  .string()
  .trim()
  .min(1, 'Write something first.')
  .max(COMMENT_MAX_CHARS, `Keep a comment under ${COMMENT_MAX_CHARS} characters.`);

/** Board item ids as the board page makes them (note-…, img-…, gen-…). */
const ItemId = z.string().min(1).max(100).regex(/^[\w:.-]+$/, 'That item is not on this board.');
/** A point on the canvas, in board coordinates. */
const Coord = z.number().finite().min(-1_000_000).max(1_000_000);

export const StartThreadInput = z.object({
  boardId: z.uuid(),
  /** the item the thread is pinned to; without it, the thread is pinned to the point */
  itemId: ItemId.optional(),
  x: Coord,
  y: Coord,
  body: CommentBody,
});
export const ReplyInput = z.object({ threadId: z.uuid(), body: CommentBody });
export const EditCommentInput = z.object({ commentId: z.uuid(), body: CommentBody });
export const CommentRef = z.object({ commentId: z.uuid() });
export const ThreadRef = z.object({ threadId: z.uuid() });
export const ResolveInput = z.object({ threadId: z.uuid(), resolved: z.boolean() });
export const CommentSettingsInput = z.object({ workspaceId: z.uuid(), viewersMayComment: z.boolean() });

export interface CommentView {
  id: string;
  /** null: the author deleted their account */
  authorId: string | null;
  authorName: string;
  body: string;
  createdAt: number;
  editedAt: number | null;
  /** a first comment deleted while it had replies: shown as "deleted", without its text */
  deleted: boolean;
}

export interface ThreadView {
  id: string;
  boardId: string;
  itemId: string | null;
  x: number;
  y: number;
  resolved: boolean;
  resolvedByName: string | null;
  createdAt: number;
  /** when the thread or one of its comments last changed (ms): keep the newest when events cross */
  updatedAt: number;
  comments: CommentView[];
}

/** A thread changed (started, replied to, resolved, reopened, edited) or went away (its last comment deleted). */
export type BoardCommentEvent = { boardId: string; thread: ThreadView } | { boardId: string; threadId: string; removed: true; updatedAt: number };

/** Whether a member with `role` may comment: editors and up, viewers when the workspace allows it. */
export function mayComment(role: Role | null | undefined, viewersMayComment: boolean): boolean {
  if (can(role, 'board.comment')) return true;
  return role === 'viewer' && viewersMayComment;
}

/** Comments shown in a thread's badge or count: the live ones. */
export const liveComments = (t: ThreadView) => t.comments.filter((c) => !c.deleted).length;
