import { z } from 'zod';
import { failAbandonedGeneration, GENERATION_QUEUE, runGeneration } from '../server/services/generations.js';
import type { QueueDefinition } from './queue.js';

const Payload = z.object({ generationId: z.uuid() });
const RETRY_LIMIT = 3;

/**
 * Runs one generation. Retryable provider failures (429, 5xx, network) are retried with
 * exponential backoff; the last attempt ends the generation as failed and releases its credits.
 * A running job renews a heartbeat; when its worker dies the heartbeat stops, and the next
 * supervision pass (in any process) retries the job on another worker. A job pg-boss gives up on
 * (no retry left) reaches the dead-letter handler, which ends it as failed and releases its credits. Each provider has its own concurrency limit across all workers.
 */
export const generationQueue: QueueDefinition<z.infer<typeof Payload>> = {
  name: GENERATION_QUEUE,
  deadLetter: `${GENERATION_QUEUE}.dead`,
  options: { retryLimit: RETRY_LIMIT, retryDelay: 2, retryBackoff: true, expireInSeconds: 15 * 60 },
  // A killed worker's job is retried (or failed, credits released) within GENERATION_HEARTBEAT_SECONDS + JOB_SUPERVISE_SECONDS.
  heartbeat: true,
  concurrency: 'worker',
  parse: (data) => Payload.parse(data),
  handle: (deps, data, job) => runGeneration(deps, data.generationId, { signal: job.signal, attempt: job.retryCount, maxRetries: RETRY_LIMIT }),
  handleDead: (deps, data) => failAbandonedGeneration(deps, data.generationId),
  groupConcurrency: (deps) => ({ default: 4, tiers: deps.providers.concurrency }),
};
