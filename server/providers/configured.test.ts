import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TRAINED_ALGORITHMIC_MEDIA } from '../provenance/index.js';
import { readContentCredentials, writeOperatorChain } from '../testing/c2pa.js';
import { startExifReader } from '../testing/exiftool.js';
import { connectSocket, signUp, startTestServer, trpcClient, waitForEvent, type TestServer, type TestUser } from '../testing/harness.js';
import { startFakeBfl, startFakeFal, type FakeServer } from './testing/fake-providers.js';

/** With provider keys configured, the product runs FLUX.2 [klein] through the real adapter, end to end. */
let bfl: FakeServer;
let fal: FakeServer;
let server: TestServer;
let keys: Awaited<ReturnType<typeof writeOperatorChain>>;
const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fk-c2pa-keys-'));
beforeAll(async () => {
  keys = await writeOperatorChain(keyDir);
  bfl = await startFakeBfl();
  fal = await startFakeFal();
  server = await startTestServer(inject('pgAdminUrl'), {
    env: {
      BFL_API_KEY: 'test-bfl-key',
      BFL_API_URL: bfl.url,
      FAL_KEY: 'test-fal-key',
      FAL_QUEUE_URL: fal.url,
      MEDIA_FETCH_ALLOW_HOSTS: `${bfl.hostPort},${fal.hostPort}`,
      // the operator's signing certificate for C2PA manifests
      C2PA_SIGNING_CERT: keys.certPath,
      C2PA_SIGNING_KEY: keys.keyPath,
    },
  });
});
const exif = startExifReader();
const download = async (user: TestUser, assetId: string) => Buffer.from(await (await fetch(`${server.url}/files/${assetId}`, { headers: { cookie: user.cookie } })).arrayBuffer());
const marks = async (user: TestUser, assetId: string, ext: string) => (await exif.read(await download(user, assetId), ext)).tags;
afterAll(async () => {
  await exif.close();
  await server?.stop();
  await bfl?.close();
  await fal?.close();
  fs.rmSync(keyDir, { recursive: true, force: true });
});

describe('configured providers', () => {
  it('lists the models as served by the configured providers', async () => {
    const user = await signUp(server);
    const models = await trpcClient(server, user).generation.models.query();
    expect(models.map((m) => [m.id, m.provider])).toEqual([
      ['flux-2-klein-4b', 'bfl'],
      ['flux-2-klein-9b', 'bfl'],
      ['kling-2.5-turbo', 'fal'],
    ]);
  });

  it('generates through Black Forest Labs and stores the downloaded result', async () => {
    bfl.mode = 'ok';
    const user = await signUp(server);
    const socket = await connectSocket(server, user);
    const gen = await trpcClient(server, user).generation.create.mutate({ prompt: 'through the adapter', model: 'flux-2-klein-4b', count: 2, seed: 5 });
    expect(gen.creditCost).toBe(2);
    const done = await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded', 20_000);
    expect(done.assetIds).toHaveLength(2);
    const asset = await trpcClient(server, user).asset.get.query({ id: done.assetIds![0]! });
    expect(asset).toMatchObject({ width: 48, height: 32, mime: 'image/png', model: 'flux-2-klein-4b' });
    // The downloaded file is stored marked as made by a trained model, and by which.
    const tags = await marks(user, asset.id, 'png');
    expect(tags['XMP-iptcExt:DigitalSourceType']).toBe(TRAINED_ALGORITHMIC_MEDIA);
    expect(tags['XMP-iptcExt:AISystemUsed']).toBe('FLUX.2 [klein] 4B (Black Forest Labs)');
    // and carries a C2PA manifest signed with the operator's certificate, not a development one
    const manifest = await readContentCredentials(await download(user, asset.id), 'image/png');
    expect(manifest?.valid).toBe(true);
    expect(manifest?.actions).toEqual([expect.objectContaining({ action: 'c2pa.created', digitalSourceType: TRAINED_ALGORITHMIC_MEDIA, softwareAgent: { name: 'FLUX.2 [klein] 4B (Black Forest Labs)' } })]);
    expect(manifest?.signer).toBe(keys.subject);
    expect(manifest?.chain).toEqual([keys.intermediate]);
    expect(fs.existsSync(path.join(server.dataDir, 'c2pa'))).toBe(false);
    socket.close();
  });

  it('makes a video through fal', async () => {
    fal.mode = 'ok';
    const user = await signUp(server);
    const socket = await connectSocket(server, user);
    const gen = await trpcClient(server, user).generation.create.mutate({ prompt: 'waves', kind: 'video', model: 'kling-2.5-turbo', durationSeconds: 5 });
    const done = await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded', 20_000);
    const asset = await trpcClient(server, user).asset.get.query({ id: done.assetIds![0]! });
    expect(asset).toMatchObject({ media: 'video', mime: 'video/mp4' });
    const tags = await marks(user, asset.id, 'mp4');
    expect(tags['XMP-iptcExt:DigitalSourceType']).toBe(TRAINED_ALGORITHMIC_MEDIA);
    expect(tags['XMP-iptcExt:AISystemUsed']).toBe('Kling 2.5 Turbo (fal)');
    // and a signed C2PA manifest in the MP4 itself (a C2PA uuid box, bound by the box-structured hash)
    const manifest = await readContentCredentials(await download(user, asset.id), 'video/mp4');
    expect(manifest?.valid).toBe(true);
    expect(manifest?.assertionLabels).toEqual(['c2pa.actions.v2', 'c2pa.hash.bmff.v2']);
    expect(manifest?.actions).toEqual([expect.objectContaining({ action: 'c2pa.created', digitalSourceType: TRAINED_ALGORITHMIC_MEDIA, softwareAgent: { name: 'Kling 2.5 Turbo (fal)' } })]);
    expect(manifest?.signer).toBe(keys.subject);
    socket.close();
  });

  it('ends a moderated request as failed with a message, and returns the credits', async () => {
    bfl.mode = 'moderated';
    const user = await signUp(server);
    const socket = await connectSocket(server, user);
    const api = trpcClient(server, user);
    const gen = await api.generation.create.mutate({ prompt: 'something refused', model: 'flux-2-klein-4b' });
    const failed = await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'failed', 20_000);
    expect(failed.errorMessage).toBe('The model refused this prompt or image. Try rephrasing it.');
    expect((await api.credits.balance.query({})).balance).toBe(100);
    socket.close();
  });
});
