/**
 * An output is classified while it is marked and stored (server/services/generations.ts), so the
 * job waits for the longer of the two, not their sum. These tests hold the real classifier's answer
 * back with a deferred and look at everything a person could see meanwhile: the generation, the
 * library, the board, the socket events, the ledger. Nothing of the output may show before its
 * verdict; once given, a flagged output under a blocking policy is withheld as before.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ModelProvider } from '../../providers/types.js';
import { loadBoardDoc } from '../../boards/store.js';
import { readItems } from '../../shared/board.js';
import { connectSocket, eventually, signUp, startTestServer, trpcClient, type TestServer, type TestSocket } from '../../testing/harness.js';
import { balanceOf } from '../credits.js';
import type { ImageClassifier } from './classifier.js';
import { patternImage as pattern, skinImage as skin, W } from './testing/pictures.js';


/** "mixed": the skin square (flagged at the threshold below) and the pattern (not). */
const scripted: ModelProvider = {
  name: 'local',
  async generate() {
    return [
      { data: await skin(), mime: 'image/png', width: W, height: W },
      { data: await pattern(), mime: 'image/png', width: W, height: W },
    ];
  },
};

/** The real classifier, each answer held until the test lets it go (or fails it). */
function holdClassifier(real: ImageClassifier) {
  const waiting: { release(): void; fail(err: Error): void }[] = [];
  const held: ImageClassifier = {
    warm: () => real.warm(),
    async classify(data, mime) {
      const answer = real.classify(data, mime);
      await new Promise<void>((resolve, reject) => waiting.push({ release: resolve, fail: reject }));
      return answer;
    },
  };
  return {
    held,
    calls: () => waiting.length,
    releaseAll: () => waiting.splice(0).forEach((w) => w.release()),
    failAll: (err: Error) => waiting.splice(0).forEach((w) => w.fail(err)),
  };
}

let server: TestServer;
let real: ImageClassifier;
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'), { env: { SIGNUP_CREDITS: '50', MODERATION_IMAGE_THRESHOLD: '0.01' }, start: { providers: [scripted] } });
  real = server.deps.moderation.classifier;
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

async function setup() {
  const user = await signUp(server);
  const api = trpcClient(server, user);
  const workspaceId = (await api.me.get.query())!.workspaces[0]!.id;
  await api.moderation.setImagePolicy.mutate({ workspaceId, policy: 'block' });
  const boardId = (await api.board.create.mutate({ workspaceId, name: 'Held board' })).id;
  const socket = await connectSocket(server, user);
  return { user, api, workspaceId, boardId, socket };
}

const outputFiles = (workspaceId: string, generationId: string) => {
  const dir = path.join(server.dataDir, 'storage', 'ws', workspaceId, 'out');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith(generationId)) : [];
};
const updates = (socket: TestSocket, id: string) =>
  ((socket as TestSocket & { history: { event: string; args: unknown[] }[] }).history)
    .filter((h) => h.event === 'generation:update' && (h.args[0] as { id: string }).id === id)
    .map((h) => h.args[0] as { status: string; assetIds?: string[] });
const boardItems = async (boardId: string, generationId: string) => {
  const doc = await loadBoardDoc(server.deps.db, boardId);
  try {
    return readItems(doc).filter((i) => i.generationId === generationId);
  } finally {
    doc.destroy();
  }
};

