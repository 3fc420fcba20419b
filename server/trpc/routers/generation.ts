import { z } from 'zod';
import { CreateGenerationInput, IdInput, ListInput, RerunInput } from '../../shared/generation.js';
import { cancelGeneration, createGeneration, getGeneration, listGenerations, rerunGeneration } from '../../services/generations.js';
import { inSpan } from '../../observability/tracing.js';
import { authedProcedure, router } from '../init.js';

export const generationRouter = router({
  /** The model catalogue, from the provider registry (what the studio form is built from). */
  models: authedProcedure.input(z.object({}).optional()).query(({ ctx }) => ctx.deps.providers.models),
  create: authedProcedure.input(CreateGenerationInput).mutation(({ ctx, input }) => inSpan('service generations.create', () => createGeneration(ctx.deps, ctx.actor, input))),
  rerun: authedProcedure.input(RerunInput).mutation(({ ctx, input }) => inSpan('service generations.rerun', () => rerunGeneration(ctx.deps, ctx.actor, input))),
  list: authedProcedure.input(ListInput).query(({ ctx, input }) => listGenerations(ctx.deps, ctx.actor, input)),
  get: authedProcedure.input(IdInput).query(({ ctx, input }) => getGeneration(ctx.deps, ctx.actor, input.id)),
  cancel: authedProcedure.input(IdInput).mutation(({ ctx, input }) => cancelGeneration(ctx.deps, ctx.actor, input.id)),
});
