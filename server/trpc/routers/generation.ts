import { CreateGenerationInput, IdInput, ListInput } from '../../shared/generation.js';
import { cancelGeneration, createGeneration, getGeneration, listGenerations } from '../../services/generations.js';
import { authedProcedure, router } from '../init.js';

export const generationRouter = router({
  create: authedProcedure.input(CreateGenerationInput).mutation(({ ctx, input }) => createGeneration(ctx.deps, ctx.actor, input)),
  list: authedProcedure.input(ListInput).query(({ ctx, input }) => listGenerations(ctx.deps, ctx.actor, input)),
  get: authedProcedure.input(IdInput).query(({ ctx, input }) => getGeneration(ctx.deps, ctx.actor, input.id)),
  cancel: authedProcedure.input(IdInput).mutation(({ ctx, input }) => cancelGeneration(ctx.deps, ctx.actor, input.id)),
});
