import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import sharp from 'sharp';

/**
 * A local server speaking the OpenAI images API as LocalAI and sd-server do: POST
 * /v1/images/generations (JSON) and /v1/images/edits (multipart, `image[]`), answered at once with
 * `data[].b64_json` (or `data[].url` in the url modes). Records what it got.
 */
export type OpenAiImagesMode = 'ok' | 'url' | 'privateUrl' | 'error500' | 'hang' | 'oversized' | 'notImage' | 'die';

export interface FakeOpenAiImages {
  url: string;
  hostPort: string;
  mode: OpenAiImagesMode;
  /** When set, requests must carry `Authorization: Bearer <key>`. */
  key: string | undefined;
  requests: { method: string; path: string; headers: http.IncomingHttpHeaders; body: unknown; files: { field: string; name: string; type: string; size: number }[] }[];
  close(): Promise<void>;
}

export async function startFakeOpenAiImages(): Promise<FakeOpenAiImages> {
  const conns = new Set<Socket>();
  const fake: FakeOpenAiImages = { url: '', hostPort: '', mode: 'ok', key: undefined, requests: [], close: async () => {} };
  const image = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: '#884422' } }).png().toBuffer();
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', fake.url);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    let body: Record<string, unknown> = {};
    const files: FakeOpenAiImages['requests'][number]['files'] = [];
    if (String(req.headers['content-type']).startsWith('multipart/form-data')) {
      const form = await new Request(url, { method: 'POST', headers: req.headers as Record<string, string>, body: raw }).formData();
      for (const [field, v] of form.entries()) {
        if (typeof v === 'string') body[field] = v;
        else files.push({ field, name: v.name, type: v.type, size: v.size });
      }
    } else if (raw.length) body = JSON.parse(raw.toString('utf8'));
    fake.requests.push({ method: req.method ?? 'GET', path: url.pathname, headers: req.headers, body, files });
    if (url.pathname === '/media/out.png') return void res.writeHead(200, { 'content-type': 'image/png' }).end(await image(64, 48));
    if (fake.key && req.headers.authorization !== `Bearer ${fake.key}`) return json(res, 401, { error: { message: 'invalid api key' } });
    if (req.method !== 'POST' || !['/v1/images/generations', '/v1/images/edits'].includes(url.pathname)) return json(res, 404, { error: { message: 'not found' } });
    if (fake.mode === 'error500') return json(res, 500, { error: { message: 'model failed to load' } });
    if (fake.mode === 'hang') return;
    if (fake.mode === 'die') return void req.socket.destroy();
    const n = Number(body.n ?? 1);
    const [w, h] = String(body.size ?? '64x64').split('x').map(Number) as [number, number];
    const items = await Promise.all(
      Array.from({ length: n }, async () => {
        if (fake.mode === 'url') return { url: `${fake.url}/media/out.png` };
        if (fake.mode === 'privateUrl') return { url: 'http://169.254.169.254/latest/meta-data/out.png' };
        if (fake.mode === 'notImage') return { b64_json: Buffer.from('<html>not an image</html>').toString('base64') };
        if (fake.mode === 'oversized') return { b64_json: Buffer.concat([await image(w, h), Buffer.alloc(300_000)]).toString('base64') };
        return { b64_json: (await image(w, h)).toString('base64') };
      }),
    );
    json(res, 200, { created: Math.floor(Date.now() / 1000), data: items });
  });
  server.on('connection', (c) => {
    conns.add(c);
    c.on('close', () => conns.delete(c));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  fake.hostPort = `127.0.0.1:${port}`;
  fake.close = () =>
    new Promise((resolve) => {
      for (const c of conns) c.destroy();
      server.close(() => resolve());
    });
  return fake;
}
