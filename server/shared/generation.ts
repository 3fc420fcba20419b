import { z } from 'zod';

/** Inputs shared by the tRPC procedures and the studio form. */

export const MAX_PROMPT_LENGTH = 2000;
export const MAX_SEED = 2_147_483_647;

export const ASPECT_RATIOS = {
  '1:1': { width: 1024, height: 1024, label: 'Square' },
  '4:3': { width: 1152, height: 864, label: 'Landscape 4:3' },
  '3:4': { width: 864, height: 1152, label: 'Portrait 3:4' },
  '16:9': { width: 1344, height: 768, label: 'Wide 16:9' },
  '9:16': { width: 768, height: 1344, label: 'Tall 9:16' },
} as const;
export type AspectRatio = keyof typeof ASPECT_RATIOS;
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

export const CreateGenerationInput = z.object({
  workspaceId: z.uuid().optional(),
  prompt: PromptSchema,
  aspectRatio: AspectRatioSchema.default('1:1'),
  /** null or absent: pick a random seed. */
  seed: SeedSchema.nullish(),
});
export type CreateGenerationInput = z.input<typeof CreateGenerationInput>;

export const IdInput = z.object({ id: z.uuid({ error: 'Not a valid id.' }) });

export const ListInput = z.object({
  workspaceId: z.uuid().optional(),
  limit: z.number().int().min(1).max(100).default(24),
  cursor: z.string().max(200).nullish(),
});

export const GENERATION_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type GenerationStatusName = (typeof GENERATION_STATUSES)[number];
