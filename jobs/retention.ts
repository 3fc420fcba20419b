import { z } from 'zod';
import { runRetention } from '../server/services/retention.js';
import type { QueueDefinition } from './boss.js';

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
  schedule: { cron: '17 3 * * *' },
};
