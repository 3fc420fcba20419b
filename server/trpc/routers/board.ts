import { z } from 'zod';
import { CreateBoardInput, CreateVersionInput, RenameBoardInput, VersionRef } from '../../shared/board-inputs.js';
import { createBoard, deleteBoard, getBoard, listBoards, renameBoard } from '../../services/boards.js';
import { listBoardFeed } from '../../boards/feed.js';
import { exportBoard } from '../../boards/export.js';
import { createNamedVersion, listVersions, prepareRestore, previewVersion } from '../../boards/versions.js';
import { authedProcedure, router } from '../init.js';

const BoardId = z.object({ boardId: z.uuid() });

export const boardRouter = router({
  list: authedProcedure.input(z.object({ workspaceId: z.uuid() })).query(({ ctx, input }) => listBoards(ctx.deps, ctx.actor, input.workspaceId)),
  get: authedProcedure.input(BoardId).query(({ ctx, input }) => getBoard(ctx.deps, ctx.actor, input.boardId)),
  create: authedProcedure.input(CreateBoardInput).mutation(({ ctx, input }) => createBoard(ctx.deps, ctx.actor, input)),
  rename: authedProcedure.input(RenameBoardInput).mutation(({ ctx, input }) => renameBoard(ctx.deps, ctx.actor, input)),
  delete: authedProcedure.input(BoardId).mutation(({ ctx, input }) => deleteBoard(ctx.deps, ctx.actor, input.boardId)),
  // version history and the job feed (issue 17): server/boards/versions.ts, server/boards/feed.ts
  versions: authedProcedure.input(BoardId).query(({ ctx, input }) => listVersions(ctx.deps.db, ctx.actor, input.boardId)),
  createVersion: authedProcedure.input(CreateVersionInput).mutation(({ ctx, input }) => createNamedVersion(ctx.deps.db, ctx.actor, input.boardId, input.name, ctx.deps.config.boards.maxDocBytes)),
  previewVersion: authedProcedure.input(VersionRef).query(({ ctx, input }) => previewVersion(ctx.deps.db, ctx.actor, input.boardId, input.versionId)),
  prepareRestore: authedProcedure.input(VersionRef).mutation(({ ctx, input }) => prepareRestore(ctx.deps.db, ctx.actor, input.boardId, input.versionId)),
  export: authedProcedure.input(BoardId).query(({ ctx, input }) => exportBoard(ctx.deps.db, ctx.actor, input.boardId)),
  feed: authedProcedure.input(BoardId).query(({ ctx, input }) => listBoardFeed(ctx.deps.db, ctx.actor, input.boardId)),
});
