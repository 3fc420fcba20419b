/**
 * Board comments (issue 17), shared by the server (server/boards/comments.ts) and the board page:
 * the length caps, what a thread looks like on the wire, the live event, and who may comment (one
 * rule for the service's check and the page's gate). No zod here (the board page imports this; ADR
 * 0024): the inputs' schemas are in board-inputs.ts.
 */
import { can, type Role } from './permissions.js';

/** Longest comment, in characters. */
export const COMMENT_MAX_CHARS = 2000;
/** Most threads on one board; most comments in one thread. */
export const THREADS_PER_BOARD = 500;
export const COMMENTS_PER_THREAD = 200;

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
