import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readContentCredentials } from '../testing/c2pa.js';
import { startExifReader } from '../testing/exiftool.js';
import { thumbKeys } from '../services/thumbnails.js';
import { connectSocket, eventually, signUp, startTestServer, trpcClient, waitForEvent, type TestServer, type TestUser } from '../testing/harness.js';
import { ALGORITHMIC_MEDIA } from './index.js';

/**
 * Generated files, as the product stores and serves them, carry the AI marking: the XMP read back
 * by ExifTool, the signed C2PA manifest read back and validated by c2pa-ts's reader.
 */
let server: TestServer;
const exif = startExifReader();
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'), { env: { LOCAL_PROVIDER_STEP_MS: '5' } });
});
afterAll(async () => {
  await server?.stop();
  await exif.close();
});

const file = async (user: TestUser, id: string, query = '') => Buffer.from(await (await fetch(`${server.url}/files/${id}${query}`, { headers: { cookie: user.cookie } })).arrayBuffer());

describe('marked outputs', () => {
  it('a generation on the built-in renderer: the stored file and its thumbnail say how they were made; the stored hash is of the marked file', async () => {
    const user = await signUp(server);
    const socket = await connectSocket(server, user);
    const gen = await trpcClient(server, user).generation.create.mutate({ prompt: 'a lighthouse at dusk', model: 'offline-preview', seed: 3 });
    const done = await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded', 20_000);
    socket.close();
    const id = done.assetIds![0]!;
    const original = await file(user, id);
    const { tags, warnings } = await exif.read(original, 'png');
    expect(warnings).toBe('');
    expect(tags['XMP-iptcExt:DigitalSourceType']).toBe(ALGORITHMIC_MEDIA);
    expect(tags['XMP-iptcExt:AISystemUsed']).toBe('Flux Klein built-in preview renderer');
    expect(tags['XMP-xmp:CreatorTool']).toBe('Flux Klein');
    // Nothing personal in the mark: not the prompt, not the email.
    expect(original.includes(Buffer.from('lighthouse'))).toBe(false);
    expect(original.includes(Buffer.from(user.email))).toBe(false);
    // The signed manifest says the same, over the bytes as served, signed by the development chain in DATA_DIR/c2pa.
    const manifest = await readContentCredentials(original, 'image/png');
    expect(manifest?.valid).toBe(true);
    expect(manifest?.codes).toEqual(expect.arrayContaining(['claimSignature.validated', 'assertion.dataHash.match']));
    expect(manifest?.actions).toEqual([{ action: 'c2pa.created', digitalSourceType: ALGORITHMIC_MEDIA, softwareAgent: { name: 'Flux Klein built-in preview renderer' }, when: expect.any(Date) }]);
    const when = manifest!.actions[0]!.when as Date;
    expect(Math.abs(when.getTime() - done.updatedAt)).toBeLessThan(60_000);
    expect(manifest?.signer).toBe('CN=Flux Klein development signer (not trusted), O=Flux Klein');
    expect(fs.readFileSync(path.join(server.dataDir, 'c2pa', 'signer.pem'), 'utf8')).toContain('-----BEGIN CERTIFICATE-----');
    const thumbBytes = await file(user, id, '?thumb=1');
    const thumb = await exif.read(thumbBytes, 'webp');
    expect(thumb.warnings).toBe('');
    expect(thumb.tags['File:MIMEType']).toBe('image/webp');
    expect(thumb.tags['XMP-iptcExt:DigitalSourceType']).toBe(ALGORITHMIC_MEDIA);
    // The thumbnail has a signed manifest of its own (WebP C2PA chunk): the original's created action, then resized.
    const thumbManifest = await readContentCredentials(thumbBytes, 'image/webp');
    expect(thumbManifest?.valid).toBe(true);
    expect(thumbManifest?.actions).toEqual([
      { action: 'c2pa.created', digitalSourceType: ALGORITHMIC_MEDIA, softwareAgent: { name: 'Flux Klein built-in preview renderer' }, when },
      { action: 'c2pa.resized', softwareAgent: { name: 'Flux Klein' }, when },
    ]);
    expect(thumb.tags['CBOR:Actions']).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'c2pa.resized' })]));
    // The grid's small size is made when the output is stored, and says the same.
    await eventually(async () => (await server.deps.storage.stat(thumbKeys(id).w256)) !== null);
    const smallFile = await file(user, id, '?thumb=256');
    const small = await exif.read(smallFile, 'webp');
    expect(small.tags['XMP-iptcExt:DigitalSourceType']).toBe(ALGORITHMIC_MEDIA);
    const dims = await sharp(smallFile).metadata();
    expect(Math.max(dims.width!, dims.height!)).toBe(256);
    const row = await server.deps.db.selectFrom('asset').select(['sha256', 'size_bytes']).where('id', '=', id).executeTakeFirstOrThrow();
    const { createHash } = await import('node:crypto');
    expect(row).toEqual({ sha256: createHash('sha256').update(original).digest('hex'), size_bytes: original.length });
  });

  it('an upload stripped of its location data, used as a reference, leaves the output marked: XMP and a valid manifest', async () => {
    const user = await signUp(server);
    const socket = await connectSocket(server, user);
    const workspaceId = (await trpcClient(server, user).workspace.list.query())[0]!.id;
    const photo = await sharp({ create: { width: 320, height: 200, channels: 3, background: { r: 30, g: 120, b: 200 } } })
      .withExif({ IFD0: { Make: 'TestCam' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' } })
      .jpeg()
      .toBuffer();
    expect((await exif.read(photo, 'jpg')).tags['GPS:GPSLatitude']).toBeDefined();
    const res = await fetch(`${server.url}/uploads?workspaceId=${workspaceId}&name=holiday.jpg`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', origin: server.config.baseUrl, cookie: user.cookie }, body: new Uint8Array(photo) });
    expect(res.status).toBe(201);
    const uploaded = ((await res.json()) as { asset: { id: string } }).asset.id;
    const stored = await exif.read(await file(user, uploaded), 'jpg');
    expect(Object.keys(stored.tags).filter((k) => k.startsWith('GPS:'))).toEqual([]);
    expect(stored.tags['XMP-iptcExt:DigitalSourceType']).toBeUndefined(); // an upload is the person's, not marked as ours
    expect(await readContentCredentials(await file(user, uploaded, '?thumb=1'), 'image/webp')).toBeNull(); // nor is its thumbnail

    const gen = await trpcClient(server, user).generation.create.mutate({ prompt: 'the same scene at night', model: 'offline-preview', seed: 5, workspaceId, referenceAssetIds: [uploaded] });
    const done = await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded', 20_000);
    socket.close();
    const output = await file(user, done.assetIds![0]!);
    const { tags } = await exif.read(output, 'png');
    expect(tags['XMP-iptcExt:DigitalSourceType']).toBe(ALGORITHMIC_MEDIA);
    expect(Object.keys(tags).filter((k) => k.startsWith('GPS:'))).toEqual([]);
    const manifest = await readContentCredentials(output, 'image/png');
    expect(manifest?.valid).toBe(true);
    expect(manifest?.actions[0]).toMatchObject({ action: 'c2pa.created', digitalSourceType: ALGORITHMIC_MEDIA });
  });
});
