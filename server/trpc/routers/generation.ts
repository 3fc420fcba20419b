import { z } from 'zod';
import { CreateGenerationInput, IdInput, ListInput, RerunInput } from '../../shared/generation.js';
import { cancelGeneration, createGeneration, generateFromAsset, getGeneration, listGenerations, rerunGeneration } from '../../services/generations.js';
import { getLineage } from '../../services/lineage.js';
import { AssetIdInput, FromAssetInput } from '../../shared/lineage.js';
import { inSpan } from '../../observability/tracing.js';
import { authedProcedure, router } from '../init.js';

export const generationRouter = router({
  /** The model catalogue, from the provider registry (what the studio form is built from). */
  models: authedProcedure.input(z.object({}).optional()).query(({ ctx }) => ctx.deps.providers.models),
  create: authedProcedure.input(CreateGenerationInput).mutation(({ ctx, input }) => inSpan('service generations.create', () => createGeneration(ctx.deps, ctx.actor, input))),
  rerun: authedProcedure.input(RerunInput).mutation(({ ctx, input }) => inSpan('service generations.rerun', () => rerunGeneration(ctx.deps, ctx.actor, input))),
  list: authedProcedure.input(ListInput).query(({ ctx, input }) => listGenerations(ctx.deps, ctx.actor, input)),
  get: authedProcedure.input(IdInput).query(({ ctx, input }) => getGeneration(ctx.deps, ctx.actor, input.id)),
  /** One click on an output's page: the same again, or variations; the new job's parent is that output. */
  fromAsset: authedProcedure.input(FromAssetInput).mutation(({ ctx, input }) => inSpan('service generations.fromAsset', () => generateFromAsset(ctx.deps, ctx.actor, input))),
  /** Where an output came from and what was made from it. */
  lineage: authedProcedure.input(AssetIdInput).query(({ ctx, input }) => getLineage(ctx.deps, ctx.actor, input.assetId)),
  cancel: authedProcedure.input(IdInput).mutation(({ ctx, input }) => cancelGeneration(ctx.deps, ctx.actor, input.id)),
});
