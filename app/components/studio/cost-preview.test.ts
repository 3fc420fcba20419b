/**
 * The studio's cost preview is the charge: for every model the server offers and any settings the
 * form can hold, the credits the Generate button shows (previewCost, the studio's own code) equal
 * the credits the real service reserves in the ledger for the request the form sends
 * (studioRequest). Two servers: one with no provider configured (the offline preview renderers),
 * one with hosted providers configured (FLUX.2 [klein] 4B and 9B, Kling); no worker runs, so jobs
 * stay queued and nothing is sent anywhere.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ASPECT_RATIOS, type AspectRatio } from '../../../server/shared/generation.js';
import type { ModelInfo } from '../../../server/shared/models.js';
import { signUp, startTestServer, trpcClient, type TestServer } from '../../../server/testing/harness.js';
import { previewCost, studioRequest, type StudioFormState } from './request.js';

const LIMITS = { SIGNUP_CREDITS: '1000000', GENERATION_RATE_PER_MINUTE: '100000', GENERATION_MAX_IN_FLIGHT: '100000', GENERATION_MAX_IN_FLIGHT_PER_WORKSPACE: '100000', RUN_WORKER: 'false' };
const CLOSED = 'http://127.0.0.1:9'; // never called: no worker runs

let offline: TestServer;
let hosted: TestServer;
beforeAll(async () => {
  [offline, hosted] = await Promise.all([
    startTestServer(inject('pgAdminUrl'), { env: LIMITS }),
    startTestServer(inject('pgAdminUrl'), { env: { ...LIMITS, FAL_KEY: 'test-key', FAL_QUEUE_URL: CLOSED, BFL_API_KEY: 'test-key', BFL_API_URL: CLOSED } }),
  ]);
});
afterAll(async () => {
  await Promise.all([offline?.stop(), hosted?.stop()]);
});

/** Any state the studio form can be in for this model (the controls offer exactly these values). */
function formFor(model: ModelInfo): fc.Arbitrary<StudioFormState> {
  const range = (r: { min: number; max: number } | undefined, step = 1) =>
    r ? fc.oneof(fc.constant(''), fc.integer({ min: Math.ceil(r.min / step), max: Math.floor(r.max / step) }).map((n) => String(n * step))) : fc.constant('');
  return fc.record({
    kind: fc.constant(model.kind),
    prompt: fc.constantFrom('a lighthouse in fog', 'two cats on a windowsill', 'a slow pan over a harbour at dusk'),
    aspectRatio: fc.constantFrom(...(Object.keys(ASPECT_RATIOS) as AspectRatio[])),
    randomSeed: fc.boolean(),
    seed: fc.oneof(fc.constant(''), fc.integer({ min: 0, max: 2 ** 31 - 1 }).map(String)),
    count: fc.integer({ min: 1, max: model.maxOutputs }),
    steps: range(model.steps),
    guidance: range(model.guidance, 0.5),
    duration: model.durations ? fc.option(fc.constantFrom(...model.durations), { nil: undefined }) : fc.constant(undefined),
    fps: model.fps ? fc.option(fc.constantFrom(...model.fps), { nil: undefined }) : fc.constant(undefined),
    references: fc.constant([]),
    negativePrompt: model.negativePrompt ? fc.constantFrom('', 'blurry, text') : fc.constant(''),
  });
}

async function checkServer(server: TestServer, runs: number) {
  const user = await signUp(server);
  const api = trpcClient(server, user);
  const models = await api.generation.models.query();
  const seen = new Set<string>();
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...models).chain((m) => formFor(m).map((form) => ({ model: m, form }))),
      async ({ model, form }) => {
        seen.add(model.id);
        const shown = previewCost(form, model);
        const gen = await api.generation.create.mutate(studioRequest(form, model, undefined));
        const reserve = await server.deps.db.selectFrom('credit_ledger').select('delta').where('reason', '=', 'generation.reserve').where('ref', '=', gen.id).executeTakeFirst();
        expect(gen.creditCost).toBe(shown);
        expect(reserve?.delta ?? 0).toBe(-shown);
      },
    ),
    { numRuns: runs },
  );
  return { models: models.map((m) => m.id), seen };
}

describe('the studio cost preview', () => {
  it('equals what the service reserves, for the offline preview renderers and any settings', async () => {
    const { models, seen } = await checkServer(offline, 30);
    expect(models.sort()).toEqual(['local-motion', 'offline-preview']);
    expect([...seen].sort()).toEqual(models);
  });

  it('equals what the service reserves, for every hosted model (FLUX.2 [klein] 4B and 9B, Kling) and any settings', async () => {
    const { models, seen } = await checkServer(hosted, 60);
    expect(models.sort()).toEqual(['flux-2-klein-4b', 'flux-2-klein-9b', 'kling-2.5-turbo']);
    expect([...seen].sort()).toEqual(models);
  });
});
