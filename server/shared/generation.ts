import { z } from 'zod';
import { ASPECT_RATIOS, MAX_NEGATIVE_PROMPT_LENGTH, MAX_OUTPUTS, MAX_PROMPT_LENGTH, MAX_REFERENCES, MAX_SEED, type AspectRatio } from './generation-limits.js';

/** Inputs shared by the tRPC procedures and the studio form. */

export { ASPECT_RATIOS, MAX_NEGATIVE_PROMPT_LENGTH, MAX_OUTPUTS, MAX_PROMPT_LENGTH, MAX_REFERENCES, MAX_SEED, type AspectRatio } from './generation-limits.js';

export const AspectRatioSchema = z.enum(Object.keys(ASPECT_RATIOS) as [AspectRatio, ...AspectRatio[]], {
  error: 'Choose one of the listed aspect ratios.',
});

export const PromptSchema = z
  .string({ error: 'Enter a prompt.' })
  .trim()
  .min(1, 'Enter a prompt describing the image.')
  .max(MAX_PROMPT_LENGTH, `Keep the prompt under ${MAX_PROMPT_LENGTH.toLocaleString('en')} characters.`);

export const SeedSchema = z
  .number({ error: 'The seed must be a whole number.' })
  .int('The seed must be a whole number.')
  .min(0, 'The seed cannot be negative.')
  .max(MAX_SEED, `The seed must be at most ${MAX_SEED}.`);

/** What the picture should not show; only models whose every provider honours it take one (ModelInfo.negativePrompt). */
export const NegativePromptSchema = z
  .string()
  .trim()
  .max(MAX_NEGATIVE_PROMPT_LENGTH, `Keep the negative prompt under ${MAX_NEGATIVE_PROMPT_LENGTH.toLocaleString('en')} characters.`);

export const CreateGenerationInput = z.object({
  workspaceId: z.uuid().optional(),
  /** Set when started from a board: the result lands there for everyone. */
  boardId: z.uuid().optional(),
  kind: z.enum(['image', 'video'], { error: 'Choose image or video.' }).default('image'),
  /** A model id from `generation.models`; the default model of the kind when absent. */
  model: z.string().trim().min(1).max(64).optional(),
  prompt: PromptSchema,
  /** Empty or absent: none. Refused for a model that does not take one. */
  negativePrompt: NegativePromptSchema.optional(),
  aspectRatio: AspectRatioSchema.default('1:1'),
  /** null or absent: pick a random seed. */
  seed: SeedSchema.nullish(),
  count: z.number({ error: 'Choose 1 to 4 outputs.' }).int().min(1, 'Choose 1 to 4 outputs.').max(MAX_OUTPUTS, 'Choose 1 to 4 outputs.').default(1),
  steps: z.number().int('Steps must be a whole number.').min(1).max(50).optional(),
  guidance: z.number().min(0).max(20).optional(),
  durationSeconds: z.number().int().min(1).max(10).optional(),
  fps: z.number().int().min(1).max(60).optional(),
  referenceAssetIds: z
    .array(z.uuid({ error: 'Not a valid reference.' }))
    .max(MAX_REFERENCES, `Use at most ${MAX_REFERENCES} reference images.`)
    .default([])
    .refine((ids) => new Set(ids).size === ids.length, 'Each reference image can be used once.'),
});
export type CreateGenerationInput = z.input<typeof CreateGenerationInput>;

/** Run a generation again: same settings, the same seed (absent), a given one, or a random one (null). */
export const RerunInput = z.object({ id: z.uuid(), seed: SeedSchema.nullish() });

export const IdInput = z.object({ id: z.uuid({ error: 'Not a valid id.' }) });

export const ListInput = z.object({
  workspaceId: z.uuid().optional(),
  limit: z.number().int().min(1).max(100).default(24),
  cursor: z.string().max(200).nullish(),
});

export const GENERATION_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type GenerationStatusName = (typeof GENERATION_STATUSES)[number];

export { readyTitle } from './generation-limits.js';
