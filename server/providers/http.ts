import { canceled, ProviderError } from './types.js';

/** Shared HTTP plumbing for the provider adapters: timeouts, cancellation, and one error mapping. */

export interface CallOptions {
  signal: AbortSignal;
  timeoutMs: number;
}

/** Waits `ms`, or throws CANCELED as soon as the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(canceled());
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(canceled());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function retryAfterSeconds(res: Response): number | undefined {
  const v = res.headers.get('retry-after');
  if (!v) return undefined;
  const n = Number(v);
  if (Number.isFinite(n)) return Math.max(0, n);
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.round((date - Date.now()) / 1000));
}

/** Maps a non-2xx answer to a ProviderError a person can be told about (never the raw body). */
export async function errorFor(res: Response, provider: string): Promise<ProviderError> {
  const text = await res.text().catch(() => '');
  if (res.status === 429) return new ProviderError('RATE_LIMITED', `${provider} is rate limiting us.`, true, retryAfterSeconds(res));
  if (res.status === 402 || (res.status === 403 && /balance|credit|locked/i.test(text))) return new ProviderError('OUT_OF_CREDITS', `${provider} account is out of credit.`);
  if (res.status === 401 || res.status === 403) return new ProviderError('PROVIDER_UNAVAILABLE', `${provider} refused our credentials.`);
  if (res.status === 504 && res.headers.get('x-fal-request-timeout-type') === 'user') return new ProviderError('TIMEOUT', `${provider} timed out the request.`);
  if (res.status === 400 || res.status === 404 || res.status === 422) return new ProviderError('INVALID_REQUEST', `${provider} did not accept the request (${res.status}).`);
  if (res.status >= 500) return new ProviderError('PROVIDER_UNAVAILABLE', `${provider} answered ${res.status}.`, true, retryAfterSeconds(res));
  return new ProviderError('BAD_RESPONSE', `${provider} answered ${res.status}.`);
}

/**
 * One JSON request to a provider's API, bounded by `timeoutMs` and cancelled by `signal`.
 * Network failures and time-outs are retryable; a body that is not JSON is BAD_RESPONSE.
 */
export async function requestJson<T>(provider: string, url: string, init: { method: string; headers: Record<string, string>; body?: unknown }, opts: CallOptions): Promise<T> {
  if (opts.signal.aborted) throw canceled();
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method,
      headers: { accept: 'application/json', ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      signal: AbortSignal.any([opts.signal, timeout]),
      redirect: 'error',
    });
  } catch (err) {
    if (opts.signal.aborted) throw canceled();
    if (timeout.aborted) throw new ProviderError('TIMEOUT', `${provider} did not answer in time.`, true);
    throw new ProviderError('PROVIDER_UNAVAILABLE', `${provider} could not be reached: ${(err as Error).message}`, true);
  }
  if (!res.ok) throw await errorFor(res, provider);
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ProviderError('BAD_RESPONSE', `${provider} sent a body that is not JSON.`);
  }
}

/** A URL the provider gave us must point back at the provider (we send our key to it). */
export function requireSameService(url: unknown, base: string, allowedSuffixes: string[], provider: string): string {
  if (typeof url !== 'string') throw new ProviderError('BAD_RESPONSE', `${provider} did not send a URL.`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ProviderError('BAD_RESPONSE', `${provider} sent an invalid URL.`);
  }
  const b = new URL(base);
  const ok = u.origin === b.origin || (u.protocol === 'https:' && allowedSuffixes.some((s) => u.hostname === s || u.hostname.endsWith(`.${s}`)));
  if (!ok) throw new ProviderError('BAD_RESPONSE', `${provider} sent a URL on another host.`);
  return u.toString();
}

/** Reference images as data: URIs (accepted by all three providers), or their public URL when one exists. */
export function referenceInput(ref: { data: Buffer; mime: string; url?: string }): string {
  return ref.url ?? `data:${ref.mime};base64,${ref.data.toString('base64')}`;
}

/** The aspect ratio among `allowed` closest to width:height. */
export function nearestAspect(width: number, height: number, allowed: string[]): string {
  const target = width / height;
  let best = allowed[0]!;
  for (const a of allowed) {
    const [w, h] = a.split(':').map(Number) as [number, number];
    const [bw, bh] = best.split(':').map(Number) as [number, number];
    if (Math.abs(Math.log(w / h / target)) < Math.abs(Math.log(bw / bh / target))) best = a;
  }
  return best;
}
