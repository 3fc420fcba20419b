import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAiImagesProvider } from './openai-images.js';
import { startFakeOpenAiImages, type FakeOpenAiImages } from './testing/fake-openai-images.js';
import { ProviderError, type ModelProvider, type ProviderRequest } from './types.js';

/** The real OpenAI-compatible image server adapter against a local server speaking that API. */

let fake: FakeOpenAiImages;
let server: ModelProvider;
let ref: Buffer;
beforeAll(async () => {
  fake = await startFakeOpenAiImages();
  server = createOpenAiImagesProvider({ baseUrl: `${fake.url}/v1`, models: { 'flux-2-klein-4b': 'flux2-klein-4b-q8' } });
  ref = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00ff00' } }).webp().toBuffer();
});
afterAll(() => fake.close());
afterEach(() => {
  fake.mode = 'ok';
  fake.key = undefined;
  fake.requests.length = 0;
});

const request = (over: Partial<ProviderRequest> = {}): ProviderRequest => ({
  id: 'gen-2',
  kind: 'image',
  model: 'flux-2-klein-4b',
  prompt: 'a paper crane',
  width: 320,
  height: 240,
  seed: 7,
  count: 1,
  references: [],
  ...over,
});

function run(p: ModelProvider, req: ProviderRequest, abortAfterMs?: number) {
  const ctl = new AbortController();
  const progress: number[] = [];
  const status: string[] = [];
  if (abortAfterMs !== undefined) setTimeout(() => ctl.abort(), abortAfterMs);
  return { result: p.generate(req, { signal: ctl.signal, onProgress: (n) => void progress.push(n), onStatus: (s) => void status.push(s) }), progress, status };
}

async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('OpenAI-compatible image server adapter', () => {
  it('generates with /v1/images/generations under the server’s model name and decodes each image', async () => {
    const { result, progress, status } = run(server, request({ count: 2 }));
    const outs = await result;
    expect(outs).toHaveLength(2);
    expect(outs[0]).toMatchObject({ mime: 'image/png', width: 320, height: 240 });
    const sent = fake.requests[0]!;
    expect(sent.path).toBe('/v1/images/generations');
    expect(sent.body).toEqual({ model: 'flux2-klein-4b-q8', prompt: 'a paper crane', n: 2, size: '320x240', response_format: 'b64_json' });
    expect(status).toEqual(['Rendering on the image server']);
    expect(progress).toEqual([5, 95]);
  });

  it('sends references to /v1/images/edits as image[] parts, with the key when one is set', async () => {
    fake.key = 'local-key';
    const keyed = createOpenAiImagesProvider({ baseUrl: fake.url, apiKey: 'local-key', models: { 'flux-2-klein-4b': 'klein' } });
    const outs = await run(keyed, request({ references: [{ data: ref, mime: 'image/webp', width: 8, height: 8 }, { data: ref, mime: 'image/webp', width: 8, height: 8 }] })).result;
    expect(outs).toHaveLength(1);
    const sent = fake.requests[0]!;
    expect(sent.path).toBe('/v1/images/edits');
    expect(sent.headers.authorization).toBe('Bearer local-key');
    expect(sent.body).toMatchObject({ model: 'klein', prompt: 'a paper crane', n: '1', size: '320x240', response_format: 'b64_json' });
    expect(sent.files).toEqual([
      { field: 'image[]', name: 'reference-1.webp', type: 'image/webp', size: ref.length },
      { field: 'image[]', name: 'reference-2.webp', type: 'image/webp', size: ref.length },
    ]);
    // A wrong key is the server refusing us, not the request.
    expect((await providerError(run(server, request()).result)).code).toBe('PROVIDER_UNAVAILABLE');
  });

  it('fetches a result URL on the configured server itself, and refuses one at another private address', async () => {
    fake.mode = 'url';
    const outs = await run(server, request()).result;
    expect(outs[0]).toMatchObject({ mime: 'image/png', width: 64, height: 48 });
    expect(fake.requests.some((r) => r.path === '/media/out.png')).toBe(true);
    fake.mode = 'privateUrl';
    const err = await providerError(run(server, request()).result);
    expect(err.code).toBe('BAD_RESPONSE');
    expect(err.message).toBe('The result URL was refused: 169.254.169.254 is not a public address.');
  });

  it('refuses oversized and non-image results', async () => {
    const small = createOpenAiImagesProvider({ baseUrl: fake.url, models: { 'flux-2-klein-4b': 'k' }, maxResultBytes: 200_000 });
    fake.mode = 'oversized';
    expect((await providerError(run(small, request()).result)).code).toBe('BAD_RESPONSE');
    fake.mode = 'notImage';
    const err = await providerError(run(small, request()).result);
    expect(err.message).toBe('The model returned a file that is not an image or video we can use.');
  });

  it('maps failures: 5xx and a dropped connection are retryable, a silent server times out, a cancel aborts', async () => {
    fake.mode = 'error500';
    expect(await providerError(run(server, request()).result)).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
    fake.mode = 'die';
    expect(await providerError(run(server, request()).result)).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
    fake.mode = 'hang';
    const slow = createOpenAiImagesProvider({ baseUrl: fake.url, models: { 'flux-2-klein-4b': 'k' }, timeoutMs: 200 });
    expect(await providerError(run(slow, request()).result)).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect((await providerError(run(server, request(), 50).result)).code).toBe('CANCELED');
  });

  it('serves only the models it is configured for', async () => {
    expect(server.capabilities!('flux-2-klein-4b')).toEqual({ maxReferences: 4 });
    expect(server.capabilities!('flux-2-klein-9b')).toBeNull();
    expect((await providerError(run(server, request({ model: 'flux-2-klein-9b' })).result)).code).toBe('INVALID_REQUEST');
  });
});
