import { IdInput, ListInput } from '../../shared/generation.js';
import { deleteAsset, getAsset, listAssets } from '../../services/assets.js';
import { authedProcedure, router } from '../init.js';

export const assetRouter = router({
  list: authedProcedure.input(ListInput).query(({ ctx, input }) => listAssets(ctx.deps, ctx.actor, input)),
  get: authedProcedure.input(IdInput).query(({ ctx, input }) => getAsset(ctx.deps, ctx.actor, input.id)),
  delete: authedProcedure.input(IdInput).mutation(({ ctx, input }) => deleteAsset(ctx.deps, ctx.actor, input.id)),
});
