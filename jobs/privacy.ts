import { z } from 'zod';
import { DELETION_QUEUE, EXPORT_QUEUE, failDeletion, failExport, runDeletion, runExport } from '../server/services/privacy.js';
import type { QueueDefinition } from './queue.js';

const ExportPayload = z.object({ exportId: z.uuid() });
const DeletionPayload = z.object({ requestId: z.uuid() });

/** Builds a user's data export (ZIP with data.json and files). Idempotent. When every attempt failed, the export is marked failed and the person told. */
export const exportQueue: QueueDefinition<z.infer<typeof ExportPayload>> = {
  name: EXPORT_QUEUE,
  deadLetter: `${EXPORT_QUEUE}.dead`,
  options: { retryLimit: 3, retryDelay: 30, retryBackoff: true, expireInSeconds: 60 * 60 },
  parse: (data) => ExportPayload.parse(data),
  handle: (deps, data) => runExport(deps, data.exportId),
  handleDead: (deps, data) => failExport(deps, data.exportId),
};

/** Deletes an account once its grace period is over (sent with startAfter). Idempotent. When every attempt failed, the request is marked failed for an operator to finish. */
export const deletionQueue: QueueDefinition<z.infer<typeof DeletionPayload>> = {
  name: DELETION_QUEUE,
  deadLetter: `${DELETION_QUEUE}.dead`,
  options: { retryLimit: 5, retryDelay: 60, retryBackoff: true, expireInSeconds: 60 * 60 },
  parse: (data) => DeletionPayload.parse(data),
  handle: (deps, data) => runDeletion(deps, data.requestId),
  handleDead: (deps, data) => failDeletion(deps, data.requestId),
};
