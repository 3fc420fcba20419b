import { z } from 'zod';
import { runRetention } from '../server/services/retention.js';
import type { QueueDefinition } from './queue.js';

const Payload = z.object({}).passthrough();

/** Runs every retention task; scheduled daily (cron in `schedules`), safe to run any number of times. */
export const retentionQueue: QueueDefinition<z.infer<typeof Payload>> = {
  name: 'retention',
  deadLetter: 'retention.dead',
  options: { retryLimit: 2, retryDelay: 60, retryBackoff: true, expireInSeconds: 30 * 60 },
  parse: (data) => Payload.parse(data ?? {}),
  handle: async (deps) => {
    await runRetention(deps);
  },
  // Nothing is half-done (each task removes files, then rows, and the next run finishes what a failed
  // one left): the operator is told, and tomorrow's run tries again.
  handleDead: async (deps) => {
    deps.log.error('retention failed after its retries; the next scheduled run tries again', {});
  },
  schedule: { cron: '17 3 * * *' },
};
