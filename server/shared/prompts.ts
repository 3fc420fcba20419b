import { z } from 'zod';
import { MAX_NEGATIVE_PROMPT_LENGTH, MAX_PROMPT_LENGTH } from './generation.js';

/** Prompt history and style presets (issue 18), shared by the services and the studio. */

export interface PromptHistoryEntry {
  id: string;
  prompt: string;
  negativePrompt: string | null;
  uses: number;
  lastUsedAt: string;
}

/** Recent prompts kept per person; older ones are dropped as new ones come. */
export const PROMPT_HISTORY_KEEP = 200;

export const PromptHistoryInput = z.object({
  query: z.string().trim().max(200, 'Search for at most 200 characters.').optional(),
  limit: z.number().int().min(1).max(50).default(20),
});
export const PromptHistoryIdInput = z.object({ id: z.uuid({ error: 'Not a valid entry.' }) });

export interface StylePresetView {
  id: string;
  workspaceId: string;
  name: string;
  promptSuffix: string;
  negativePrompt: string | null;
  createdBy: string | null;
  createdByName: string | null;
  /** The viewer may delete it (its author, or an admin/owner). */
  mayDelete: boolean;
}

export const MAX_PRESET_NAME = 60;
export const MAX_PRESET_SUFFIX = 500;
export const MAX_PRESETS_PER_WORKSPACE = 50;

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
export const PresetListInput = z.object({ workspaceId: z.uuid().optional() });
export const PresetIdInput = z.object({ id: z.uuid({ error: 'Not a valid preset.' }) });

/** The prompt with a preset's style text appended (what the studio puts in the prompt field). */
export function applyPreset(prompt: string, suffix: string): string {
  const p = prompt.trim().replace(/[,.;\s]+$/, '');
  const out = p ? `${p}, ${suffix}` : suffix;
  return out.slice(0, MAX_PROMPT_LENGTH);
}
