/**
 * Issue 18 in the services, against a real PostgreSQL and pg-boss:
 * - the queue: reordering one's own jobs changes which job pg-boss hands a worker next, without
 *   jumping anyone else's; refusals (someone else's job, another workspace, a viewer) move nothing;
 *   cancel all of one's own; live "queue:changed";
 * - lineage: re-run identical, variations, an edit with an output as reference, the chain back to the
 *   first prompt and the children, and an ancestor deleted later shown as removed;
 * - provider status lines reach the socket; negative prompts where the model takes one;
 * - prompt history (per person, searchable) and workspace style presets (with their refusals).
 */
import sharp from 'sharp';
import { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLocalProvider } from '../providers/local.js';
import type { ModelProvider } from '../providers/types.js';
import { connectSocket, eventually, signUp, startTestServer, trpcClient, trpcErrorCode, waitForEvent, type TestServer, type TestUser } from '../testing/harness.js';
import { createUpload } from './assets.js';
import { GENERATION_QUEUE } from './generations.js';
import { collectUserData } from './privacy.js';
import { addMember, verify } from '../testing/teams.js';

async function refusal(p: Promise<unknown>) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'expected a refusal').not.toBeNull();
  return trpcErrorCode(err);
}

async function team(server: TestServer, owner: TestUser, name: string) {
  await verify(server.deps.db, owner.id);
  return trpcClient(server, owner).workspace.create.mutate({ name });
}

