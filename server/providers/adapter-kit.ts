import { describeMedia, fetchMedia, type FetchMediaOptions } from './fetch-media.js';
import type { ProviderOutput, ProviderRequest } from './types.js';

/** Options every HTTP adapter takes. */
export interface AdapterOptions {
  baseUrl?: string;
  pollIntervalMs?: number;
  /** Per HTTP call. */
  requestTimeoutMs?: number;
  /** For the whole generation. */
  timeoutMs?: number;
  media?: Omit<FetchMediaOptions, 'signal'>;
}

export const DEFAULTS = { pollIntervalMs: 1000, requestTimeoutMs: 30_000, timeoutMs: 10 * 60_000 };

/** Copies a result into memory at once (provider URLs expire) and checks it is usable media. */
export async function download(url: string, req: ProviderRequest, media: AdapterOptions['media'], signal: AbortSignal): Promise<ProviderOutput> {
  const { data, contentType } = await fetchMedia(url, { ...media, signal });
  const d = await describeMedia(data, contentType);
  return { data, mime: d.mime, width: d.width || req.width, height: d.height || req.height };
}

/** A signal that aborts on the caller's cancel or when the whole generation has taken too long. */
export function deadline(signal: AbortSignal, timeoutMs: number): { signal: AbortSignal; timedOut(): boolean } {
  const t = AbortSignal.timeout(timeoutMs);
  return { signal: AbortSignal.any([signal, t]), timedOut: () => t.aborted && !signal.aborted };
}
