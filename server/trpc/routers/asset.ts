import { IdInput } from '../../shared/generation.js';
import { DeleteAssetInput, DeleteManyInput, LibraryListInput, SetFavoriteInput, SetSavedInput, SetTagsInput } from '../../shared/library.js';
import { deleteAsset, deleteAssets, getAsset, listAssets, setFavorite, setSaved, setTags } from '../../services/assets.js';
import { authedProcedure, router } from '../init.js';

export const assetRouter = router({
  list: authedProcedure.input(LibraryListInput).query(({ ctx, input }) => listAssets(ctx.deps, ctx.actor, input)),
  get: authedProcedure.input(IdInput).query(({ ctx, input }) => getAsset(ctx.deps, ctx.actor, input.id)),
  delete: authedProcedure.input(DeleteAssetInput).mutation(({ ctx, input }) => deleteAsset(ctx.deps, ctx.actor, input.id, { confirm: input.confirm })),
  deleteMany: authedProcedure.input(DeleteManyInput).mutation(({ ctx, input }) => deleteAssets(ctx.deps, ctx.actor, input)),
  setFavorite: authedProcedure.input(SetFavoriteInput).mutation(({ ctx, input }) => setFavorite(ctx.deps, ctx.actor, input)),
  setSaved: authedProcedure.input(SetSavedInput).mutation(({ ctx, input }) => setSaved(ctx.deps, ctx.actor, input)),
  setTags: authedProcedure.input(SetTagsInput).mutation(({ ctx, input }) => setTags(ctx.deps, ctx.actor, input)),
});
