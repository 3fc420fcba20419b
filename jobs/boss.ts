import { PgBoss, fromKysely } from 'pg-boss';
import type { Deps, JobSender } from '../server/services/deps.js';
import type { Logger } from '../server/log.js';
import { jobMeta, observeJob } from '../server/observability/jobs.js';
import { inSpan } from '../server/observability/tracing.js';
import { SpanKind } from '@opentelemetry/api';
import { generationQueue } from './generation.js';
import { retentionQueue } from './retention.js';
import { deletionQueue, exportQueue } from './privacy.js';
import { backupQueue } from './backup.js';
import { webhookQueue } from './webhook.js';
import type { QueueDefinition } from './queue.js';

export type { JobInfo, QueueDefinition } from './queue.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const queues: QueueDefinition<any>[] = [generationQueue, retentionQueue, exportQueue, deletionQueue, backupQueue, webhookQueue];

export interface BossOptions {
  /** How often this instance looks for jobs whose worker died (lost heartbeat) or that expired. */
  superviseSeconds?: number;
  /** DB_CONNECT_TIMEOUT_MS (pg-boss has its own pool). */
  connectTimeoutMs?: number;
  /** How long a poll may wait for a connection of that pool, free or new (the statement timeout). */
  poolWaitMs?: number;
}

export function createBoss(connectionString: string, log: Logger, opts: BossOptions = {}): PgBoss {
  const boss = new PgBoss({
    connectionString,
    useListenNotify: true,
    max: 6,
    // Both: a supervision pass only looks for lapsed heartbeats and expired jobs in a queue whose
    // monitor ran at least `monitorIntervalSeconds` ago (pg-boss's default is 60 s), so setting the
    // supervise interval alone left a killed worker's job waiting up to a minute after its heartbeat lapsed.
    ...(opts.superviseSeconds ? { superviseIntervalSeconds: opts.superviseSeconds, monitorIntervalSeconds: opts.superviseSeconds } : {}),
    // Background work, so no request waits on it: pollers wait for one of the few connections, or
    // for a new one to open, up to the statement timeout. With DB_CONNECT_TIMEOUT_MS (which the
    // application's pool keeps, so that requests and /readyz fail fast) the pollers' six
    // connections opened at once at start, on a loaded machine, were reported as errors.
    ...(opts.connectTimeoutMs ? { connectionTimeoutMillis: Math.max(opts.connectTimeoutMs, opts.poolWaitMs ?? 0) } : {}),
  });
  // While the database is away pg-boss reports each failed poll here and keeps trying.
  boss.on('error', (err) => log.error('pg-boss error', { err }));
  return boss;
}

/** Per queue name, retry options that replace a queue's own (tests use quick retries). */
export type QueueOptionOverrides = Record<string, Partial<QueueDefinition<unknown>['options']>>;

/**
 * Creates every queue (and its dead-letter queue), and brings existing queues' options up to date
 * (createQueue leaves an existing queue as it was). Safe to run on every start.
 */
export async function createQueues(boss: PgBoss, opts: { heartbeatSeconds?: number; overrides?: QueueOptionOverrides } = {}): Promise<void> {
  for (const q of queues) {
    await boss.createQueue(q.deadLetter, { notify: true });
    const options = { ...q.options, ...opts.overrides?.[q.name], ...(q.heartbeat && opts.heartbeatSeconds ? { heartbeatSeconds: opts.heartbeatSeconds } : {}), deadLetter: q.deadLetter, notify: true };
    await boss.createQueue(q.name, options);
    await boss.updateQueue(q.name, options);
    if (q.schedule) await boss.schedule(q.name, q.schedule.cron, {});
  }
}

/** Sends jobs; each carries the id of the request that sent it and its trace (server/observability/jobs.ts). */
export function jobSender(boss: PgBoss): JobSender {
  return {
    send: (queue, data, opts = {}) =>
      inSpan(`send ${queue}`, () =>
        boss.send(queue, { ...data, ...jobMeta() }, {
          ...(opts.trx ? { db: fromKysely(opts.trx) } : {}),
          ...(opts.singletonKey ? { singletonKey: opts.singletonKey } : {}),
          ...(opts.group ? { group: { id: opts.group, tier: opts.group } } : {}),
          ...(opts.startAfter ? { startAfter: opts.startAfter } : {}),
        }),
        { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'pg-boss', 'messaging.destination.name': queue } },
      ),
  };
}

/** A group cannot run more jobs at once than the process has workers. */
function clampGroups(g: { default: number; tiers?: Record<string, number> }, max: number) {
  const clamp = (n: number) => Math.max(1, Math.min(n, max));
  return { default: clamp(g.default), tiers: Object.fromEntries(Object.entries(g.tiers ?? {}).map(([k, v]) => [k, clamp(v)])) };
}

/**
 * Starts the workers for every queue in this process. LISTEN/NOTIFY wakes a worker at once; a
 * burst is drained by `localConcurrency` workers each fetching as soon as the last job ends.
 */
export async function startWorkers(boss: PgBoss, deps: Deps, opts: { concurrency: number }) {
  for (const q of queues) {
    const concurrency = q.concurrency === 'worker' ? opts.concurrency : (q.concurrency ?? 1);
    await boss.work(
      q.name,
      {
        localConcurrency: concurrency,
        batchSize: 1,
        pollingIntervalSeconds: 0.5,
        notifyPollingIntervalSeconds: 2,
        // Per group (provider), strictly within this process (pg-boss's database-wide groupConcurrency
        // was seen letting two jobs of a group through at once under load). With several worker
        // processes a provider may run up to processes × its limit: size PROVIDER_CONCURRENCY for that.
        ...(q.groupConcurrency ? { localGroupConcurrency: clampGroups(q.groupConcurrency(deps), concurrency) } : {}),
      },
      async ([job]) => {
        if (!job) return;
        await observeJob(deps, q.name, job, () => q.handle(deps, q.parse(job.data), { signal: job.signal, retryCount: job.retryCount }));
      },
    );
    await boss.work(q.deadLetter, { batchSize: 1, pollingIntervalSeconds: 2 }, async ([job]) => {
      if (job) await observeJob(deps, q.deadLetter, job, () => q.handleDead(deps, q.parse(job.data)));
    });
  }
}