describe('the queue, with pg-boss running for real (no worker in this process: pg-boss hands out the jobs below)', () => {
  let server: TestServer;
  let boss: PgBoss;
  beforeAll(async () => {
    server = await startTestServer(inject('pgAdminUrl'), { env: { RUN_WORKER: 'false' } });
    boss = new PgBoss({ connectionString: server.databaseUrl });
    boss.on('error', () => {});
    await boss.start();
  });
  afterAll(async () => {
    await boss?.stop({ graceful: false });
    await server?.stop();
  });

  /** What a worker gets next: pg-boss's own fetch (its ORDER BY priority desc, created_on). */
  const next = async () => {
    const [job] = await boss.fetch<{ generationId: string }>(GENERATION_QUEUE);
    return job?.data.generationId ?? null;
  };

  it('reordering my jobs changes which one a worker takes next, within my places in line; refusals move nothing', async () => {
    const [alice, bob, eve, vic] = [await signUp(server, 'Alice'), await signUp(server, 'Bob'), await signUp(server, 'Eve'), await signUp(server, 'Vic')];
    const ws = await team(server, alice, 'Queue team');
    await addMember(server.deps.db, ws.id, bob.id, 'editor');
    await addMember(server.deps.db, ws.id, vic.id, 'viewer');
    const a = trpcClient(server, alice);
    const b = trpcClient(server, bob);
    const create = (api: typeof a, prompt: string) => api.generation.create.mutate({ workspaceId: ws.id, prompt });
    const a1 = await create(a, 'alice one');
    const b1 = await create(b, 'bob one');
    const a2 = await create(a, 'alice two');
    const a3 = await create(a, 'alice three');
    const bobSocket = await connectSocket(server, bob);
    try {
      const before = await a.queue.list.query({ workspaceId: ws.id });
      expect(before.active.map((i) => i.id)).toEqual([a1.id, b1.id, a2.id, a3.id]);
      expect(before.active.map((i) => i.position)).toEqual([1, 2, 3, 4]);
      expect(before.active.map((i) => i.mine)).toEqual([true, false, true, true]);

      // Refusals first: each leaves every job where it was.
      expect(await refusal(b.queue.reorder.mutate({ workspaceId: ws.id, ids: [a3.id, a1.id] }))).toMatchObject({ httpStatus: 403, appCode: 'JOB_NOT_YOURS' });
      expect(await refusal(b.queue.reorder.mutate({ workspaceId: ws.id, ids: [b1.id, a1.id] }))).toMatchObject({ appCode: 'JOB_NOT_YOURS' });
      expect(await refusal(trpcClient(server, vic).queue.reorder.mutate({ workspaceId: ws.id, ids: [a3.id, a1.id] }))).toMatchObject({ httpStatus: 403 });
      // Eve is not a member: the workspace (and so the job) does not exist for her.
      expect(await refusal(trpcClient(server, eve).queue.reorder.mutate({ workspaceId: ws.id, ids: [a3.id, a1.id] }))).toMatchObject({ httpStatus: 404 });
      expect(await refusal(trpcClient(server, eve).queue.reorder.mutate({ ids: [a3.id, a1.id] }))).toMatchObject({ httpStatus: 404 });
      expect(await refusal(trpcClient(server, eve).generation.cancel.mutate({ id: a1.id }))).toMatchObject({ httpStatus: 404 });
      expect(await refusal(a.queue.reorder.mutate({ workspaceId: ws.id, ids: [a1.id, a1.id] }))).toMatchObject({ httpStatus: 400 });
      expect((await a.queue.list.query({ workspaceId: ws.id })).active.map((i) => i.id)).toEqual([a1.id, b1.id, a2.id, a3.id]);

      // Alice puts her third job first: it takes her first place; Bob's job keeps its place.
      const after = await a.queue.reorder.mutate({ workspaceId: ws.id, ids: [a3.id, a1.id, a2.id] });
      expect(after.active.map((i) => [i.prompt, i.position])).toEqual([
        ['alice three', 1],
        ['bob one', 2],
        ['alice one', 3],
        ['alice two', 4],
      ]);
      // Teammates hear that the order changed (their panels read it again).
      await waitForEvent(bobSocket, 'queue:changed', (e) => e.workspaceId === ws.id);

      // What pg-boss hands a worker, in order.
      expect(await next()).toBe(a3.id);
      expect(await next()).toBe(b1.id);
      // A job a worker took meanwhile cannot be moved: the whole reorder is refused.
      expect(await refusal(a.queue.reorder.mutate({ workspaceId: ws.id, ids: [a2.id, a3.id, a1.id] }))).toMatchObject({ httpStatus: 409, appCode: 'QUEUE_CHANGED' });
      expect(await next()).toBe(a1.id);
      expect(await next()).toBe(a2.id);
      expect(await next()).toBeNull();
    } finally {
      bobSocket.close();
    }
  });

  it('cancels all of my jobs (credits back), not a teammate’s; cancelling in another workspace is refused', async () => {
    const [alice, bob, eve] = [await signUp(server, 'Alice'), await signUp(server, 'Bob'), await signUp(server, 'Eve')];
    const ws = await team(server, alice, 'Cancel team');
    await addMember(server.deps.db, ws.id, bob.id, 'editor');
    const a = trpcClient(server, alice);
    const b = trpcClient(server, bob);
    const start = (await a.credits.balance.query({ workspaceId: ws.id })).balance;
    const mine = [await a.generation.create.mutate({ workspaceId: ws.id, prompt: 'one' }), await a.generation.create.mutate({ workspaceId: ws.id, prompt: 'two' })];
    const bobs = await b.generation.create.mutate({ workspaceId: ws.id, prompt: 'bob keeps this' });
    expect(await refusal(trpcClient(server, eve).queue.cancelAll.mutate({ workspaceId: ws.id }))).toMatchObject({ httpStatus: 404 });
    expect(await refusal(trpcClient(server, eve).generation.cancel.mutate({ id: bobs.id }))).toMatchObject({ httpStatus: 404 });
    expect((await b.generation.get.query({ id: bobs.id })).status).toBe('queued');

    expect(await a.queue.cancelAll.mutate({ workspaceId: ws.id })).toEqual({ canceled: 2 });
    for (const g of mine) expect((await a.generation.get.query({ id: g.id })).status).toBe('canceled');
    expect((await b.generation.get.query({ id: bobs.id })).status).toBe('queued');
    expect((await a.credits.balance.query({ workspaceId: ws.id })).balance).toBe(start - 1);
    const q = await a.queue.list.query({ workspaceId: ws.id });
    expect(q.active.map((i) => i.id)).toEqual([bobs.id]);
  });

  it('keeps recent prompts per person, searchable; another person cannot read or delete them', async () => {
    const [alice, bob] = [await signUp(server, 'Alice'), await signUp(server, 'Bob')];
    const a = trpcClient(server, alice);
    await a.generation.create.mutate({ prompt: 'A red kite over the dunes' });
    await a.generation.create.mutate({ prompt: 'Foggy harbour at dawn', negativePrompt: 'people' });
    await a.generation.create.mutate({ prompt: 'A red kite over the dunes' });
    const all = await a.prompts.history.query({});
    expect(all.map((h) => [h.prompt, h.uses])).toEqual([
      ['A red kite over the dunes', 2],
      ['Foggy harbour at dawn', 1],
    ]);
    expect(all[1]!.negativePrompt).toBe('people');
    // Part of "Download my data".
    expect((await collectUserData(server.deps, alice.id)).promptHistory.map((h) => h.prompt).sort()).toEqual(['A red kite over the dunes', 'Foggy harbour at dawn']);
    expect((await a.prompts.history.query({ query: 'harb' })).map((h) => h.prompt)).toEqual(['Foggy harbour at dawn']);
    expect(await a.prompts.history.query({ query: '100%_' })).toEqual([]);
    const b = trpcClient(server, bob);
    expect(await b.prompts.history.query({})).toEqual([]);
    expect(await refusal(b.prompts.forget.mutate({ id: all[0]!.id }))).toMatchObject({ httpStatus: 404 });
    expect(await a.prompts.history.query({})).toHaveLength(2);
    await a.prompts.forget.mutate({ id: all[0]!.id });
    expect((await a.prompts.history.query({})).map((h) => h.prompt)).toEqual(['Foggy harbour at dawn']);
    expect(await a.prompts.clearHistory.mutate()).toEqual({ deleted: 1 });
    expect(await a.prompts.history.query({})).toEqual([]);
  });

  it('shares style presets in a workspace; refuses an over-long one, a duplicate name, a viewer, outsiders', async () => {
    const [alice, bob, vic, eve] = [await signUp(server, 'Alice'), await signUp(server, 'Bob'), await signUp(server, 'Vic'), await signUp(server, 'Eve')];
    const ws = await team(server, alice, 'Preset team');
    await addMember(server.deps.db, ws.id, bob.id, 'editor');
    await addMember(server.deps.db, ws.id, vic.id, 'viewer');
    const a = trpcClient(server, alice);
    const b = trpcClient(server, bob);
    const preset = await b.prompts.createPreset.mutate({ workspaceId: ws.id, name: 'Film noir', promptSuffix: 'black and white, hard shadows, 35 mm', negativePrompt: 'colour' });
    expect(preset).toMatchObject({ name: 'Film noir', createdByName: 'Bob', mayChange: true });
    const seen = await a.prompts.presets.query({ workspaceId: ws.id });
    expect(seen.map((p) => [p.name, p.promptSuffix, p.mayChange])).toEqual([['Film noir', 'black and white, hard shadows, 35 mm', true]]);
    expect((await trpcClient(server, vic).prompts.presets.query({ workspaceId: ws.id })).map((p) => p.mayChange)).toEqual([false]);

    const count = async () => (await a.prompts.presets.query({ workspaceId: ws.id })).length;
    expect(await refusal(a.prompts.createPreset.mutate({ workspaceId: ws.id, name: 'Long', promptSuffix: 'x'.repeat(501) }))).toMatchObject({ httpStatus: 400 });
    expect(await refusal(a.prompts.createPreset.mutate({ workspaceId: ws.id, name: 'n'.repeat(61), promptSuffix: 'ok' }))).toMatchObject({ httpStatus: 400 });
    expect(await refusal(a.prompts.createPreset.mutate({ workspaceId: ws.id, name: 'film NOIR', promptSuffix: 'again' }))).toMatchObject({ appCode: 'PRESET_NAME_TAKEN' });
    expect(await refusal(trpcClient(server, vic).prompts.createPreset.mutate({ workspaceId: ws.id, name: 'Mine', promptSuffix: 'x' }))).toMatchObject({ httpStatus: 403 });
    expect(await refusal(trpcClient(server, eve).prompts.presets.query({ workspaceId: ws.id }))).toMatchObject({ httpStatus: 404 });
    expect(await refusal(trpcClient(server, eve).prompts.deletePreset.mutate({ id: preset.id }))).toMatchObject({ httpStatus: 404 });
    expect(await refusal(trpcClient(server, vic).prompts.deletePreset.mutate({ id: preset.id }))).toMatchObject({ httpStatus: 403 });
    expect(await count()).toBe(1);
    // Alice owns the workspace: she may delete Bob's preset.
    await a.prompts.deletePreset.mutate({ id: preset.id });
    expect(await count()).toBe(0);
  });

  it('lets the author or an admin change a preset (name, style text, negative prompt); refuses a taken name, bad input, another editor, a viewer, outsiders, changing nothing', async () => {
    const [alice, bob, cleo, vic, eve] = [await signUp(server, 'Alice'), await signUp(server, 'Bob'), await signUp(server, 'Cleo'), await signUp(server, 'Vic'), await signUp(server, 'Eve')];
    const ws = await team(server, alice, 'Preset edits');
    await addMember(server.deps.db, ws.id, bob.id, 'editor');
    await addMember(server.deps.db, ws.id, cleo.id, 'editor');
    await addMember(server.deps.db, ws.id, vic.id, 'viewer');
    const a = trpcClient(server, alice);
    const b = trpcClient(server, bob);
    const noir = await b.prompts.createPreset.mutate({ workspaceId: ws.id, name: 'Film noir', promptSuffix: 'black and white', negativePrompt: 'colour' });
    await b.prompts.createPreset.mutate({ workspaceId: ws.id, name: 'Pastel', promptSuffix: 'soft pastel colours' });
    const stored = async () => (await a.prompts.presets.query({ workspaceId: ws.id })).map((p) => [p.name, p.promptSuffix, p.negativePrompt]);
    const before = [
      ['Film noir', 'black and white', 'colour'],
      ['Pastel', 'soft pastel colours', null],
    ];
    expect(await stored()).toEqual(before);

    // Refusals: each with its reason, none changing anything.
    const edit = { id: noir.id, name: 'Noir', promptSuffix: 'high contrast' };
    expect(await refusal(b.prompts.updatePreset.mutate({ ...edit, name: 'PASTEL' }))).toMatchObject({ appCode: 'PRESET_NAME_TAKEN', message: 'This workspace already has a preset with that name.' });
    expect(await refusal(b.prompts.updatePreset.mutate({ ...edit, promptSuffix: 'x'.repeat(501) }))).toMatchObject({ httpStatus: 400, message: 'Keep the style text under 500 characters.' });
    expect(await refusal(b.prompts.updatePreset.mutate({ ...edit, name: '  ' }))).toMatchObject({ httpStatus: 400, message: 'Name the preset.' });
    expect(await refusal(trpcClient(server, cleo).prompts.updatePreset.mutate(edit))).toMatchObject({ httpStatus: 403, message: 'Only the person who made this preset, an admin or the owner can change it.' });
    expect(await refusal(trpcClient(server, vic).prompts.updatePreset.mutate(edit))).toMatchObject({ httpStatus: 403 });
    expect(await refusal(trpcClient(server, eve).prompts.updatePreset.mutate(edit))).toMatchObject({ httpStatus: 404 });
    expect(await refusal(b.prompts.updatePreset.mutate({ ...edit, id: '00000000-0000-4000-8000-000000000000' }))).toMatchObject({ httpStatus: 404 });
    expect(await stored()).toEqual(before);

    // The author renames it (a change of case of its own name is no clash) and clears the negative prompt.
    expect(await b.prompts.updatePreset.mutate({ id: noir.id, name: 'FILM NOIR', promptSuffix: 'black and white, hard light' })).toMatchObject({ id: noir.id, name: 'FILM NOIR', negativePrompt: null, mayChange: true });
    // The owner changes Bob's preset.
    await a.prompts.updatePreset.mutate({ id: noir.id, name: 'Noir', promptSuffix: 'high contrast', negativePrompt: 'blur' });
    expect(await stored()).toEqual([
      ['Noir', 'high contrast', 'blur'],
      ['Pastel', 'soft pastel colours', null],
    ]);
  });

  it('takes a negative prompt where the model does, and refuses it (nothing queued) where it does not', async () => {
    const alice = await signUp(server, 'Alice');
    const a = trpcClient(server, alice);
    const models = await a.generation.models.query();
    expect(models.find((m) => m.id === 'offline-preview')!.negativePrompt).toBe(true);
    expect(models.find((m) => m.id === 'local-motion')!.negativePrompt).toBe(false);
    const g = await a.generation.create.mutate({ prompt: 'a quiet street', negativePrompt: 'cars' });
    expect(g.negativePrompt).toBe('cars');
    const before = (await a.generation.list.query({})).items.length;
    expect(await refusal(a.generation.create.mutate({ kind: 'video', model: 'local-motion', prompt: 'a quiet street', negativePrompt: 'cars' }))).toMatchObject({ httpStatus: 400 });
    expect(await refusal(a.generation.create.mutate({ prompt: 'a quiet street', negativePrompt: 'x'.repeat(1001) }))).toMatchObject({ httpStatus: 400 });
    expect((await a.generation.list.query({})).items.length).toBe(before);
    // A re-run carries it along.
    expect((await a.generation.rerun.mutate({ id: g.id })).negativePrompt).toBe('cars');
  });
});

