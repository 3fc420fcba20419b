import { createAppeal, myModeration, reportAsset, reportBoardItem } from '../../services/reports.js';
import { AppealInput, ReportAssetInput, ReportBoardItemInput } from '../../shared/reports.js';
import { authedProcedure, router } from '../init.js';

/** Members report content and ask for reviews (server/services/reports.ts). */
export const reportRouter = router({
  asset: authedProcedure.input(ReportAssetInput).mutation(({ ctx, input }) => reportAsset(ctx.deps, ctx.actor, input)),
  boardItem: authedProcedure.input(ReportBoardItemInput).mutation(({ ctx, input }) => reportBoardItem(ctx.deps, ctx.actor, input)),
  appeal: authedProcedure.input(AppealInput).mutation(({ ctx, input }) => createAppeal(ctx.deps, ctx.actor, input)),
  mine: authedProcedure.query(({ ctx }) => myModeration(ctx.deps, ctx.actor)),
});
