import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startExifReader } from '../testing/exiftool.js';
import { connectSocket, signUp, startTestServer, trpcClient, waitForEvent, type TestServer, type TestUser } from '../testing/harness.js';
import { providerHealth } from '../services/provider-health.js';
import { startFakeBfl, type FakeServer } from './testing/fake-providers.js';
import { startFakeComfyUi, type FakeComfy } from './testing/fake-comfyui.js';

/**
 * FLUX.2 [klein] 4B served by a pool, end to end: ComfyUI (a local server speaking its protocol)
 * first, Black Forest Labs (a local fake of its API) when ComfyUI fails. Real server, real jobs,
 * real ledger.
 */
let comfy: FakeComfy;
let bfl: FakeServer;
let server: TestServer;
// The breakers' clock: the cool-down passes when a test moves it on, not by waiting it out.
let clockOffsetMs = 0;
const COOLDOWN_SECONDS = 60;
beforeAll(async () => {
  comfy = await startFakeComfyUi();
  bfl = await startFakeBfl();
  server = await startTestServer(inject('pgAdminUrl'), {
    env: {
      COMFYUI_URL: comfy.url,
      BFL_API_KEY: 'test-bfl-key',
      BFL_API_URL: bfl.url,
      MEDIA_FETCH_ALLOW_HOSTS: bfl.hostPort,
      MODEL_PROVIDERS: 'flux-2-klein-4b:comfyui,bfl',
      PROVIDER_BREAKER_FAILURES: '2',
      PROVIDER_BREAKER_COOLDOWN_SECONDS: String(COOLDOWN_SECONDS),
    },
    start: {
      breakerNow: () => Date.now() + clockOffsetMs,
      // Quick retries (the queue's own are 2 s, 4 s, 8 s): the same attempts, without the wait.
      queueOptions: { generation: { retryDelay: 1, retryBackoff: false } },
    },
  });
});
const exif = startExifReader();
afterAll(async () => {
  await exif.close();
  await server?.stop();
  await comfy?.close();
  await bfl?.close();
});

const ledger = (generationId: string) =>
  server.deps.db.selectFrom('credit_ledger').select(['reason', 'delta']).where('ref', '=', generationId).orderBy('created_at').execute();

async function generate(user: TestUser, prompt: string, timeoutMs = 20_000) {
  const api = trpcClient(server, user);
  const socket = await connectSocket(server, user);
  const progress: number[] = [];
  socket.on('generation:update', (e) => void (e.status === 'running' && progress.push(e.progress)));
  try {
    const gen = await api.generation.create.mutate({ prompt, model: 'flux-2-klein-4b' });
    const done = await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && (e.status === 'succeeded' || e.status === 'failed'), timeoutMs);
    return { gen, done, progress, view: await api.generation.get.query({ id: gen.id }) };
  } finally {
    socket.close();
  }
}

const readyz = async () => (await (await fetch(`${server.url}/readyz`)).json()) as { providers: { name: string; state: string; models: string[] }[] };

