import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../log.js';
import { putItem, readItems } from '../shared/board.js';
import { loadConfig } from '../config.js';
import { startWorker } from '../index.js';
import { connectSocket, createTestDatabase, eventually, signUp, startTestServer, trpcClient, trpcErrorCode, waitForEvent, type TestServer, type TestUser } from '../testing/harness.js';
import { openBoard, waitSaved } from '../testing/teams.js';

/** A GET as a browser's navigation sends it (Sec-Fetch-Mode: navigate, Accept: text/html). */
function navigate(url: string, cookie: string): Promise<{ status: number; requestId: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { cookie, 'sec-fetch-mode': 'navigate', accept: 'text/html' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, requestId: String(res.headers['x-request-id']), body }));
      })
      .on('error', reject);
  });
}

const TOKEN = 'metrics-token-0123456789abcdef';
type Line = Record<string, unknown> & { msg: string; level: string };

/** One series of a Prometheus text exposition: name, labels and value. */
interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Series[] {
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

const value = (series: Series[], name: string, labels: Record<string, string> = {}) =>
  series.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);

async function scrape(server: TestServer): Promise<Series[]> {
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
  return parseMetrics(await res.text());
}

describe('metrics on the main port (METRICS_TOKEN)', () => {
  let server: TestServer;
  let user: TestUser;
  const lines: Line[] = [];
  beforeAll(async () => {
    const log = createLogger('debug', {}, (line) => lines.push(JSON.parse(line) as Line));
    server = await startTestServer(inject('pgAdminUrl'), { env: { METRICS_TOKEN: TOKEN }, start: { log } });
    user = await signUp(server);
  });
  afterAll(() => server?.stop());

  it('refuses /metrics without the token, or with a wrong one, and serves it for the token', async () => {
    const none = await fetch(`${server.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.text()).not.toMatch(/http_requests_total/);
    const wrong = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).toBe(401);
    const inQuery = await fetch(`${server.url}/metrics?token=${TOKEN}`);
    expect(inQuery.status).toBe(401);
    const series = await scrape(server);
    expect(series.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
    expect(series.some((s) => s.name === 'process_resident_memory_bytes')).toBe(true);
  });

  it('counts real HTTP requests and tRPC calls, by route template and status', async () => {
    const before = await scrape(server);
    const api = trpcClient(server, user);
    await api.me.get.query();
    await api.me.get.query();
    const bad = await api.generation.get.query({ id: randomUUID() }).catch((e) => e);
    expect(trpcErrorCode(bad).httpStatus).toBe(404);
    await fetch(`${server.url}/healthz`);
    const after = await scrape(server);
    const delta = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
    expect(delta('trpc_requests_total', { procedure: 'me.get', type: 'query', code: 'OK' })).toBe(2);
    expect(delta('trpc_requests_total', { procedure: 'generation.get', type: 'query', code: 'NOT_FOUND' })).toBe(1);
    expect(delta('trpc_request_duration_seconds_count', { procedure: 'me.get' })).toBe(2);
    expect(delta('http_requests_total', { method: 'GET', route: '/trpc/:procedure', status: '200' })).toBe(2);
    expect(delta('http_requests_total', { method: 'GET', route: '/trpc/:procedure', status: '404' })).toBe(1);
    expect(delta('http_requests_total', { method: 'GET', route: '/healthz', status: '200' })).toBe(1);
    expect(delta('http_request_duration_seconds_count', { route: '/healthz' })).toBe(1);
    expect(value(after, 'pg_pool_connections', { state: 'total' })).toBeGreaterThan(0);
    expect(value(after, 'pg_pool_max_connections')).toBe(20);
  });

  it('counts real jobs by queue, provider and outcome, and shows the queues by state', async () => {
    const before = await scrape(server);
    const socket = await connectSocket(server, user);
    try {
      const gen = await trpcClient(server, user).generation.create.mutate({ prompt: 'counted in the metrics' });
      await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded', 20_000);
      const after = await eventually(async () => {
        const s = await scrape(server);
        return value(s, 'jobs_processed_total', { queue: 'generation', provider: 'local', outcome: 'completed' }) > value(before, 'jobs_processed_total', { queue: 'generation', provider: 'local', outcome: 'completed' }) ? s : null;
      });
      expect(value(after, 'jobs_processed_total', { queue: 'generation', provider: 'local', outcome: 'completed' }) - value(before, 'jobs_processed_total', { queue: 'generation', provider: 'local', outcome: 'completed' })).toBe(1);
      expect(value(after, 'job_duration_seconds_count', { queue: 'generation', provider: 'local' }) - value(before, 'job_duration_seconds_count', { queue: 'generation', provider: 'local' })).toBe(1);
      // Every queue is listed in the job-state gauge, with the four states.
      const states = after.filter((s) => s.name === 'jobs' && s.labels.queue === 'generation').map((s) => s.labels.state).sort();
      expect(states).toEqual(['active', 'deferred', 'failed', 'ready']);
      expect(after.some((s) => s.name === 'jobs' && s.labels.queue === 'retention')).toBe(true);
      expect(value(after, 'socketio_connections')).toBe(1);
    } finally {
      socket.close();
    }
    await eventually(async () => value(await scrape(server), 'socketio_connections') === 0);
  });

  it('shows board rooms and the fan-out latency of real board updates', async () => {
    const workspaceId = (await trpcClient(server, user).me.get.query())!.workspaces[0]!.id;
    const boardId = (await trpcClient(server, user).board.create.mutate({ workspaceId, name: 'Measured' })).id;
    const before = await scrape(server);
    const a = await openBoard(server, user, boardId);
    const b = await openBoard(server, user, boardId);
    try {
      a.client.doc.transact(() => void putItem(a.client.doc, { id: 'n1', type: 'note', x: 1, y: 1, w: 100, h: 100, z: 1, text: 'hello' }));
      await waitSaved(a.client);
      await eventually(async () => readItems(b.client.doc).some((i) => i.id === 'n1'));
      const after = await scrape(server);
      expect(value(after, 'board_rooms')).toBe(1);
      expect(value(after, 'board_fanout_seconds_count', { source: 'local' }) - value(before, 'board_fanout_seconds_count', { source: 'local' })).toBeGreaterThanOrEqual(1);
    } finally {
      a.close();
      b.close();
    }
  });

  it('labels routes by template, never by raw path or id, so the set of series stays bounded', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids) await fetch(`${server.url}/files/${id}`, { headers: { cookie: user.cookie } });
    const junk = Array.from({ length: 5 }, () => randomBytes(6).toString('hex'));
    const countSeries = (s: Series[]) => s.filter((x) => x.name === 'http_requests_total' || x.name === 'trpc_requests_total').length;
    for (const j of junk.slice(0, 2)) {
      await fetch(`${server.url}/no/such/${j}`);
      await fetch(`${server.url}/trpc/${j}.nothing`);
      await fetch(`${server.url}/api/auth/${j}`, { method: 'POST', headers: { origin: server.config.baseUrl, 'content-type': 'application/json' }, body: '{}' });
      await fetch(`${server.url}/exports/${j}/download`, { headers: { cookie: user.cookie } });
    }
    const first = await scrape(server);
    for (const j of junk.slice(2)) {
      await fetch(`${server.url}/no/such/${j}`);
      await fetch(`${server.url}/trpc/${j}.nothing`);
      await fetch(`${server.url}/api/auth/${j}`, { method: 'POST', headers: { origin: server.config.baseUrl, 'content-type': 'application/json' }, body: '{}' });
      await fetch(`${server.url}/exports/${j}/download`, { headers: { cookie: user.cookie } });
    }
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await res.text();
    const second = parseMetrics(text);
    for (const secret of [...ids, ...junk]) expect(text).not.toContain(secret);
    expect(value(second, 'http_requests_total', { route: '/files/:id', status: '404' })).toBe(3);
    expect(value(second, 'http_requests_total', { route: '/exports/:id/download' })).toBe(5);
    expect(value(second, 'http_requests_total', { route: '/api/auth/*' })).toBeGreaterThanOrEqual(5);
    expect(value(second, 'http_requests_total', { route: 'unmatched', status: '404' })).toBe(5);
    // New unknown paths and procedures add counts, never series.
    expect(countSeries(second)).toBe(countSeries(first));
    const routes = new Set(second.filter((s) => s.name === 'http_requests_total').map((s) => s.labels.route));
    for (const r of routes) expect(r).toMatch(/^(\/[a-z0-9/:*._-]*|static|unmatched)$/i);
    const procedures = new Set(second.filter((s) => s.name === 'trpc_requests_total').map((s) => s.labels.procedure));
    for (const p of procedures) expect(p).toMatch(/^[a-zA-Z]+\.[a-zA-Z]+$/);
  });
});

describe('metrics on their own port (METRICS_PORT)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(inject('pgAdminUrl'), { env: { METRICS_PORT: '0' } });
  });
  afterAll(() => server?.stop());

  it('serves /metrics only on the metrics port, and nothing else there', async () => {
    const onMain = await fetch(`${server.url}/metrics`);
    expect(onMain.status).toBe(404);
    expect(await onMain.text()).not.toMatch(/http_requests_total/);
    await fetch(`${server.url}/healthz`);
    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(server.metricsUrl!).port).not.toBe(new URL(server.url).port);
    const res = await fetch(server.metricsUrl!);
    expect(res.status).toBe(200);
    const series = parseMetrics(await res.text());
    expect(value(series, 'http_requests_total', { route: '/healthz', status: '200' })).toBe(1);
    const other = await fetch(server.metricsUrl!.replace('/metrics', '/healthz'));
    expect(other.status).toBe(404);
  });
});

describe('metrics off (neither METRICS_TOKEN nor METRICS_PORT)', () => {
  it('has no /metrics and counts nothing', async () => {
    const server = await startTestServer(inject('pgAdminUrl'));
    try {
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
      expect(server.metrics.enabled).toBe(false);
      expect((await server.metrics.registry.metrics()).trim()).toBe('');
    } finally {
      await server.stop();
    }
  });
});

describe('request ids', () => {
  let server: TestServer;
  let user: TestUser;
  const lines: Line[] = [];
  beforeAll(async () => {
    const log = createLogger('debug', {}, (line) => lines.push(JSON.parse(line) as Line));
    server = await startTestServer(inject('pgAdminUrl'), { start: { log } });
    user = await signUp(server);
  });
  afterAll(() => server?.stop());

  it('gives every response an id, and keeps a well-formed one from a trusted proxy (loopback by default)', async () => {
    const a = await fetch(`${server.url}/healthz`);
    const b = await fetch(`${server.url}/healthz`);
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.headers.get('x-request-id')).not.toBe(a.headers.get('x-request-id'));
    const kept = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'edge-7f3a9c21-req' } });
    expect(kept.headers.get('x-request-id')).toBe('edge-7f3a9c21-req');
    for (const bad of ['short', 'has space in it', '<script>alert(1)</script>', 'x'.repeat(200), 'line\tbreak-attempt']) {
      const res = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': bad } });
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('every log line of a request carries its id, and the id reaches the person on a failure', async () => {
    // A real failure on our side: the table the procedure writes is gone.
    await sql`alter table generation rename to generation_away`.execute(server.deps.db);
    try {
      const res = await fetch(`${server.url}/trpc/generation.create`, {
        method: 'POST',
        headers: { cookie: user.cookie, origin: server.config.baseUrl, 'content-type': 'application/json' },
        body: JSON.stringify({ json: { prompt: 'this will fail' } }),
      });
      expect(res.status).toBe(500);
      const id = res.headers.get('x-request-id')!;
      const body = (await res.json()) as { error: { json: { data: { requestId?: string; appCode: string } } } };
      expect(body.error.json.data).toMatchObject({ appCode: 'INTERNAL', requestId: id });
      const mine = await eventually(async () => {
        const l = lines.filter((x) => x.requestId === id);
        return l.some((x) => x.msg === 'request') ? l : null;
      });
      expect(mine.map((l) => l.msg)).toEqual(expect.arrayContaining(['trpc error', 'request']));
      // Several at once: each line names its own request, never another's.
      const many = await Promise.all(
        Array.from({ length: 6 }, () =>
          fetch(`${server.url}/trpc/generation.create`, {
            method: 'POST',
            headers: { cookie: user.cookie, origin: server.config.baseUrl, 'content-type': 'application/json' },
            body: JSON.stringify({ json: { prompt: 'this will fail too' } }),
          }).then((r) => r.headers.get('x-request-id')!),
        ),
      );
      await eventually(async () => lines.filter((l) => l.msg === 'request' && many.includes(l.requestId as string)).length === many.length);
      const manyErrors = lines.filter((l) => l.msg === 'trpc error' && l.requestId !== id);
      expect(manyErrors.map((l) => l.requestId).sort()).toEqual([...many].sort());
      // The error line (written after the body was read and the procedure ran) and the access line: none without the id.
      const errorLines = lines.filter((l) => l.msg === 'trpc error');
      expect(errorLines).toHaveLength(1 + many.length);
      expect(errorLines.every((l) => l.requestId === id || many.includes(l.requestId as string))).toBe(true);
      const accessLines = lines.filter((l) => l.msg === 'request' && l.route === '/trpc/:procedure' && l.status === 500);
      expect(accessLines.map((l) => l.requestId).sort()).toEqual([id, ...many].sort());
    } finally {
      await sql`alter table generation_away rename to generation`.execute(server.deps.db);
    }
  });

  it('shows the id on the 500 error page and in the JSON of an HTTP route', async () => {
    await sql`alter table asset rename to asset_away`.execute(server.deps.db);
    try {
      // As a browser navigates (fetch() would replace Sec-Fetch-Mode with its own).
      const page = await navigate(`${server.url}/files/${randomUUID()}`, user.cookie);
      expect(page.status).toBe(500);
      const id = page.requestId;
      const html = page.body;
      expect(html).toContain('Something went wrong');
      expect(html).toContain(`please quote this reference: <code id="request-id">${id}</code>`);
      const api = await fetch(`${server.url}/files/${randomUUID()}`, { headers: { cookie: user.cookie } });
      expect(api.status).toBe(500);
      expect(await api.json()).toEqual({ error: { code: 'INTERNAL', message: expect.any(String), requestId: api.headers.get('x-request-id') } });
      const logged = lines.find((l) => l.level === 'error' && l.requestId === id);
      expect(logged?.msg).toMatch(/failed/);
    } finally {
      await sql`alter table asset_away rename to asset`.execute(server.deps.db);
    }
  });

  it('answers a body a parser refuses with its own status and the id, without logging an error', async () => {
    const big = await fetch(`${server.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { origin: server.config.baseUrl, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'a@example.test', password: 'x'.repeat(40_000) }),
    });
    expect(big.status).toBe(413);
    const id = big.headers.get('x-request-id');
    expect(await big.json()).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: expect.any(String) } });
    const broken = await fetch(`${server.url}/api/auth/sign-in/email`, { method: 'POST', headers: { origin: server.config.baseUrl, 'content-type': 'application/json' }, body: '{"email":' });
    expect(broken.status).toBe(400);
    expect(lines.filter((l) => l.level === 'error' && (l.requestId === id || l.requestId === broken.headers.get('x-request-id')))).toEqual([]);
  });

  it('a job carries the id of the request that started it, in its data and in its log lines', async () => {
    const requestId = `req-${randomBytes(8).toString('hex')}`;
    const socket = await connectSocket(server, user);
    try {
      const res = await fetch(`${server.url}/trpc/generation.create`, {
        method: 'POST',
        headers: { cookie: user.cookie, origin: server.config.baseUrl, 'content-type': 'application/json', 'x-request-id': requestId },
        body: JSON.stringify({ json: { prompt: 'traced through the job' } }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBe(requestId);
      const gen = ((await res.json()) as { result: { data: { json: { id: string } } } }).result.data.json;
      await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded', 20_000);
      const jobs = await server.boss.findJobs('generation', { data: { generationId: gen.id } } as never);
      expect(jobs).toHaveLength(1);
      expect((jobs[0]!.data as { _meta?: { requestId?: string } })._meta?.requestId).toBe(requestId);
      const done = await eventually(async () => lines.find((l) => l.msg === 'job done' && l.jobId === jobs[0]!.id));
      expect(done).toMatchObject({ requestId, queue: 'generation', jobId: jobs[0]!.id });
      // Every line the job wrote names the request.
      for (const l of lines.filter((x) => x.jobId === jobs[0]!.id)) expect(l.requestId).toBe(requestId);
    } finally {
      socket.close();
    }
  });
});

describe('request ids behind no trusted proxy (TRUST_PROXY=false)', () => {
  it('ignores an incoming X-Request-Id and makes its own', async () => {
    const server = await startTestServer(inject('pgAdminUrl'), { env: { TRUST_PROXY: 'false' } });
    try {
      const res = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'edge-7f3a9c21-req' } });
      expect(res.headers.get('x-request-id')).not.toBe('edge-7f3a9c21-req');
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await server.stop();
    }
  });
});

