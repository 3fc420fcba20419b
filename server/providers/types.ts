/** The model provider interface: one request in, media out, progress reported, cancellation honoured. */
import type { Range } from '../shared/models.js';

export type { Range } from '../shared/models.js';

export interface ReferenceImage {
  /** The image bytes (already validated and stripped of metadata by the upload path). */
  data: Buffer;
  mime: 'image/png' | 'image/jpeg' | 'image/webp';
  width: number;
  height: number;
  /**
   * A short-lived URL the provider may fetch the image from, when the product is reachable from
   * the internet; adapters that accept inline data may send `data` as a data: URI instead.
   */
  url?: string;
}

export interface ProviderRequest {
  /** Our generation id, for logs and idempotency keys at the provider. */
  id: string;
  kind: 'image' | 'video';
  /** Our model id from the registry (e.g. `flux-2-klein-4b`); adapters map it to their endpoint. */
  model: string;
  prompt: string;
  width: number;
  height: number;
  seed: number;
  /** Number of outputs wanted (1–4). */
  count: number;
  /** Only where the model has them. */
  steps?: number;
  guidance?: number;
  /** Video only. */
  durationSeconds?: number;
  fps?: number;
  /** What the picture should not show; sent only to a model whose caps say it takes one. */
  negativePrompt?: string;
  /** 0–4 reference images (image-to-image / image-to-video). */
  references: ReferenceImage[];
}

export interface ProviderOutput {
  data: Buffer;
  mime: string;
  width: number;
  height: number;
  /**
   * Set by the built-in preview renderer only: drawn from the seed alone (gradients, shapes and
   * the caption; no reference photo blended in), so it cannot show what the image classifier
   * looks for (services/generations.ts does not hold such outputs back).
   */
  drawn?: boolean;
}

export interface ProviderContext {
  /** Called with 0..100 as work advances; may be called often, the caller throttles. */
  onProgress(percent: number): void | Promise<void>;
  /** Called with a short human status when there is no percentage (queue position, last log line). */
  onStatus?(message: string): void | Promise<void>;
  signal: AbortSignal;
}


/** What a provider honours for one model: a parameter it would ignore is left out. */
export interface ModelCaps {
  maxReferences: number;
  steps?: Range;
  guidance?: Range;
  /** Takes a negative prompt (what the result should not show). */
  negativePrompt?: boolean;
}

export interface ModelProvider {
  readonly name: string;
  generate(req: ProviderRequest, ctx: ProviderContext): Promise<ProviderOutput[]>;
  /**
   * Which of our models this provider serves, and what it honours for each (null: not served).
   * Providers whose offer depends on their configuration (ComfyUI's workflow files, an image
   * server's model list) answer here; the others are described in the catalogue's table.
   */
  capabilities?(model: string): ModelCaps | null;
}

export type ProviderErrorCode = 'PROVIDER_UNAVAILABLE' | 'CONTENT_REFUSED' | 'TIMEOUT' | 'BAD_RESPONSE' | 'CANCELED' | 'RATE_LIMITED' | 'OUT_OF_CREDITS' | 'INVALID_REQUEST';

/** Thrown by providers for failures a person should be told about (never a stack trace). */
export class ProviderError extends Error {
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
    /** True when trying again later may succeed (429, 5xx, network); pg-boss retries these with backoff. */
    readonly retryable = false,
    /** Seconds the provider asked us to wait (Retry-After), when it said. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** The error every provider throws when the caller's signal aborts. */
export const canceled = () => new ProviderError('CANCELED', 'The generation was canceled.');
