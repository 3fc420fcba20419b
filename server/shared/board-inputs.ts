/**
 * The zod inputs of boards' procedures: boards, versions and comments. Apart from board.ts,
 * board-versions.ts and comments.ts, which the board page imports, so that zod stays off that
 * page's first load (ADR 0024); the procedures and services import these.
 */
import { z } from 'zod';
import { COMMENT_MAX_CHARS } from './comments.js';

export const BoardNameInput = z.string().trim().min(1, 'Give the board a name.').max(80, 'Keep the name under 80 characters.');
export const CreateBoardInput = z.object({ workspaceId: z.uuid(), name: BoardNameInput });
export const RenameBoardInput = z.object({ boardId: z.uuid(), name: BoardNameInput });

export const VersionNameInput = z.string().trim().min(1, 'Give the version a name.').max(80, 'Keep the name under 80 characters.');
export const CreateVersionInput = z.object({ boardId: z.uuid(), name: VersionNameInput });
export const VersionRef = z.object({ boardId: z.uuid(), versionId: z.uuid() });

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
