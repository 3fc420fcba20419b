import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createComfyUiProvider } from './comfyui.js';
import { loadWorkflows, parseWorkflow, SHIPPED_WORKFLOWS_DIR, WorkflowError } from './comfyui-workflows.js';
import { startFakeComfyUi, type FakeComfy } from './testing/fake-comfyui.js';
import { ProviderError, type ModelProvider, type ProviderRequest } from './types.js';

/** The real ComfyUI adapter against a local server speaking ComfyUI's HTTP and WebSocket protocol. */

let fake: FakeComfy;
let comfy: ModelProvider;
let red: Buffer;
let blue: Buffer;
beforeAll(async () => {
  fake = await startFakeComfyUi();
  comfy = createComfyUiProvider({ baseUrl: fake.url, pollIntervalMs: 20 });
  red = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff0000' } }).png().toBuffer();
  blue = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#0000ff' } }).jpeg().toBuffer();
});
afterAll(() => fake.close());
afterEach(() => {
  fake.mode = 'ok';
  fake.token = undefined;
  fake.tickMs = 5;
  fake.requests.length = 0;
  fake.prompts.length = 0;
  fake.events.length = 0;
});

const request = (over: Partial<ProviderRequest> = {}): ProviderRequest => ({
  id: 'gen-1',
  kind: 'image',
  model: 'flux-2-klein-4b',
  prompt: 'a lighthouse in fog',
  width: 256,
  height: 192,
  seed: 42,
  count: 1,
  steps: 4,
  references: [],
  ...over,
});

function run(p: ModelProvider, req: ProviderRequest, opts: { abort?: (ctl: AbortController) => void } = {}) {
  const ctl = new AbortController();
  const progress: number[] = [];
  const result = p.generate(req, { signal: ctl.signal, onProgress: (n) => void progress.push(n) });
  opts.abort?.(ctl);
  return { result, progress, ctl };
}

async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

const titled = (graph: Record<string, { class_type: string; inputs: Record<string, unknown>; _meta?: { title?: string } }>, title: string) =>
  Object.values(graph).find((n) => n._meta?.title === title);

