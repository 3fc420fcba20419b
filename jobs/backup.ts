import { z } from 'zod';
import { createBackup } from '../server/services/backup.js';
import type { QueueDefinition } from './boss.js';

/** A daily database backup to storage (docs/operations.md explains restoring it). */
export const backupQueue: QueueDefinition<Record<string, unknown>> = {
  name: 'backup',
  deadLetter: 'backup.dead',
  options: { retryLimit: 2, retryDelay: 300, retryBackoff: true, expireInSeconds: 2 * 60 * 60 },
  parse: (data) => z.object({}).passthrough().parse(data ?? {}),
  handle: async (deps) => {
    await createBackup(deps);
  },
  schedule: { cron: '41 2 * * *' },
};
