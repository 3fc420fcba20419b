/**
 * The model catalogue as the browser sees it, and the one cost rule: the generation service charges
 * `creditCost` and the studio's preview calls the same function, so the two cannot disagree.
 */

/** A numeric parameter's bounds and default. */
export interface Range {
  min: number;
  max: number;
  default: number;
}

/** What the studio may ask of a model; the UI builds its form from this, the service validates against it. */
export interface ModelInfo {
  id: string;
  label: string;
  description: string;
  kind: 'image' | 'video';
  /** The provider tried first here (the rest of `providers` take over when it fails). */
  provider: string;
  /** The model's pool: configured providers that serve it, in the order they are tried. */
  providers: string[];
  /** The offline preview renderer: placeholders drawn on the CPU, not an AI model. */
  preview: boolean;
  maxReferences: number;
  maxOutputs: number;
  /** Only when every provider of the pool honours it. */
  steps?: Range;
  guidance?: Range;
  /** Takes a negative prompt: only when every provider of the pool honours one. */
  negativePrompt: boolean;
  /** Video: allowed clip lengths and frame rates. */
  durations?: number[];
  fps?: number[];
  /** Credits per output image, or per second of video. */
  credits: number;
}

/** Credits a request costs: per output image, or per second of video. The one rule: the server charges it and the studio previews it with this same function. */
export function creditCost(model: ModelInfo, p: { count: number; durationSeconds?: number }): number {
  return model.kind === 'video' ? model.credits * (p.durationSeconds ?? model.durations?.[0] ?? 1) : model.credits * p.count;
}