/** Waits until `check` is true (polls; for things that happen on the server side). */
async function until(check: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('ComfyUI adapter', () => {
  it('runs the shipped text-to-image workflow with the parameters in its named nodes, follows progress on the socket, and copies each image', async () => {
    fake.tickMs = 15;
    const { result, progress } = run(comfy, request({ count: 2, steps: 6 }));
    const outs = await result;
    expect(outs).toHaveLength(2);
    for (const o of outs) {
      expect(o).toMatchObject({ mime: 'image/png', width: 256, height: 192 });
      const meta = await sharp(o.data).metadata();
      expect([meta.width, meta.height]).toEqual([256, 192]);
    }
    // One prompt per output, seeds seed and seed+1, the rest of the request in the named nodes.
    expect(fake.prompts).toHaveLength(2);
    const [a, b] = fake.prompts.map((p) => p.graph as Parameters<typeof titled>[0]);
    expect(titled(a!, 'prompt')!.inputs.text).toBe('a lighthouse in fog');
    expect([titled(a!, 'seed')!.inputs.noise_seed, titled(b!, 'seed')!.inputs.noise_seed]).toEqual([42, 43]);
    expect(titled(a!, 'size')!.inputs).toMatchObject({ width: 256, height: 192, batch_size: 1 });
    expect(titled(a!, 'steps')!.inputs).toMatchObject({ steps: 6, width: 256, height: 192 });
    expect(titled(a!, 'output')!.inputs.filename_prefix).toBe('flux-klein/gen-1-0');
    expect(Object.values(a!).some((n) => n.class_type === 'LoadImage')).toBe(false);
    // Submitted with the client id of the socket that received the progress.
    const ws = fake.requests.find((r) => r.method === 'WS')!;
    expect(ws.path).toMatch(/^\/ws\?clientId=[0-9a-f-]{36}$/);
    expect(fake.prompts[0]!.clientId).toBe(new URLSearchParams(ws.path.split('?')[1]).get('clientId'));
    expect(fake.events.filter((e) => e.type === 'progress').length).toBe(12);
    // Progress climbs with ComfyUI's value/max, in our 0–100 scale.
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    expect(progress.some((p) => p > 0 && p < 90)).toBe(true);
    expect(progress.at(-1)).toBe(95);
  });

  it('uploads references and runs the edit workflow with only as many reference slots as images', async () => {
    const outs = await run(comfy, request({ references: [{ data: red, mime: 'image/png', width: 8, height: 8 }, { data: blue, mime: 'image/jpeg', width: 8, height: 8 }] })).result;
    expect(outs).toHaveLength(1);
    expect([...fake.uploads.keys()]).toEqual(expect.arrayContaining(['flux-klein-gen-1-1.png', 'flux-klein-gen-1-2.jpg']));
    expect(fake.uploads.get('flux-klein-gen-1-1.png')!.equals(red)).toBe(true);
    const graph = fake.prompts[0]!.graph as Parameters<typeof titled>[0];
    expect(titled(graph, 'reference image 1')!.inputs.image).toBe('flux-klein-gen-1-1.png');
    expect(titled(graph, 'reference image 2')!.inputs.image).toBe('flux-klein-gen-1-2.jpg');
    // Slots 3 and 4 are gone, and the guider takes the second reference's conditioning.
    expect(Object.values(graph).filter((n) => n.class_type === 'ReferenceLatent')).toHaveLength(2);
    expect(Object.values(graph).filter((n) => n.class_type === 'LoadImage')).toHaveLength(2);
    const ref2Id = Object.entries(graph).find(([, n]) => n._meta?.title === 'reference 2')![0];
    expect(titled(graph, 'Guider')!.inputs.conditioning).toEqual([ref2Id, 0]);
  });

  it('sends the token to a proxy in front of ComfyUI on every request, the socket included', async () => {
    fake.token = 'proxy-secret';
    const withToken = createComfyUiProvider({ baseUrl: fake.url, token: 'proxy-secret', pollIntervalMs: 20 });
    const outs = await run(withToken, request({ references: [{ data: red, mime: 'image/png', width: 8, height: 8 }] })).result;
    expect(outs).toHaveLength(1);
    expect(fake.requests.length).toBeGreaterThan(3);
    expect(fake.requests.every((r) => r.headers.authorization === 'Bearer proxy-secret')).toBe(true);
    expect(fake.requests.some((r) => r.method === 'WS')).toBe(true);
    expect(fake.requests.some((r) => r.path.startsWith('/view'))).toBe(true);
    // Without it the proxy says no, and that is the provider's problem, not the request's.
    const err = await providerError(run(comfy, request()).result);
    expect(err.code).toBe('PROVIDER_UNAVAILABLE');
  });

  it('reports an execution error as the server failing (not retried here; the pool moves on)', async () => {
    fake.mode = 'error';
    const err = await providerError(run(comfy, request()).result);
    expect(err).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: false });
    expect(err.message).toContain('CUDA out of memory');
  });

  it('reports a job interrupted on the server as stopped there', async () => {
    fake.mode = 'interruptOnServer';
    const err = await providerError(run(comfy, request()).result);
    expect(err.code).toBe('CANCELED');
    expect(err.message).toBe('The job was stopped on the ComfyUI server.');
  });

  it('interrupts our running prompt when canceled', async () => {
    fake.mode = 'hang';
    const { result, ctl } = run(comfy, request());
    await until(() => fake.events.some((e) => e.type === 'progress'));
    ctl.abort();
    expect((await providerError(result)).code).toBe('CANCELED');
    const id = fake.prompts[0]!.id;
    expect(fake.requests.find((r) => r.path === '/interrupt')?.body).toEqual({ prompt_id: id });
    await until(() => fake.history.get(id)?.status.messages.some(([t]) => t === 'execution_interrupted') === true);
  });

  it('deletes our prompt from the queue when canceled while another job runs, and never interrupts that job', async () => {
    const theirs = fake.occupy();
    try {
      const { result, ctl } = run(comfy, request());
      await until(() => fake.prompts.length === 1);
      ctl.abort();
      expect((await providerError(result)).code).toBe('CANCELED');
      expect(fake.requests.find((r) => r.method === 'POST' && r.path === '/queue')?.body).toEqual({ delete: [fake.prompts[0]!.id] });
      expect(fake.requests.some((r) => r.path === '/interrupt')).toBe(false);
      expect(theirs).not.toBe(fake.prompts[0]!.id);
    } finally {
      fake.release();
    }
  });

  it('times out a job that never ends, and stops it on the server', async () => {
    fake.mode = 'hang';
    const slow = createComfyUiProvider({ baseUrl: fake.url, pollIntervalMs: 20, timeoutMs: 300 });
    const err = await providerError(run(slow, request()).result);
    expect(err).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(fake.requests.some((r) => r.path === '/interrupt')).toBe(true);
  });

  it('refuses oversized and non-image results', async () => {
    const small = createComfyUiProvider({ baseUrl: fake.url, pollIntervalMs: 20, maxResultBytes: 200_000 });
    fake.mode = 'oversized';
    const big = await providerError(run(small, request()).result);
    expect(big.code).toBe('BAD_RESPONSE');
    expect(big.message).toMatch(/larger than 200000 bytes/);
    fake.mode = 'notImage';
    expect((await providerError(run(small, request()).result)).code).toBe('BAD_RESPONSE');
  });

  it('follows the job by polling /history when the socket cannot be opened (a proxy without WebSockets)', async () => {
    fake.mode = 'noWs';
    const outs = await run(comfy, request()).result;
    expect(outs).toHaveLength(1);
    expect(fake.requests.filter((r) => r.path.startsWith('/history/')).length).toBeGreaterThan(0);
  });

  it('reports a workflow the server cannot run (missing node or model) as the server failing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fk-wf-'));
    const graph = JSON.parse(fs.readFileSync(path.join(SHIPPED_WORKFLOWS_DIR, 'flux-2-klein-4b.text.json'), 'utf8'));
    graph['7'].class_type = 'SomeCustomSampler';
    fs.writeFileSync(path.join(dir, 'flux-2-klein-4b.text.json'), JSON.stringify(graph));
    const custom = createComfyUiProvider({ baseUrl: fake.url, workflowsDir: dir, pollIntervalMs: 20 });
    const err = await providerError(run(custom, request()).result);
    expect(err).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: false });
    expect(err.message).toContain('SomeCustomSampler does not exist');
  });
});

