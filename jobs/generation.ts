import { z } from 'zod';
import { failAbandonedGeneration, GENERATION_QUEUE, runGeneration } from '../server/services/generations.js';
import type { QueueDefinition } from './boss.js';

const Payload = z.object({ generationId: z.uuid() });
const RETRY_LIMIT = 3;

/**
 * Runs one generation. Retryable provider failures (429, 5xx, network) are retried with
 * exponential backoff; the last attempt ends the generation as failed and releases its credits.
 * A job pg-boss gives up on (for example a worker that died) reaches the dead-letter handler,
 * which does the same. Each provider has its own concurrency limit across all workers.
 */
export const generationQueue: QueueDefinition<z.infer<typeof Payload>> = {
  name: GENERATION_QUEUE,
  deadLetter: `${GENERATION_QUEUE}.dead`,
  options: { retryLimit: RETRY_LIMIT, retryDelay: 2, retryBackoff: true, expireInSeconds: 15 * 60 },
  parse: (data) => Payload.parse(data),
  handle: (deps, data, job) => runGeneration(deps, data.generationId, { signal: job.signal, attempt: job.retryCount, maxRetries: RETRY_LIMIT }),
  handleDead: (deps, data) => failAbandonedGeneration(deps, data.generationId),
  groupConcurrency: (deps) => ({ default: 4, tiers: deps.providers.concurrency }),
};
