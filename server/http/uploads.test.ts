import zlib from 'node:zlib';
import { sql } from 'kysely';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectSocket, signUp, startTestServer, trpcClient, trpcErrorCode, waitForEvent, type TestServer, type TestUser } from '../testing/harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'));
});
afterAll(async () => {
  await server?.stop();
});

const upload = (user: TestUser | null, body: Buffer, query = '', origin = server.config.baseUrl) =>
  fetch(`${server.url}/uploads${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', origin, ...(user ? { cookie: user.cookie } : {}) },
    body: new Uint8Array(body),
  });
const assetCount = async () => (await sql<{ n: number }>`select count(*)::int as n from asset where source = 'upload'`.execute(server.deps.db)).rows[0]!.n;
const gpsJpeg = () =>
  sharp({ create: { width: 320, height: 200, channels: 3, background: { r: 30, g: 120, b: 200 } } })
    .withExif({ IFD0: { Make: 'TestCam', Model: 'X1' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' } })
    .jpeg()
    .toBuffer();

describe('reference uploads', () => {
  it('stores a valid image without its location data, once per workspace, and serves it only to members', async () => {
    const user = await signUp(server);
    const original = await gpsJpeg();
    expect((await sharp(original).metadata()).exif).toBeDefined();
    const res = await upload(user, original, '?name=holiday.jpg');
    expect(res.status).toBe(201);
    const { asset } = (await res.json()) as { asset: { id: string; mime: string; width: number; originalName: string } };
    expect(asset).toMatchObject({ mime: 'image/jpeg', width: 320, originalName: 'holiday.jpg' });
    const file = await fetch(`${server.url}/files/${asset.id}`, { headers: { cookie: user.cookie } });
    const stored = Buffer.from(await file.arrayBuffer());
    expect((await sharp(stored).metadata()).exif).toBeUndefined();
    expect(stored.includes(Buffer.from('TestCam'))).toBe(false);

    // The same file again: the same asset, nothing new stored.
    const again = await upload(user, original);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { asset: { id: string } }).asset.id).toBe(asset.id);
    const other = await signUp(server);
    expect((await fetch(`${server.url}/files/${asset.id}`, { headers: { cookie: other.cookie } })).status).toBe(404);
  });

  it('refuses what is not a PNG, JPEG or WebP image, too large, or unauthenticated, and stores nothing', async () => {
    const user = await signUp(server);
    const before = await assetCount();
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const cases: [TestUser | null, Buffer, number, string, string?][] = [
      [user, svg, 400, 'That file is not a PNG, JPEG or WebP image.'],
      [user, Buffer.from('GIF89a....'), 400, 'That file is not a PNG, JPEG or WebP image.'],
      [user, Buffer.alloc(0), 400, 'That file is empty.'],
      [user, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('garbage')]), 400, 'That image could not be read. It may be damaged.'],
      [user, Buffer.alloc(21 * 1024 * 1024, 1), 413, 'That file is larger than 20 MB.'],
      [null, await gpsJpeg(), 401, 'Please sign in to continue.'],
      [user, await gpsJpeg(), 403, 'This request came from another site and was refused.', 'https://evil.example'],
    ];
    for (const [who, body, status, message, origin] of cases) {
      const res = await upload(who, body, '', origin);
      expect(res.status, message).toBe(status);
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe(message);
    }
    expect(await assetCount()).toBe(before);
  });

  it('uses an upload as a reference; a reference from another workspace is refused', async () => {
    const alice = await signUp(server);
    const mallory = await signUp(server);
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const { asset } = (await (await upload(alice, png)).json()) as { asset: { id: string } };
    const socket = await connectSocket(server, alice);
    const gen = await trpcClient(server, alice).generation.create.mutate({ prompt: 'from my reference', referenceAssetIds: [asset.id] });
    expect(gen).toMatchObject({ mode: 'image', referenceIds: [asset.id] });
    await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded');
    const detail = await trpcClient(server, alice).asset.get.query({ id: (await trpcClient(server, alice).generation.get.query({ id: gen.id })).assets[0]!.id });
    expect(detail.references.map((r) => r.id)).toEqual([asset.id]);
    socket.close();

    const refused = await trpcClient(server, mallory).generation.create.mutate({ prompt: 'steal it', referenceAssetIds: [asset.id] }).catch((e: unknown) => e);
    expect(trpcErrorCode(refused)).toMatchObject({ httpStatus: 404, message: 'A reference image was not found in this workspace. Remove it and add it again.' });
  });
});

describe('library', () => {
  it('searches prompts, filters by kind, favourite and tag, and deletes several with their files', async () => {
    const user = await signUp(server);
    const api = trpcClient(server, user);
    const socket = await connectSocket(server, user);
    const a = await api.generation.create.mutate({ prompt: 'A lighthouse on a rocky coast at night' });
    const b = await api.generation.create.mutate({ prompt: 'Bowl of ramen, steam rising' });
    await waitForEvent(socket, 'generation:update', (e) => e.id === a.id && e.status === 'succeeded');
    await waitForEvent(socket, 'generation:update', (e) => e.id === b.id && e.status === 'succeeded');
    const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#00ff00' } }).png().toBuffer();
    await upload(user, png, '?name=green-swatch.png');

    expect((await api.asset.list.query({ q: 'lighthouses' })).items.map((i) => i.prompt)).toEqual(['A lighthouse on a rocky coast at night']);
    expect((await api.asset.list.query({ q: 'green' })).items.map((i) => i.originalName)).toEqual(['green-swatch.png']);
    expect((await api.asset.list.query({ kind: 'uploads' })).items).toHaveLength(1);
    expect((await api.asset.list.query({ kind: 'images' })).items).toHaveLength(2);
    expect((await api.asset.list.query({ kind: 'videos' })).items).toHaveLength(0);

    const ramen = (await api.asset.list.query({ q: 'ramen' })).items[0]!;
    await api.asset.setFavorite.mutate({ id: ramen.id, favorite: true });
    await api.asset.setTags.mutate({ id: ramen.id, tags: ['Food', 'warm'] });
    expect((await api.asset.list.query({ favorites: true })).items.map((i) => i.id)).toEqual([ramen.id]);
    expect((await api.asset.list.query({ tag: 'food' })).items.map((i) => i.id)).toEqual([ramen.id]);
    expect(trpcErrorCode(await api.asset.setTags.mutate({ id: ramen.id, tags: ['<script>'] }).catch((e: unknown) => e))).toMatchObject({ httpStatus: 400 });

    // Keep one; the other stays "not kept".
    await api.asset.setSaved.mutate({ ids: [ramen.id], saved: true });
    expect((await api.asset.list.query({ saved: true })).items.map((i) => i.id)).toEqual(expect.arrayContaining([ramen.id]));

    const all = (await api.asset.list.query({})).items;
    const keys = await server.deps.db.selectFrom('asset').select('storage_key').where('id', 'in', all.map((i) => i.id)).execute();
    // Someone else cannot delete them, and nothing is removed by the attempt.
    const other = await signUp(server);
    expect(trpcErrorCode(await trpcClient(server, other).asset.deleteMany.mutate({ ids: all.map((i) => i.id) }).catch((e: unknown) => e))).toMatchObject({ httpStatus: 404 });
    expect((await api.asset.list.query({})).items).toHaveLength(3);
    await api.asset.deleteMany.mutate({ ids: all.map((i) => i.id) });
    expect((await api.asset.list.query({})).items).toEqual([]);
    for (const k of keys) expect(await server.deps.storage.stat(k.storage_key)).toBeNull();
    socket.close();
  });

  it('downloads several items as one ZIP', async () => {
    const user = await signUp(server);
    const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#123456' } }).png().toBuffer();
    const jpg = await gpsJpeg();
    const ids = await Promise.all([png, jpg].map(async (b) => ((await (await upload(user, b)).json()) as { asset: { id: string } }).asset.id));
    const res = await fetch(`${server.url}/files/archive?ids=${ids.join(',')}`, { headers: { cookie: user.cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const zip = Buffer.from(await res.arrayBuffer());
    expect(zip.subarray(0, 2).toString()).toBe('PK');
    const yauzl = await import('yauzl');
    const files = await new Promise<Map<string, Buffer>>((resolve, reject) =>
      yauzl.fromBuffer(zip, { lazyEntries: true, validateEntrySizes: true }, (err, z) => {
        if (err || !z) return reject(err);
        const out = new Map<string, Buffer>();
        z.on('entry', (e: import('yauzl').Entry) =>
          z.openReadStream(e, (e2, s) => {
            if (e2 || !s) return reject(e2);
            const chunks: Buffer[] = [];
            s.on('data', (c: Buffer) => chunks.push(c));
            s.on('end', () => {
              const data = Buffer.concat(chunks);
              // yauzl does not check CRCs: the stored one must match the contents.
              if (zlib.crc32(data) !== e.crc32) return reject(new Error(`CRC-32 of ${e.fileName} does not match`));
              out.set(e.fileName, data);
              z.readEntry();
            });
          }),
        );
        z.on('end', () => resolve(out));
        z.readEntry();
      }),
    );
    const [pngName, jpgName] = [`flux-klein-${ids[0]!.slice(0, 8)}.png`, `flux-klein-${ids[1]!.slice(0, 8)}.jpg`];
    expect([...files.keys()].sort()).toEqual([pngName, jpgName].sort());
    expect((await sharp(files.get(pngName)!).metadata()).format).toBe('png');
    expect((await sharp(files.get(jpgName)!).metadata()).format).toBe('jpeg');
    const other = await signUp(server);
    expect((await fetch(`${server.url}/files/archive?ids=${ids.join(',')}`, { headers: { cookie: other.cookie } })).status).toBe(404);
  });
});

describe('upload validation', () => {
  it('refuses a decompression bomb from its header, without decoding it', async () => {
    const { validateImageUpload } = await import('../services/upload-validation.js');
    // A crafted PNG whose header says 50000 × 50000 (7.5 GB decoded) around a tiny compressed body.
    const chunk = (type: string, data: Buffer) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(data.length);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(zlib.crc32(Buffer.concat([Buffer.from(type), data])));
      return Buffer.concat([len, Buffer.from(type), data, crc]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(50000, 0);
    ihdr.writeUInt32BE(50000, 4);
    ihdr.set([8, 2, 0, 0, 0], 8);
    const bomb = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', zlib.deflateSync(Buffer.alloc(1024 * 1024))),
      chunk('IEND', Buffer.alloc(0)),
    ]);
    expect(bomb.length).toBeLessThan(64 * 1024);
    const started = process.memoryUsage().rss;
    await expect(validateImageUpload(bomb)).rejects.toMatchObject({ code: 'INVALID_INPUT', userMessage: expect.stringMatching(/too large: at most 8192 pixels/) });
    expect(process.memoryUsage().rss - started).toBeLessThan(300 * 1024 * 1024);
  });

  it('bakes in the EXIF orientation and keeps the format', async () => {
    const { validateImageUpload } = await import('../services/upload-validation.js');
    const rotated = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#abcdef' } }).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const out = await validateImageUpload(rotated);
    expect(out).toMatchObject({ mime: 'image/jpeg', width: 20, height: 40 });
    expect((await sharp(out.data).metadata()).orientation).toBeUndefined();
    const webp = await validateImageUpload(await sharp({ create: { width: 8, height: 8, channels: 4, background: '#0000' } }).webp().toBuffer());
    expect(webp.mime).toBe('image/webp');
    // The same bytes give the same hash (how duplicates are found).
    expect((await validateImageUpload(rotated)).sha256).toBe(out.sha256);
  });
});
