/**
 * Moderation, ours (issue 15). One folder, one concern per file:
 *   terms.ts          normalising and matching prompts against the term list
 *   default-terms.ts  the shipped term list
 *   hosted.ts         the optional hosted check (OpenAI's /v1/moderations protocol)
 *   prompts.ts        the prompt step of createGeneration, refusals and the abuse limits
 *   classifier.ts     nsfwjs on the WebAssembly backend, loaded once per process, lazily
 *   images.ts         classifying outputs and references in the job; policies and verdicts
 *   settings.ts       workspace policy, a person's standing and appeal, verdicts for boards
 *   admin.ts          the operators' term list, suspensions and appeals
 */
export type { ModerationDeps } from '../deps.js';

export { createNsfwClassifier } from './classifier.js';
export { moderatePrompt } from './prompts.js';