describe('a separate worker process (npm run worker)', () => {
  it('serves its own metrics on METRICS_PORT, and its log lines for a job name the request that sent it', async () => {
    const databaseUrl = await createTestDatabase(inject('pgAdminUrl'));
    const web = await startTestServer(inject('pgAdminUrl'), { databaseUrl, env: { RUN_WORKER: 'false' } });
    const lines: Line[] = [];
    const worker = await startWorker(loadConfig({ LOG_LEVEL: 'info', LOCAL_PROVIDER_STEP_MS: '5', METRICS_PORT: '0' }, { databaseUrl, dataDir: web.dataDir, storageDir: web.config.storageDir }), {
      log: createLogger('info', { role: 'worker' }, (line) => lines.push(JSON.parse(line) as Line)),
    });
    try {
      const user = await signUp(web);
      const socket = await connectSocket(web, user);
      const res = await fetch(`${web.url}/trpc/generation.create`, {
        method: 'POST',
        headers: { cookie: user.cookie, origin: web.config.baseUrl, 'content-type': 'application/json' },
        body: JSON.stringify({ json: { prompt: 'rendered by the worker' } }),
      });
      const requestId = res.headers.get('x-request-id')!;
      const gen = ((await res.json()) as { result: { data: { json: { id: string } } } }).result.data.json;
      await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded', 20_000);
      socket.close();
      const done = await eventually(async () => lines.find((l) => l.msg === 'job done' && l.queue === 'generation'));
      expect(done).toMatchObject({ requestId, role: 'worker' });
      expect(worker.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const series = parseMetrics(await (await fetch(worker.metricsUrl!)).text());
      expect(value(series, 'jobs_processed_total', { queue: 'generation', provider: 'local', outcome: 'completed', role: 'worker' })).toBe(1);
      expect(value(series, 'pg_pool_max_connections')).toBe(10);
    } finally {
      await worker.shutdown();
      await web.stop();
    }
  });
});
