import type { Breaker } from './breaker.js';
import { ProviderError, type ModelProvider, type ProviderContext, type ProviderOutput, type ProviderRequest } from './types.js';

/**
 * Failover across a model's providers. The pool is tried in order, skipping providers whose
 * breaker is open. A failure that says "this provider, not this request" (retryable: 5xx,
 * timeouts, unreachable, rate limits; or an unusable account: bad credentials, no credit, a
 * server that cannot run the workflow) counts against the provider's breaker and moves the job to
 * the next one. Anything about the request itself (refused content, invalid settings, an unusable
 * result, a cancel) ends the run as it is. Credits are not touched here: the generation was
 * charged once when it was accepted, whichever provider serves it.
 */

export function movesToNextProvider(err: unknown): err is ProviderError {
  return err instanceof ProviderError && (err.retryable || err.code === 'PROVIDER_UNAVAILABLE' || err.code === 'OUT_OF_CREDITS');
}

export interface FailoverOptions {
  pool: string[];
  get(name: string): ModelProvider;
  breaker: Breaker;
  /** Called before the job moves on, with the provider that failed, its error and the next one. */
  onFailover?(from: string, err: ProviderError, to: string): void | Promise<void>;
}

/** The offline preview renders in this process: it cannot be "down", so it has no breaker. */
const UNGUARDED = new Set(['local']);
const noBreaker: Breaker = { available: () => true, claim: () => true, success: () => {}, failure: () => {}, release: () => {}, snapshot: () => ({ state: 'closed', consecutiveFailures: 0, lastFailureAt: null, lastSuccessAt: null, lastError: null, retryAt: null }) };

export async function generateWithFailover(req: ProviderRequest, ctx: ProviderContext, opts: FailoverOptions): Promise<{ outputs: ProviderOutput[]; provider: string }> {
  const { pool } = opts;
  let last: ProviderError | undefined;
  let failed: string | undefined;
  for (const [i, name] of pool.entries()) {
    const breaker = UNGUARDED.has(name) ? noBreaker : opts.breaker;
    if (!breaker.claim(name)) continue;
    if (failed && last) await opts.onFailover?.(failed, last, name);
    try {
      const outputs = await opts.get(name).generate(req, ctx);
      breaker.success(name);
      return { outputs, provider: name };
    } catch (err) {
      if (ctx.signal.aborted || !movesToNextProvider(err)) {
        // The provider answered about the request (or we stopped it): it is alive.
        if (err instanceof ProviderError && (err.code === 'CONTENT_REFUSED' || err.code === 'INVALID_REQUEST')) breaker.success(name);
        else breaker.release(name);
        throw err;
      }
      breaker.failure(name, err.message);
      last = err;
      failed = name;
      if (i === pool.length - 1) break;
    }
  }
  if (last) throw last;
  throw new ProviderError('PROVIDER_UNAVAILABLE', 'Every provider of this model is failing right now; it is being tried again shortly.', true);
}
