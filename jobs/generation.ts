import { z } from 'zod';
import { GENERATION_QUEUE, runGeneration } from '../server/services/generations.js';
import type { QueueDefinition } from './boss.js';

const Payload = z.object({ generationId: z.uuid() });

/** Runs one generation. The handler is idempotent: a retry or duplicate of a finished job does nothing. */
export const generationQueue: QueueDefinition<z.infer<typeof Payload>> = {
  name: GENERATION_QUEUE,
  deadLetter: `${GENERATION_QUEUE}.dead`,
  options: { retryLimit: 3, retryDelay: 2, retryBackoff: true, expireInSeconds: 15 * 60 },
  parse: (data) => Payload.parse(data),
  handle: (deps, data, signal) => runGeneration(deps, data.generationId, { signal }),
};
