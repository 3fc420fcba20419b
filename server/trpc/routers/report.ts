import { z } from 'zod';
import { createAppeal, hiddenAsset, myModeration, reportAsset, reportBoardItem } from '../../services/reports.js';
import { AppealInput, ReportAssetInput, ReportBoardItemInput } from '../../shared/reports.js';
import { authedProcedure, router } from '../init.js';

/** Members report content and ask for reviews (server/services/reports.ts). */
export const reportRouter = router({
  asset: authedProcedure.input(ReportAssetInput).mutation(({ ctx, input }) => reportAsset(ctx.deps, ctx.actor, input)),
  boardItem: authedProcedure.input(ReportBoardItemInput).mutation(({ ctx, input }) => reportBoardItem(ctx.deps, ctx.actor, input)),
  appeal: authedProcedure.input(AppealInput).mutation(({ ctx, input }) => createAppeal(ctx.deps, ctx.actor, input)),
  /** A hidden asset as its workspace's members see it (reason, whether they may appeal). */
  hiddenAsset: authedProcedure.input(z.object({ id: z.uuid() })).query(({ ctx, input }) => hiddenAsset(ctx.deps, ctx.actor, input.id)),
  mine: authedProcedure.query(({ ctx }) => myModeration(ctx.deps, ctx.actor)),
});
