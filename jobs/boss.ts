import { PgBoss, fromKysely } from 'pg-boss';
import type { Deps, JobSender } from '../server/services/deps.js';
import type { Logger } from '../server/log.js';
import { generationQueue } from './generation.js';

/** Every queue: its name, options and handler live in one file under jobs/. */
export const queues = [generationQueue] as const;

export interface QueueDefinition<T> {
  name: string;
  deadLetter: string;
  options: { retryLimit: number; retryDelay: number; retryBackoff: boolean; expireInSeconds: number };
  parse(data: unknown): T;
  handle(deps: Deps, data: T, signal: AbortSignal): Promise<void>;
}

export function createBoss(connectionString: string, log: Logger): PgBoss {
  const boss = new PgBoss({ connectionString, useListenNotify: true, max: 6 });
  boss.on('error', (err) => log.error('pg-boss error', { err }));
  return boss;
}

/** Creates every queue (and its dead-letter queue). Safe to run on every start. */
export async function createQueues(boss: PgBoss): Promise<void> {
  for (const q of queues) {
    await boss.createQueue(q.deadLetter, { notify: false });
    await boss.createQueue(q.name, { ...q.options, deadLetter: q.deadLetter, notify: true });
  }
}

export function jobSender(boss: PgBoss): JobSender {
  return {
    send: (queue, data, opts = {}) =>
      boss.send(queue, data, {
        ...(opts.trx ? { db: fromKysely(opts.trx) } : {}),
        ...(opts.singletonKey ? { singletonKey: opts.singletonKey } : {}),
      }),
  };
}

/** Starts the workers for every queue in this process. */
export async function startWorkers(boss: PgBoss, deps: Deps, opts: { concurrency: number }) {
  for (const q of queues) {
    await boss.work(
      q.name,
      {
        localConcurrency: opts.concurrency,
        batchSize: 1,
        pollingIntervalSeconds: 0.5,
        notifyPollingIntervalSeconds: 2,
      },
      async ([job]) => {
        if (!job) return;
        await q.handle(deps, q.parse(job.data), job.signal);
      },
    );
  }
}
