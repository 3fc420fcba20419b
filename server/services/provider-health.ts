import type { ProviderHealth } from '../providers/index.js';
import type { Deps } from './deps.js';

/**
 * The state of each model provider as this process sees it (its circuit breaker: closed, open
 * for a while after failures, half-open while a probe job runs), for the operator console.
 * Includes the last error, which may name internal hosts: operators only.
 */
export function providerHealth(deps: Pick<Deps, 'providers'>): ProviderHealth[] {
  return deps.providers.health();
}

/** The same, without error texts or times, for the public /readyz answer. */
export function publicProviderHealth(deps: Pick<Deps, 'providers'>): { name: string; state: ProviderHealth['state']; models: string[] }[] {
  return providerHealth(deps).map((p) => ({ name: p.name, state: p.state, models: p.models }));
}
