import { z } from 'zod';
import { deleteComment, editComment, getCommentSettings, listThreads, replyToThread, setCommentSettings, setThreadResolved, startThread } from '../../boards/comments.js';
import { CommentRef, CommentSettingsInput, EditCommentInput, ReplyInput, ResolveInput, StartThreadInput } from '../../shared/board-inputs.js';
import { authedProcedure, router } from '../init.js';

/** Comments on boards (issue 17): server/boards/comments.ts. */
export const commentRouter = router({
  list: authedProcedure.input(z.object({ boardId: z.uuid() })).query(({ ctx, input }) => listThreads(ctx.deps.db, ctx.actor, input.boardId)),
  start: authedProcedure.input(StartThreadInput).mutation(({ ctx, input }) => startThread(ctx.deps, ctx.actor, input)),
  reply: authedProcedure.input(ReplyInput).mutation(({ ctx, input }) => replyToThread(ctx.deps, ctx.actor, input)),
  edit: authedProcedure.input(EditCommentInput).mutation(({ ctx, input }) => editComment(ctx.deps, ctx.actor, input)),
  delete: authedProcedure.input(CommentRef).mutation(({ ctx, input }) => deleteComment(ctx.deps, ctx.actor, input.commentId)),
  resolve: authedProcedure.input(ResolveInput).mutation(({ ctx, input }) => setThreadResolved(ctx.deps, ctx.actor, input)),
  settings: authedProcedure.input(z.object({ workspaceId: z.uuid() })).query(({ ctx, input }) => getCommentSettings(ctx.deps.db, ctx.actor, input.workspaceId)),
  setSettings: authedProcedure.input(CommentSettingsInput).mutation(({ ctx, input }) => setCommentSettings(ctx.deps, ctx.actor, input)),
});