describe('ComfyUI adapter when the server goes away', () => {
  it('fails as retryable (unreachable) when ComfyUI disappears mid-job', async () => {
    const dying = await startFakeComfyUi();
    dying.mode = 'die';
    const p = createComfyUiProvider({ baseUrl: dying.url, pollIntervalMs: 20 });
    const err = await providerError(run(p, request()).result);
    expect(err).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
    expect(dying.events.some((e) => e.type === 'progress')).toBe(true);
  });
});

describe('ComfyUI workflows', () => {
  it('ships FLUX.2 [klein] 4B text-to-image and edit (4 reference slots) in API format', () => {
    const w = loadWorkflows();
    expect(w['flux-2-klein-4b']?.text.hasSteps).toBe(true);
    expect(w['flux-2-klein-4b']?.edit?.referenceSlots).toBe(4);
    expect(w['flux-2-klein-9b']).toBeUndefined();
    expect(comfy.capabilities!('flux-2-klein-4b')).toEqual({ maxReferences: 4, steps: { min: 1, max: 50, default: 4 } });
    expect(comfy.capabilities!('flux-2-klein-9b')).toBeNull();
    const text = w['flux-2-klein-4b']!.text.graph;
    expect(titled(text, 'Load FLUX.2 [klein] 4B')!.inputs.unet_name).toBe('flux-2-klein-4b.safetensors');
  });

  it("lets an operator's file replace a shipped one and add a model", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fk-wf-'));
    const text = JSON.parse(fs.readFileSync(path.join(SHIPPED_WORKFLOWS_DIR, 'flux-2-klein-4b.text.json'), 'utf8'));
    text['1'].inputs.unet_name = 'flux-2-klein-9b.safetensors';
    fs.writeFileSync(path.join(dir, 'flux-2-klein-9b.text.json'), JSON.stringify(text));
    delete text['8'];
    text['10'].inputs.sigmas = ['9', 0];
    fs.writeFileSync(path.join(dir, 'flux-2-klein-4b.text.json'), JSON.stringify(text));
    const w = loadWorkflows(dir);
    expect(w['flux-2-klein-9b']?.text.file).toBe(path.join(dir, 'flux-2-klein-9b.text.json'));
    expect(w['flux-2-klein-9b']?.edit).toBeUndefined();
    // The replaced 4B file has no steps node: steps are then not offered.
    expect(w['flux-2-klein-4b']?.text.hasSteps).toBe(false);
    const p = createComfyUiProvider({ baseUrl: 'http://127.0.0.1:1', workflowsDir: dir });
    expect(p.capabilities!('flux-2-klein-9b')).toEqual({ maxReferences: 0, steps: { min: 1, max: 50, default: 4 } });
    expect(p.capabilities!('flux-2-klein-4b')).toEqual({ maxReferences: 4 });
  });

  it('refuses a workflow file that cannot be filled in, naming the file and what is missing', () => {
    const shipped = fs.readFileSync(path.join(SHIPPED_WORKFLOWS_DIR, 'flux-2-klein-4b.text.json'), 'utf8');
    const noSeed = JSON.parse(shipped);
    delete noSeed['6']._meta;
    expect(() => parseWorkflow('my.json', JSON.stringify(noSeed), 'text')).toThrow(new WorkflowError('ComfyUI workflow my.json: no node titled "seed"'));
    expect(() => parseWorkflow('ui.json', JSON.stringify({ nodes: [], links: [] }), 'text')).toThrow(/UI-format graph/);
    expect(() => parseWorkflow('bad.json', '{', 'text')).toThrow(/not JSON/);
    const broken = JSON.parse(shipped);
    broken['10'].inputs.noise = ['99', 0];
    expect(() => parseWorkflow('links.json', JSON.stringify(broken), 'text')).toThrow(/links to missing node 99/);
    expect(() => parseWorkflow('edit.json', shipped, 'edit')).toThrow(/needs nodes titled "reference image 1"/);
  });
});
