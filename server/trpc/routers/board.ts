import { z } from 'zod';
import { CreateBoardInput, RenameBoardInput } from '../../shared/board.js';
import { createBoard, deleteBoard, getBoard, listBoards, renameBoard } from '../../services/boards.js';
import { authedProcedure, router } from '../init.js';

const BoardId = z.object({ boardId: z.uuid() });

export const boardRouter = router({
  list: authedProcedure.input(z.object({ workspaceId: z.uuid() })).query(({ ctx, input }) => listBoards(ctx.deps, ctx.actor, input.workspaceId)),
  get: authedProcedure.input(BoardId).query(({ ctx, input }) => getBoard(ctx.deps, ctx.actor, input.boardId)),
  create: authedProcedure.input(CreateBoardInput).mutation(({ ctx, input }) => createBoard(ctx.deps, ctx.actor, input)),
  rename: authedProcedure.input(RenameBoardInput).mutation(({ ctx, input }) => renameBoard(ctx.deps, ctx.actor, input)),
  delete: authedProcedure.input(BoardId).mutation(({ ctx, input }) => deleteBoard(ctx.deps, ctx.actor, input.boardId)),
});
