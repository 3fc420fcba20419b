/**
 * The studio's limits, without zod: pages import these, and only load the schemas in
 * ./generation.ts when a form is sent (zod is ~80 kB compressed; ADR 0024).
 */
export const MAX_PROMPT_LENGTH = 2000;
export const MAX_SEED = 2_147_483_647;
export const MAX_NEGATIVE_PROMPT_LENGTH = 1000;

export const ASPECT_RATIOS = {
  '1:1': { width: 1024, height: 1024, label: 'Square' },
  '4:3': { width: 1152, height: 864, label: 'Landscape 4:3' },
  '3:4': { width: 864, height: 1152, label: 'Portrait 3:4' },
  '16:9': { width: 1344, height: 768, label: 'Wide 16:9' },
  '9:16': { width: 768, height: 1344, label: 'Tall 9:16' },
} as const;
export type AspectRatio = keyof typeof ASPECT_RATIOS;

export const MAX_REFERENCES = 4;
export const MAX_OUTPUTS = 4;

/** How a finished job is announced (toast, notification): a video as a video, several images as images. */
export function readyTitle(kind: 'image' | 'video' | undefined, outputs: number, style: 'toast' | 'notification'): string {
  const what = kind === 'video' ? 'video' : outputs > 1 ? `${outputs} images` : 'image';
  if (style === 'toast') return `${what[0]!.toUpperCase()}${what.slice(1)} ready`;
  return outputs > 1 && kind !== 'video' ? `Your ${what} are ready` : `Your ${what} is ready`;
}
