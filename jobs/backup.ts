import { z } from 'zod';
import { createBackup } from '../server/services/backup.js';
import type { QueueDefinition } from './queue.js';

/** A daily database backup to storage (docs/operations.md explains restoring it). */
export const backupQueue: QueueDefinition<Record<string, unknown>> = {
  name: 'backup',
  deadLetter: 'backup.dead',
  options: { retryLimit: 2, retryDelay: 300, retryBackoff: true, expireInSeconds: 2 * 60 * 60 },
  parse: (data) => z.object({}).passthrough().parse(data ?? {}),
  handle: async (deps) => {
    await createBackup(deps);
  },
  // A backup is recorded only once its file is complete, so a failed one leaves no row claiming a
  // backup exists: the operator is told, and tomorrow's run tries again.
  handleDead: async (deps) => {
    deps.log.error('backup failed after its retries: there is no new backup today', {});
  },
  schedule: { cron: '41 2 * * *' },
};
