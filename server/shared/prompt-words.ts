/** Prompt history and style presets (issue 18): the words and limits pages import, without zod (ADR 0024). */
import { MAX_PROMPT_LENGTH } from './generation-limits.js';

export interface PromptHistoryEntry {
  id: string;
  prompt: string;
  negativePrompt: string | null;
  uses: number;
  lastUsedAt: string;
}

/** Recent prompts kept per person; older ones are dropped as new ones come. */
export const PROMPT_HISTORY_KEEP = 200;

export interface StylePresetView {
  id: string;
  workspaceId: string;
  name: string;
  promptSuffix: string;
  negativePrompt: string | null;
  createdBy: string | null;
  createdByName: string | null;
  /** The viewer may change or delete it (its author, or an admin/owner). */
  mayChange: boolean;
}

export const MAX_PRESET_NAME = 60;
export const MAX_PRESET_SUFFIX = 500;
export const MAX_PRESETS_PER_WORKSPACE = 50;

/** The prompt with a preset's style text appended (what the studio puts in the prompt field). */
export function applyPreset(prompt: string, suffix: string): string {
  const p = prompt.trim().replace(/[,.;\s]+$/, '');
  const out = p ? `${p}, ${suffix}` : suffix;
  return out.slice(0, MAX_PROMPT_LENGTH);
}