describe('an output is judged before anyone can see it, though it is classified while it is stored', () => {
  it('shows nothing of a held output anywhere; once judged, the flagged one is withheld and the clean one delivered', async () => {
    const { user, api, workspaceId, boardId, socket } = await setup();
    const hold = holdClassifier(real);
    server.deps.moderation.classifier = hold.held;
    try {
      const start = await balanceOf(server.deps.db, workspaceId);
      const gen = await api.generation.create.mutate({ prompt: 'mixed, held', count: 2, boardId });
      // Both outputs are with the classifier, and both files are written meanwhile.
      await eventually(async () => hold.calls() === 2 && outputFiles(workspaceId, gen.id).length === 2, 30_000);

      // Nothing of them shows: no rows (so /files, lists and boards have nothing), no "succeeded", no charge yet.
      expect(await server.deps.db.selectFrom('asset').select('id').where('generation_id', '=', gen.id).execute()).toEqual([]);
      const view = await api.generation.get.query({ id: gen.id });
      expect(view).toMatchObject({ status: 'running', assets: [], withheld: 0 });
      expect((await api.asset.list.query({})).items.filter((a) => a.generationId === gen.id)).toEqual([]);
      expect(updates(socket, gen.id).map((u) => u.status)).not.toContain('succeeded');
      expect((await boardItems(boardId, gen.id)).map((i) => i.type)).toEqual(['placeholder']);
      expect(await server.deps.db.selectFrom('credit_ledger').select('reason').where('ref', '=', gen.id).execute()).toEqual([{ reason: 'generation.reserve' }]);

      hold.releaseAll();
      await eventually(async () => updates(socket, gen.id).some((u) => u.status === 'succeeded'), 30_000);
      const rows = await server.deps.db.selectFrom('asset').select(['id', 'nsfw_flagged']).where('generation_id', '=', gen.id).orderBy('output_index').execute();
      expect(rows.map((r) => r.nsfw_flagged)).toEqual([true, false]);
      const [flagged, clean] = rows.map((r) => r.id);
      // The event names only what the policy lets through, as the generation read back does.
      const done = updates(socket, gen.id).find((u) => u.status === 'succeeded')!;
      expect(done.assetIds).toEqual([clean]);
      expect(await api.generation.get.query({ id: gen.id })).toMatchObject({ status: 'succeeded', withheld: 1, assets: [{ id: clean, moderation: 'none' }] });
      const get = (p: string) => fetch(`${server.url}${p}`, { headers: { cookie: user.cookie } }).then((r) => r.status);
      expect(await get(`/files/${flagged}`)).toBe(404);
      expect(await get(`/files/${flagged}?thumb=1`)).toBe(404);
      expect(await get(`/files/${clean}`)).toBe(200);
      await eventually(async () => (await boardItems(boardId, gen.id)).some((i) => i.assetId === clean), 30_000);
      expect((await boardItems(boardId, gen.id)).map((i) => i.assetId)).not.toContain(flagged);
      // Charged for the one delivered, through the ledger, exactly as when classification came first.
      expect(await balanceOf(server.deps.db, workspaceId)).toBe(start - gen.creditCost / 2);
    } finally {
      hold.releaseAll();
      server.deps.moderation.classifier = real;
    }
  }, 120_000);

  it('a classifier that fails leaves no file behind, nothing shown, and the credits returned', async () => {
    const { api, workspaceId, socket } = await setup();
    const hold = holdClassifier(real);
    server.deps.moderation.classifier = hold.held;
    try {
      const start = await balanceOf(server.deps.db, workspaceId);
      const gen = await api.generation.create.mutate({ prompt: 'mixed, failing', count: 2 });
      await eventually(async () => hold.calls() === 2 && outputFiles(workspaceId, gen.id).length === 2, 30_000);
      hold.failAll(new Error('the classifier broke'));
      await eventually(async () => (await api.generation.get.query({ id: gen.id })).status === 'failed', 30_000);
      expect(await api.generation.get.query({ id: gen.id })).toMatchObject({ status: 'failed', errorCode: 'GENERATION_FAILED', assets: [] });
      expect(outputFiles(workspaceId, gen.id)).toEqual([]);
      expect(await server.deps.db.selectFrom('asset').select('id').where('generation_id', '=', gen.id).execute()).toEqual([]);
      expect(updates(socket, gen.id).map((u) => u.status)).not.toContain('succeeded');
      expect(await balanceOf(server.deps.db, workspaceId)).toBe(start);
    } finally {
      hold.releaseAll();
      server.deps.moderation.classifier = real;
    }
  }, 120_000);
});
