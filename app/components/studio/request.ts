/**
 * The studio form as data, and the two things derived from it: the request it sends
 * (CreateGenerationInput) and the cost it previews. The preview calls the server's own rule
 * (`creditCost` in server/shared/models.ts), with the same defaults the service applies, so what
 * the button says is what the ledger reserves (server/testing: the property test proves it).
 */
import { creditCost, type ModelInfo } from '../../../server/shared/models.js';
import type { AspectRatio } from '../../../server/shared/generation-limits.js';

export interface StudioReference {
  id: string;
  url: string;
  name: string;
}

export interface StudioFormState {
  kind: 'image' | 'video';
  prompt: string;
  aspectRatio: AspectRatio;
  randomSeed: boolean;
  seed: string;
  count: number;
  /** '' means the model's default. */
  steps: string;
  guidance: string;
  duration: number | undefined;
  fps: number | undefined;
  references: StudioReference[];
  /** What the picture should not show; sent only for models that take one. */
  negativePrompt: string;
}

/** The request the form sends (validated with CreateGenerationInput before sending). */
export function studioRequest(form: StudioFormState, model: ModelInfo | undefined, workspaceId: string | undefined) {
  const video = form.kind === 'video';
  return {
    workspaceId,
    kind: form.kind,
    model: model?.id,
    prompt: form.prompt,
    aspectRatio: form.aspectRatio,
    seed: form.randomSeed || form.seed.trim() === '' ? null : Number(form.seed),
    count: video ? 1 : form.count,
    ...(model?.steps && form.steps !== '' ? { steps: Number(form.steps) } : {}),
    ...(model?.guidance && form.guidance !== '' ? { guidance: Number(form.guidance) } : {}),
    ...(video ? { durationSeconds: form.duration ?? model?.durations?.[0], fps: form.fps ?? model?.fps?.[0] } : {}),
    referenceAssetIds: form.references.map((r) => r.id),
    ...(model?.negativePrompt && form.negativePrompt.trim() ? { negativePrompt: form.negativePrompt } : {}),
  };
}

/** Credits the request will reserve: the server's rule applied to exactly what is sent. */
export function previewCost(form: StudioFormState, model: ModelInfo | undefined): number {
  if (!model) return 0;
  const req = studioRequest(form, model, undefined);
  return creditCost(model, { count: req.count, durationSeconds: req.durationSeconds });
}