describe('lineage and provider status lines (worker running)', () => {
  let server: TestServer;
  // The offline renderer, which first says where it is in line (as fal does): the line must reach the card.
  const chatty: ModelProvider = (() => {
    const local = createLocalProvider({ stepMs: 5 });
    return {
      name: 'local',
      ...(local.capabilities ? { capabilities: local.capabilities.bind(local) } : {}),
      async generate(req, ctx) {
        await ctx.onStatus?.('In the queue at the test provider, position 2');
        return local.generate(req, ctx);
      },
    };
  })();
  beforeAll(async () => {
    server = await startTestServer(inject('pgAdminUrl'), { start: { providers: [chatty] } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const done = async (api: ReturnType<typeof trpcClient>, id: string) =>
    eventually(async () => {
      const g = await api.generation.get.query({ id });
      return g.status === 'succeeded' ? g : null;
    }, 20_000);

  it('passes the provider’s status line on, and announces a finished video as a video', async () => {
    const alice = await signUp(server, 'Alice');
    const socket = await connectSocket(server, alice);
    try {
      const g = await trpcClient(server, alice).generation.create.mutate({ kind: 'video', model: 'local-motion', prompt: 'waves', durationSeconds: 2, fps: 8 });
      const e = await waitForEvent(socket, 'generation:update', (x) => x.id === g.id && !!x.statusMessage);
      expect(e.statusMessage).toBe('In the queue at the test provider, position 2');
      const end = await waitForEvent(socket, 'generation:update', (x) => x.id === g.id && x.status === 'succeeded', 30_000);
      expect(end.kind).toBe('video');
      const note = await waitForEvent(socket, 'notification:new', (n) => n.kind === 'job_succeeded');
      expect(note.title).toBe('Your video is ready');
    } finally {
      socket.close();
    }
  });

  it('records re-runs, variations and edits; shows the chain to the first prompt and the children; an ancestor deleted later reads as removed', async () => {
    const alice = await signUp(server, 'Alice');
    const a = trpcClient(server, alice);
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#3366ff' } }).png().toBuffer();
    const upload = await createUpload(server.deps, { userId: alice.id }, { data: png, fileName: 'blue.png' });

    const first = await a.generation.create.mutate({ prompt: 'a blue teapot', aspectRatio: '16:9', seed: 1234, referenceAssetIds: [upload.id], negativePrompt: 'handle' });
    const a0 = (await done(a, first.id)).assets[0]!.id;

    // Re-run from the output: everything identical, aspect ratio and references included.
    const rerun = await a.generation.fromAsset.mutate({ assetId: a0, mode: 'rerun' });
    expect(rerun).toMatchObject({ prompt: 'a blue teapot', aspectRatio: '16:9', seed: 1234, count: 1, negativePrompt: 'handle', referenceIds: [upload.id], lineage: 'rerun', parentGenerationId: first.id });
    const a1 = (await done(a, rerun.id)).assets[0]!.id;

    // Variations: same prompt and settings, a new seed, four outputs.
    const vary = await a.generation.fromAsset.mutate({ assetId: a1, mode: 'variation' });
    expect(vary).toMatchObject({ prompt: 'a blue teapot', aspectRatio: '16:9', count: 4, lineage: 'variation', parentGenerationId: rerun.id, referenceIds: [upload.id] });
    const a2 = (await done(a, vary.id)).assets[0]!.id;

    // An edit with the re-run's output as its reference: its parent is that output.
    const edit = await a.generation.create.mutate({ prompt: 'the teapot, now red', referenceAssetIds: [a1] });
    expect(edit).toMatchObject({ lineage: 'edit', parentGenerationId: rerun.id });
    await done(a, edit.id);

    const lineage = await a.generation.lineage.query({ assetId: a2 });
    expect(lineage.ancestors.map((n) => [n.assetId, n.prompt, n.lineage, n.removed])).toEqual([
      [a0, 'a blue teapot', null, false],
      [a1, 'a blue teapot', 'rerun', false],
    ]);
    expect(lineage.variationCount).toBe(4);
    expect(lineage.variationCost).toBe(4);
    expect(lineage.rerunCost).toBe(4);

    const ofA1 = await a.generation.lineage.query({ assetId: a1 });
    expect(ofA1.children.map((c) => [c.generationId, c.lineage])).toEqual([
      [vary.id, 'variation'],
      [edit.id, 'edit'],
    ]);
    const ofA0 = await a.generation.lineage.query({ assetId: a0 });
    expect(ofA0.ancestors).toEqual([]);
    expect(ofA0.children.map((c) => c.generationId)).toEqual([rerun.id]);
    expect(ofA0.children[0]!.children.map((c) => c.generationId)).toEqual([vary.id, edit.id]);

    // The middle step is deleted: the chain keeps its place, shown as removed, and still reaches the first prompt.
    await a.asset.delete.mutate({ id: a1, confirm: true });
    const later = await a.generation.lineage.query({ assetId: a2 });
    expect(later.ancestors.map((n) => [n.assetId, n.prompt, n.removed])).toEqual([
      [a0, 'a blue teapot', false],
      [null, 'a blue teapot', true],
    ]);

    // Someone outside the workspace cannot read it.
    const eve = await signUp(server, 'Eve');
    expect(await refusal(trpcClient(server, eve).generation.lineage.query({ assetId: a2 }))).toMatchObject({ httpStatus: 404 });
    expect(await refusal(trpcClient(server, eve).generation.fromAsset.mutate({ assetId: a2, mode: 'rerun' }))).toMatchObject({ httpStatus: 404 });
  });
});
