/**
 * A circuit breaker per provider, in this process's memory (each web or worker process learns on
 * its own; ADR 0016). Closed: jobs go to the provider. After `failures` failures in a row it opens:
 * jobs skip it for `cooldownMs`. Then it is half-open: the next job that needs it is the probe (one
 * at a time); the probe's success closes it, its failure opens it again for another cool-down.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failures: number;
  cooldownMs: number;
  now?: () => number;
}

export interface BreakerSnapshot {
  state: BreakerState;
  consecutiveFailures: number;
  lastFailureAt: Date | null;
  lastSuccessAt: Date | null;
  /** What the last failure said (for operators; may name hosts: not for public pages). */
  lastError: string | null;
  /** When an open breaker lets a probe through. */
  retryAt: Date | null;
}

interface Entry {
  failures: number;
  openedAt: number | null;
  probing: boolean;
  lastFailureAt: number | null;
  lastSuccessAt: number | null;
  lastError: string | null;
}

export interface Breaker {
  /** Whether a job may use the provider now, without claiming anything. */
  available(name: string): boolean;
  /** Claims the provider for one job: true when closed, or when half-open and no probe is out (this job is the probe). */
  claim(name: string): boolean;
  success(name: string): void;
  failure(name: string, error: string): void;
  /** The job ended without saying anything about the provider (canceled, refused content): frees a probe slot. */
  release(name: string): void;
  snapshot(name: string): BreakerSnapshot;
}

export function createBreaker(opts: BreakerOptions): Breaker {
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const entry = (name: string) => {
    let e = entries.get(name);
    if (!e) entries.set(name, (e = { failures: 0, openedAt: null, probing: false, lastFailureAt: null, lastSuccessAt: null, lastError: null }));
    return e;
  };
  const state = (e: Entry): BreakerState => (e.openedAt === null ? 'closed' : now() - e.openedAt >= opts.cooldownMs ? 'half-open' : 'open');
  return {
    available(name) {
      const e = entry(name);
      const s = state(e);
      return s === 'closed' || (s === 'half-open' && !e.probing);
    },
    claim(name) {
      const e = entry(name);
      const s = state(e);
      if (s === 'closed') return true;
      if (s === 'half-open' && !e.probing) return (e.probing = true);
      return false;
    },
    success(name) {
      const e = entry(name);
      Object.assign(e, { failures: 0, openedAt: null, probing: false, lastSuccessAt: now() });
    },
    failure(name, error) {
      const e = entry(name);
      e.failures += 1;
      e.lastFailureAt = now();
      e.lastError = error;
      // A failed probe, or one failure too many: (re)open for a full cool-down.
      if (e.probing || e.failures >= opts.failures) e.openedAt = now();
      e.probing = false;
    },
    release(name) {
      entry(name).probing = false;
    },
    snapshot(name) {
      const e = entry(name);
      const s = state(e);
      return {
        state: s,
        consecutiveFailures: e.failures,
        lastFailureAt: e.lastFailureAt === null ? null : new Date(e.lastFailureAt),
        lastSuccessAt: e.lastSuccessAt === null ? null : new Date(e.lastSuccessAt),
        lastError: e.lastError,
        retryAt: e.openedAt === null ? null : new Date(e.openedAt + opts.cooldownMs),
      };
    },
  };
}