describe('a provider pool for FLUX.2 [klein] 4B', () => {
  it('offers the model with what every provider of its pool honours, and no offline preview', async () => {
    const user = await signUp(server);
    const models = await trpcClient(server, user).generation.models.query();
    const klein = models.find((m) => m.id === 'flux-2-klein-4b')!;
    expect(klein).toMatchObject({ providers: ['comfyui', 'bfl'], provider: 'comfyui', maxReferences: 4, preview: false });
    expect(klein.description).toBe('Fast, 4 steps. Runs on ComfyUI; Black Forest Labs takes over if it fails.');
    // ComfyUI honours steps, Black Forest Labs does not: a failover must not change the result, so none are offered.
    expect(klein.steps).toBeUndefined();
    // 9B: BFL only (no ComfyUI workflow ships for it, and MODEL_PROVIDER_ORDER's default applies).
    expect(models.find((m) => m.id === 'flux-2-klein-9b')).toMatchObject({ providers: ['bfl'] });
    expect(models.map((m) => m.id)).not.toContain('offline-preview');
    expect((await readyz()).providers).toEqual([
      { name: 'comfyui', state: 'closed', models: ['flux-2-klein-4b'] },
      { name: 'bfl', state: 'closed', models: ['flux-2-klein-4b', 'flux-2-klein-9b'] },
      // No video model is configured: videos come from the offline motion preview.
      { name: 'local', state: 'closed', models: ['local-motion'] },
    ]);
  });

  it('runs on ComfyUI when it works, and says so on the card and in the file', async () => {
    comfy.mode = 'ok';
    const user = await signUp(server);
    const { gen, done, view, progress } = await generate(user, 'served by the GPU');
    expect(done.status).toBe('succeeded');
    expect(view.provider).toBe('comfyui');
    // ComfyUI's step progress reached the studio live.
    expect(progress.some((p) => p > 0 && p < 100)).toBe(true);
    expect(comfy.prompts).toHaveLength(1);
    const asset = await trpcClient(server, user).asset.get.query({ id: done.assetIds![0]! });
    expect(asset).toMatchObject({ provider: 'comfyui', preview: false, width: 1024, height: 1024 });
    const data = Buffer.from(await (await fetch(`${server.url}/files/${asset.id}`, { headers: { cookie: user.cookie } })).arrayBuffer());
    expect((await exif.read(data, 'png')).tags['XMP-iptcExt:AISystemUsed']).toBe('FLUX.2 [klein] 4B (ComfyUI)');
    expect(await ledger(gen.id)).toEqual([
      { reason: 'generation.reserve', delta: -1 },
      { reason: 'generation.capture', delta: 0 },
    ]);
  });

  it('moves a job to Black Forest Labs when ComfyUI fails it, and charges it once', async () => {
    comfy.mode = 'error';
    const user = await signUp(server);
    const before = { comfy: comfy.prompts.length, bfl: bfl.requests.filter((r) => r.method === 'POST').length };
    const { gen, done, view } = await generate(user, 'failover please');
    expect(done.status).toBe('succeeded');
    expect(view.provider).toBe('bfl');
    expect(comfy.prompts.length - before.comfy).toBe(1);
    expect(bfl.requests.filter((r) => r.method === 'POST').length - before.bfl).toBe(1);
    expect(await ledger(gen.id)).toEqual([
      { reason: 'generation.reserve', delta: -1 },
      { reason: 'generation.capture', delta: 0 },
    ]);
    expect((await trpcClient(server, user).credits.balance.query({})).balance).toBe(99);
  });

  it('takes ComfyUI out after repeated failures, then puts it back after a successful probe', { timeout: 60_000 }, async () => {
    comfy.mode = 'error';
    const user = await signUp(server);
    // The previous test's failure was the first; this one is the second of PROVIDER_BREAKER_FAILURES=2.
    await generate(user, 'second failure opens the breaker');
    expect((await readyz()).providers.find((p) => p.name === 'comfyui')!.state).toBe('open');
    const health = providerHealth(server.deps).find((p) => p.name === 'comfyui')!;
    expect(health).toMatchObject({ state: 'open', consecutiveFailures: 2, label: 'ComfyUI' });
    expect(health.lastError).toContain('CUDA out of memory');
    // While open, jobs go straight to BFL without asking ComfyUI.
    const asked = comfy.prompts.length;
    const skipped = await generate(user, 'while ComfyUI is out');
    expect(skipped.view.provider).toBe('bfl');
    expect(comfy.prompts.length).toBe(asked);
    // After the cool-down the next job is the probe; it works, so ComfyUI is back.
    comfy.mode = 'ok';
    clockOffsetMs += COOLDOWN_SECONDS * 1000;
    expect((await readyz()).providers.find((p) => p.name === 'comfyui')!.state).toBe('half-open');
    const probe = await generate(user, 'the probe');
    expect(probe.view.provider).toBe('comfyui');
    expect(comfy.prompts.length).toBe(asked + 1);
    expect((await readyz()).providers.find((p) => p.name === 'comfyui')!.state).toBe('closed');
  });

  it('when every provider of the pool fails, retries, then fails the job once with its credits returned once', { timeout: 90_000 }, async () => {
    comfy.mode = 'error';
    bfl.mode = 'error500';
    const user = await signUp(server);
    const { gen, done } = await generate(user, 'nobody can make this', 80_000);
    expect(done.status).toBe('failed');
    expect(done.errorMessage).toBe('The model is not reachable right now. Please try again in a minute.');
    expect(await ledger(gen.id)).toEqual([
      { reason: 'generation.reserve', delta: -1 },
      { reason: 'generation.release', delta: 1 },
    ]);
    expect((await trpcClient(server, user).credits.balance.query({})).balance).toBe(100);
    expect((await readyz()).providers.filter((p) => p.name !== 'local').map((p) => p.state)).toEqual(['open', 'open']);
  });
});
