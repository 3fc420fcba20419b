/** The shape of a queue: every file under jobs/ declares one; boss.ts starts them (kept apart so the queue files do not import boss.ts). */
import type { Deps } from '../server/services/deps.js';

export interface JobInfo {
  signal: AbortSignal;
  /** 0 on the first attempt. */
  retryCount: number;
}

/** Every queue: its name, options, payload schema and handler live in one file under jobs/. */
export interface QueueDefinition<T> {
  name: string;
  deadLetter: string;
  options: { retryLimit: number; retryDelay: number; retryBackoff: boolean; expireInSeconds: number };
  /**
   * Long jobs renew a heartbeat while they run (pg-boss refreshes it every half interval); a job
   * whose worker died is retried, or dead-lettered, once its heartbeat is older than the interval,
   * instead of waiting for `expireInSeconds`.
   */
  heartbeat?: boolean;
  parse(data: unknown): T;
  handle(deps: Deps, data: T, job: JobInfo): Promise<void>;
  /** Runs for jobs that exhausted their retries: leaves their row in an honest final state (and tells whoever waits). */
  handleDead(deps: Deps, data: T): Promise<void>;
  /** Run on a schedule (pg-boss cron, UTC); one run per tick across all processes. */
  schedule?: { cron: string };
  /**
   * Jobs of this queue one process runs at once: `'worker'` is WORKER_CONCURRENCY (generations);
   * otherwise 1 (default). Every slot is a poller on pg-boss's small pool, so rare and scheduled
   * queues (a daily backup, an export now and then) get one each.
   */
  concurrency?: 'worker' | number;
  /** Concurrency groups (e.g. per provider) and their limits per worker process. */
  groupConcurrency?(deps: Deps): { default: number; tiers?: Record<string, number> };
}

