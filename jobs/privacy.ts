import { z } from 'zod';
import { DELETION_QUEUE, EXPORT_QUEUE, runDeletion, runExport } from '../server/services/privacy.js';
import type { QueueDefinition } from './boss.js';

const ExportPayload = z.object({ exportId: z.uuid() });
const DeletionPayload = z.object({ requestId: z.uuid() });

/** Builds a user's data export (ZIP with data.json and files). Idempotent. */
export const exportQueue: QueueDefinition<z.infer<typeof ExportPayload>> = {
  name: EXPORT_QUEUE,
  deadLetter: `${EXPORT_QUEUE}.dead`,
  options: { retryLimit: 3, retryDelay: 30, retryBackoff: true, expireInSeconds: 60 * 60 },
  parse: (data) => ExportPayload.parse(data),
  handle: (deps, data) => runExport(deps, data.exportId),
};

/** Deletes an account once its grace period is over (sent with startAfter). Idempotent. */
export const deletionQueue: QueueDefinition<z.infer<typeof DeletionPayload>> = {
  name: DELETION_QUEUE,
  deadLetter: `${DELETION_QUEUE}.dead`,
  options: { retryLimit: 5, retryDelay: 60, retryBackoff: true, expireInSeconds: 60 * 60 },
  parse: (data) => DeletionPayload.parse(data),
  handle: (deps, data) => runDeletion(deps, data.requestId),
};
