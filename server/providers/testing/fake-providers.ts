import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

/**
 * Local HTTP servers speaking the Black Forest Labs, fal queue and Replicate protocols (as
 * described in PROVIDERS.md), for testing the real adapters. Each records the requests it got
 * and serves its result media itself. Behaviour is set per test through `mode`.
 */
export type FakeMode = 'ok' | 'slow' | 'error500' | 'error500once' | 'ratelimit' | 'malformed' | 'moderated' | 'hang' | 'foreignUrl' | 'notImage';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface FakeServer {
  url: string;
  hostPort: string;
  mode: FakeMode;
  requests: RecordedRequest[];
  /** Number of status polls before a task is ready. */
  pollsBeforeReady: number;
  close(): Promise<void>;
}

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

let png: Buffer | undefined;
const samplePng = async () => (png ??= await sharp({ create: { width: 48, height: 32, channels: 3, background: '#3366cc' } }).png().toBuffer());
/** A well-formed (if empty) MP4: an ftyp box and a media data box. */
const sampleMp4 = () => Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypisom'), Buffer.alloc(12), Buffer.from([0, 0, 0, 208]), Buffer.from('mdat'), Buffer.alloc(200, 1)]);

type Handler = (fake: FakeServer, req: http.IncomingMessage, res: http.ServerResponse, body: unknown, url: URL) => Promise<void> | void;

async function start(handler: Handler): Promise<FakeServer> {
  const fake = { mode: 'ok' as FakeMode, requests: [] as RecordedRequest[], pollsBeforeReady: 2 } as FakeServer;
  let failedOnce = false;
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', fake.url);
    const body = await readBody(req);
    fake.requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, headers: req.headers, body });
    if (url.pathname === '/media/out.png') {
      if (fake.mode === 'notImage') return void res.writeHead(200, { 'content-type': 'image/png' }).end('<html>nope</html>');
      return void res.writeHead(200, { 'content-type': 'image/png' }).end(await samplePng());
    }
    if (url.pathname === '/media/out.mp4') return void res.writeHead(200, { 'content-type': 'video/mp4' }).end(sampleMp4());
    if (req.method === 'POST' && fake.mode === 'ratelimit') return json(res, 429, { detail: 'Request was throttled.' }, { 'retry-after': '7' });
    if (req.method === 'POST' && fake.mode === 'error500') return json(res, 500, { detail: 'boom' });
    if (req.method === 'POST' && fake.mode === 'error500once' && !failedOnce) {
      failedOnce = true;
      return json(res, 503, { detail: 'unavailable' });
    }
    if (req.method === 'POST' && fake.mode === 'malformed') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": tru');
    await handler(fake, req, res, body, url);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  fake.hostPort = `127.0.0.1:${port}`;
  fake.close = () => new Promise((r) => server.close(() => r()));
  return fake;
}

/** Counts polls per task id. */
function pollCounter() {
  const polls = new Map<string, number>();
  return (id: string) => {
    const n = (polls.get(id) ?? 0) + 1;
    polls.set(id, n);
    return n;
  };
}

export function startFakeBfl(): Promise<FakeServer> {
  let next = 0;
  const poll = pollCounter();
  return start((fake, req, res, _body, url) => {
    if (req.headers['x-key'] !== 'test-bfl-key') return json(res, 403, { detail: 'Not authenticated' });
    if (req.method === 'POST' && url.pathname.startsWith('/v1/flux-2-klein-')) {
      const id = `task-${++next}`;
      const pollingUrl = fake.mode === 'foreignUrl' ? `https://evil.example/steal?id=${id}` : `${fake.url}/v1/get_result?id=${id}`;
      return json(res, 200, { id, polling_url: pollingUrl });
    }
    if (req.method === 'GET' && url.pathname === '/v1/get_result') {
      const id = url.searchParams.get('id')!;
      const n = poll(id);
      if (fake.mode === 'hang' || n <= fake.pollsBeforeReady) return json(res, 200, { id, status: 'Pending', progress: Math.min(0.9, n * 0.3), result: null });
      if (fake.mode === 'moderated') return json(res, 200, { id, status: 'Content Moderated', result: null });
      return json(res, 200, { id, status: 'Ready', progress: null, result: { sample: `${fake.url}/media/out.png?sig=abc`, seed: 1 } });
    }
    json(res, 404, { detail: 'Not Found' });
  });
}

