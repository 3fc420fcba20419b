/** The model provider interface: one request in, media out, progress reported, cancellation honoured. */

export interface ProviderRequest {
  /** Our generation id, for logs and idempotency keys at the provider. */
  id: string;
  kind: 'image' | 'video';
  model: string;
  prompt: string;
  width: number;
  height: number;
  seed: number;
}

export interface ProviderOutput {
  data: Buffer;
  mime: string;
  width: number;
  height: number;
}

export interface ProviderContext {
  /** Called with 0..100 as work advances; may be called often, the caller throttles. */
  onProgress(percent: number): void | Promise<void>;
  signal: AbortSignal;
}

export interface ModelProvider {
  readonly name: string;
  generate(req: ProviderRequest, ctx: ProviderContext): Promise<ProviderOutput[]>;
}

/** Thrown by providers for failures a person should be told about (never a stack trace). */
export class ProviderError extends Error {
  constructor(
    readonly code: 'PROVIDER_UNAVAILABLE' | 'CONTENT_REFUSED' | 'TIMEOUT' | 'BAD_RESPONSE' | 'CANCELED',
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}
