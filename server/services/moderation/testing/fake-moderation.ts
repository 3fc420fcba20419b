/**
 * A local server speaking OpenAI's moderation protocol (`POST /v1/moderations`), for the tests:
 * it checks the bearer key, answers `{ id, model, results: [{ flagged, categories, category_scores }] }`,
 * flags inputs containing one of the words it was given (with that word's category), records
 * every request, and can be told to fail.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const CATEGORIES = ['sexual', 'sexual/minors', 'harassment', 'harassment/threatening', 'hate', 'hate/threatening', 'illicit', 'illicit/violent', 'self-harm', 'self-harm/intent', 'self-harm/instructions', 'violence', 'violence/graphic'];

export interface FakeModeration {
  url: string;
  key: string;
  requests: { authorization: string | undefined; body: unknown }[];
  /** word (lower case) → OpenAI category it is flagged under */
  flags: Map<string, string>;
  /** 'ok', an HTTP status to answer with, or 'garbage' (a 200 in another shape), or 'hang' */
  mode: 'ok' | 'garbage' | 'hang' | number;
  close(): Promise<void>;
}

export async function startFakeModeration(key = 'sk-test-moderation'): Promise<FakeModeration> {
  const fake = { requests: [], flags: new Map<string, string>(), mode: 'ok' } as unknown as FakeModeration;
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      let body: { input?: unknown; model?: unknown } = {};
      try {
        body = JSON.parse(raw);
      } catch {
        /* answered below */
      }
      fake.requests.push({ authorization: req.headers.authorization, body });
      const json = (status: number, o: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(o));
      if (req.method !== 'POST' || req.url !== '/v1/moderations') return json(404, { error: { message: 'not found' } });
      if (req.headers.authorization !== `Bearer ${key}`) return json(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } });
      if (fake.mode === 'hang') return void hanging.add(res);
      if (typeof fake.mode === 'number') return json(fake.mode, { error: { message: 'fake failure' } });
      if (fake.mode === 'garbage') return json(200, { ok: true });
      if (typeof body.input !== 'string') return json(400, { error: { message: "'input' is required" } });
      const text = body.input.toLowerCase();
      const hits = [...fake.flags].filter(([word]) => text.includes(word)).map(([, cat]) => cat);
      const categories = Object.fromEntries(CATEGORIES.map((c) => [c, hits.includes(c)]));
      const category_scores = Object.fromEntries(CATEGORIES.map((c) => [c, hits.includes(c) ? 0.93 : 0.0004]));
      json(200, { id: `modr-${fake.requests.length}`, model: String(body.model ?? 'omni-moderation-latest'), results: [{ flagged: hits.length > 0, categories, category_scores }] });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}/v1`;
  fake.key = key;
  fake.close = () =>
    new Promise<void>((r) => {
      for (const res of hanging) res.destroy();
      server.close(() => r());
      server.closeAllConnections();
    });
  return fake;
}
