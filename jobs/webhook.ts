import { z } from 'zod';
import { deliverWebhook, failAbandonedDelivery, WEBHOOK_QUEUE, WEBHOOK_RETRY_LIMIT } from '../server/services/webhooks.js';
import type { QueueDefinition } from './queue.js';

const Payload = z.object({ deliveryId: z.uuid() });

/**
 * Sends one webhook delivery (server/services/webhooks.ts). A receiver that does not answer 2xx,
 * or cannot be reached, is tried again with exponential backoff (10 s, 20 s, 40 s, … about 10
 * minutes over 6 retries); the last attempt marks the delivery failed. Idempotent: a delivery that
 * ended is not sent again by a duplicate job (only "send again" does, as a new delivery).
 */
export const webhookQueue: QueueDefinition<z.infer<typeof Payload>> = {
  name: WEBHOOK_QUEUE,
  deadLetter: `${WEBHOOK_QUEUE}.dead`,
  options: { retryLimit: WEBHOOK_RETRY_LIMIT, retryDelay: 10, retryBackoff: true, expireInSeconds: 60 },
  concurrency: 2,
  parse: (data) => Payload.parse(data),
  handle: (deps, data, job) => deliverWebhook(deps, data.deliveryId, { attempt: job.retryCount, maxRetries: WEBHOOK_RETRY_LIMIT }),
  handleDead: (deps, data) => failAbandonedDelivery(deps, data.deliveryId),
};
