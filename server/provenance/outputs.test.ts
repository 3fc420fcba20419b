import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startExifReader } from '../testing/exiftool.js';
import { connectSocket, signUp, startTestServer, trpcClient, waitForEvent, type TestServer, type TestUser } from '../testing/harness.js';
import { ALGORITHMIC_MEDIA } from './index.js';

/** Generated files, as the product stores and serves them, carry the AI marking (read back by ExifTool). */
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
    const gen = await trpcClient(server, user).generation.create.mutate({ prompt: 'a lighthouse at dusk', model: 'flux-2-klein-4b', seed: 3 });
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
    const thumb = await exif.read(await file(user, id, '?thumb=1'), 'webp');
    expect(thumb.tags['File:MIMEType']).toBe('image/webp');
    expect(thumb.tags['XMP-iptcExt:DigitalSourceType']).toBe(ALGORITHMIC_MEDIA);
    const row = await server.deps.db.selectFrom('asset').select(['sha256', 'size_bytes']).where('id', '=', id).executeTakeFirstOrThrow();
    const { createHash } = await import('node:crypto');
    expect(row).toEqual({ sha256: createHash('sha256').update(original).digest('hex'), size_bytes: original.length });
  });
});
