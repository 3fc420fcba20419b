import { CreatePresetInput, PresetIdInput, UpdatePresetInput, PresetListInput, PromptHistoryIdInput, PromptHistoryInput } from '../../shared/prompts.js';
import { clearPromptHistory, deletePromptHistoryEntry, listPromptHistory } from '../../services/prompt-history.js';
import { createPreset, deletePreset, listPresets, updatePreset } from '../../services/style-presets.js';
import { authedProcedure, router } from '../init.js';

/** Recent prompts (the caller's own) and the workspace's style presets. */
export const promptsRouter = router({
  history: authedProcedure.input(PromptHistoryInput).query(({ ctx, input }) => listPromptHistory(ctx.deps, ctx.actor, input)),
  forget: authedProcedure.input(PromptHistoryIdInput).mutation(({ ctx, input }) => deletePromptHistoryEntry(ctx.deps, ctx.actor, input)),
  clearHistory: authedProcedure.mutation(({ ctx }) => clearPromptHistory(ctx.deps, ctx.actor)),
  presets: authedProcedure.input(PresetListInput).query(({ ctx, input }) => listPresets(ctx.deps, ctx.actor, input)),
  createPreset: authedProcedure.input(CreatePresetInput).mutation(({ ctx, input }) => createPreset(ctx.deps, ctx.actor, input)),
  updatePreset: authedProcedure.input(UpdatePresetInput).mutation(({ ctx, input }) => updatePreset(ctx.deps, ctx.actor, input)),
  deletePreset: authedProcedure.input(PresetIdInput).mutation(({ ctx, input }) => deletePreset(ctx.deps, ctx.actor, input)),
});
