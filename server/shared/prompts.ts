import { z } from 'zod';
import { MAX_NEGATIVE_PROMPT_LENGTH } from './generation-limits.js';
import { MAX_PRESET_NAME, MAX_PRESET_SUFFIX } from './prompt-words.js';

/** Prompt history and style presets (issue 18): the inputs the procedures check (words and limits in prompt-words.ts). */
export * from './prompt-words.js';

export const PromptHistoryInput = z.object({
  query: z.string().trim().max(200, 'Search for at most 200 characters.').optional(),
  limit: z.number().int().min(1).max(50).default(20),
});
export const PromptHistoryIdInput = z.object({ id: z.uuid({ error: 'Not a valid entry.' }) });

export const CreatePresetInput = z.object({
  workspaceId: z.uuid().optional(),
  name: z.string({ error: 'Name the preset.' }).trim().min(1, 'Name the preset.').max(MAX_PRESET_NAME, `Keep the name under ${MAX_PRESET_NAME} characters.`),
  promptSuffix: z
    .string({ error: 'Enter the style text.' })
    .trim()
    .min(1, 'Enter the style text added to prompts.')
    .max(MAX_PRESET_SUFFIX, `Keep the style text under ${MAX_PRESET_SUFFIX} characters.`),
  negativePrompt: z.string().trim().max(MAX_NEGATIVE_PROMPT_LENGTH, `Keep the negative prompt under ${MAX_NEGATIVE_PROMPT_LENGTH} characters.`).optional(),
});
/** A preset's new name, style text and negative prompt (an empty or absent negative prompt clears it). */
export const UpdatePresetInput = CreatePresetInput.omit({ workspaceId: true }).extend({ id: z.uuid({ error: 'Not a valid preset.' }) });
export const PresetListInput = z.object({ workspaceId: z.uuid().optional() });
export const PresetIdInput = z.object({ id: z.uuid({ error: 'Not a valid preset.' }) });