export function startFakeFal(): Promise<FakeServer> {
  let next = 0;
  const poll = pollCounter();
  const requests = new Map<string, { video: boolean; count: number }>();
  return start((fake, req, res, body, url) => {
    if (req.headers.authorization !== 'Key test-fal-key') return json(res, 401, { detail: 'Unauthorized' });
    const m = url.pathname.match(/^\/fal-ai\/([^/]+)\/requests\/([^/]+)(\/status|\/cancel)?$/);
    if (req.method === 'POST' && !m) {
      const id = `req-${++next}`;
      const app = url.pathname.split('/')[2];
      const b = body as { num_images?: number };
      requests.set(id, { video: url.pathname.includes('video'), count: b?.num_images ?? 1 });
      const root = `${fake.url}/fal-ai/${app}/requests/${id}`;
      return json(res, 200, { request_id: id, response_url: root, status_url: `${root}/status`, cancel_url: `${root}/cancel` });
    }
    if (m && m[3] === '/status') {
      const n = poll(m[2]!);
      if (fake.mode === 'hang' || n <= fake.pollsBeforeReady) {
        return json(res, 200, n === 1 ? { status: 'IN_QUEUE', queue_position: 2 } : { status: 'IN_PROGRESS', logs: [{ message: `step ${n}`, level: 'INFO' }] });
      }
      return json(res, 200, { status: 'COMPLETED', metrics: { inference_time: 1.2 } });
    }
    if (m && m[3] === '/cancel' && req.method === 'PUT') return json(res, 202, { status: 'CANCELLATION_REQUESTED' });
    if (m && req.method === 'GET') {
      const r = requests.get(m[2]!)!;
      if (r.video) return json(res, 200, { video: { url: `${fake.url}/media/out.mp4` } });
      return json(res, 200, {
        images: Array.from({ length: r.count }, () => ({ url: `${fake.url}/media/out.png`, content_type: 'image/png', width: 48, height: 32 })),
        seed: 1,
        has_nsfw_concepts: Array.from({ length: r.count }, () => fake.mode === 'moderated'),
      });
    }
    json(res, 404, { detail: 'Not Found' });
  });
}

export function startFakeReplicate(): Promise<FakeServer> {
  let next = 0;
  const poll = pollCounter();
  return start((fake, req, res, _body, url) => {
    if (req.headers.authorization !== 'Bearer test-replicate-token') return json(res, 401, { title: 'Unauthenticated' });
    const pred = (id: string, status: string, extra: Record<string, unknown> = {}) => ({
      id,
      status,
      output: null,
      error: null,
      logs: 'step 1\nstep 2',
      urls: { get: `${fake.url}/v1/predictions/${id}`, cancel: `${fake.url}/v1/predictions/${id}/cancel` },
      ...extra,
    });
    if (req.method === 'POST' && /^\/v1\/models\/black-forest-labs\/[^/]+\/predictions$/.test(url.pathname)) {
      return json(res, 201, pred(`p${++next}`, 'starting'));
    }
    const m = url.pathname.match(/^\/v1\/predictions\/([^/]+)(\/cancel)?$/);
    if (m && m[2] && req.method === 'POST') return json(res, 200, pred(m[1]!, 'canceled'));
    if (m && req.method === 'GET') {
      const n = poll(m[1]!);
      if (fake.mode === 'hang' || n <= fake.pollsBeforeReady) return json(res, 200, pred(m[1]!, 'processing'));
      if (fake.mode === 'moderated') return json(res, 200, pred(m[1]!, 'failed', { error: 'NSFW content detected' }));
      return json(res, 200, pred(m[1]!, 'succeeded', { output: [`${fake.url}/media/out.png`] }));
    }
    json(res, 404, { detail: 'Not found' });
  });
}
