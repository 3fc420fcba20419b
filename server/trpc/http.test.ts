/**
 * The direct tRPC path (server/trpc/http.ts) answers exactly what tRPC's own Express adapter
 * answers: both are mounted side by side on one Express app, every request goes to both, and the
 * status, the headers a client reads (content-type, vary, retry-after, set-cookie) and the body are
 * compared byte for byte, with the `onError` reports and the metrics each side recorded.
 * The framing is the one difference, and the test uses it to know which path answered: the direct
 * path sends Content-Length, tRPC's adapter chunks.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import type { Auth } from '../auth/index.js';
import { toHeaders } from '../http/headers.js';
import { runInContext } from '../observability/context.js';
import type { Deps } from '../services/deps.js';
import { AppError } from '../shared/errors.js';
import { signUp, startTestServer, type TestServer, type TestUser } from '../testing/harness.js';
import { createTrpcMiddleware, trpcAdapterEndpoint, trpcEndpoint } from './http.js';
import { authedProcedure, createContext, publicProcedure, retryAfterMeta, router } from './init.js';
import { appRouter } from './router.js';

const SESSION = 'better-auth.session_token=good.sig';

/** better-auth's session lookup, scripted: one good cookie, one whose lookup fails. */
const auth = {
  api: {
    getSession: async ({ headers }: { headers: Headers }) => {
      const cookie = headers.get('cookie') ?? '';
      if (cookie.includes('=broken')) throw new Error('session store down');
      if (!cookie.includes('=good')) return null;
      return { user: { id: 'u-1', name: 'Ada', email: 'ada@example.test', emailVerified: true }, session: { id: 's-1' } };
    },
  },
} as unknown as Auth;

type Recorded = { metrics: string[]; errors: string[] };
const fakeDeps = (rec: Recorded) => ({ metrics: { trpc: (p: string, type: string, code: string) => rec.metrics.push(`${p} ${type} ${code}`) } }) as unknown as Deps;

const testRouter = router({
  echo: publicProcedure.input(z.object({ n: z.number().int() })).query(({ input }) => ({ n: input.n, at: new Date(Date.UTC(2026, 0, 2)), tags: new Set(['a']), big: 12345678901234567890n })),
  hello: publicProcedure.query(() => 'hello'),
  nothing: publicProcedure.query(() => undefined),
  mine: authedProcedure.query(({ ctx }) => ({ id: ctx.user.id, cookie: ctx.headers.get('cookie') })),
  probe: publicProcedure.query(({ ctx }) => ctx.headers.get('x-probe')),
  limited: publicProcedure.query(() => {
    throw new AppError('RATE_LIMITED', { retryAfterSeconds: 12.5 });
  }),
  slower: publicProcedure.query(() => {
    throw new AppError('RATE_LIMITED', { retryAfterSeconds: 40 });
  }),
  missingThing: publicProcedure.query(() => {
    throw new AppError('NOT_FOUND');
  }),
  boom: publicProcedure.query(() => {
    throw new Error('database exploded: secret detail');
  }),
  raw: publicProcedure.query(() => {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'raw refusal' });
  }),
  streamy: publicProcedure.query(() => ({ later: Promise.resolve(1) })),
  save: publicProcedure.input(z.object({ name: z.string().min(1, 'Give it a name.') })).mutation(({ input }) => ({ saved: input.name })),
  saveAuthed: authedProcedure.input(z.object({ name: z.string() })).mutation(({ input, ctx }) => ({ saved: input.name, by: ctx.user.id })),
});

interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
  framing: 'length' | 'chunked' | 'none';
}

function send(base: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(base + path);
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          headers: Object.fromEntries(['content-type', 'vary', 'retry-after', 'set-cookie'].map((h) => [h, [res.headers[h]].flat().join('\n') || undefined])),
          body: Buffer.concat(chunks).toString('utf8'),
          framing: res.headers['transfer-encoding'] === 'chunked' ? 'chunked' : res.headers['content-length'] !== undefined ? 'length' : 'none',
        }),
      );
    });
    req.on('error', reject);
    if (init.body !== undefined) {
      if (init.chunked) {
        req.setHeader('transfer-encoding', 'chunked');
        req.write(init.body);
      } else {
        req.setHeader('content-length', Buffer.byteLength(init.body));
        req.write(init.body);
      }
    }
    req.end();
  });
}

const q = (input: unknown) => encodeURIComponent(JSON.stringify(input));

describe('the direct tRPC path against tRPC’s Express adapter (test router, product middlewares)', () => {
  let server: http.Server;
  let base: string;
  const rec = { std: { metrics: [], errors: [] } as Recorded, fast: { metrics: [], errors: [] } as Recorded };

  beforeAll(async () => {
    const app = express();
    // The request id every log line and error shape carries, fixed so both sides can be compared.
    app.use((_req, _res, next) => runInContext({ requestId: 'req-test-00000001' }, next));
    for (const side of ['std', 'fast'] as const) {
      const deps = fakeDeps(rec[side]);
      const opts = {
        router: testRouter,
        createContext: ({ req, res }: { req: express.Request; res: express.Response }) =>
          side === 'std' ? createContext(deps, auth, toHeaders(req), res.locals, req.socket.remoteAddress) : createContext(deps, auth, req, res.locals, req.socket.remoteAddress),
        maxBodySize: 1024,
        responseMeta: retryAfterMeta,
        onError: ({ error, path }: { error: TRPCError; path?: string }) => void rec[side].errors.push(`${path ?? '-'} ${error.code}`),
      };
      app.use(`/${side}`, side === 'std' ? createExpressMiddleware(opts) : createTrpcMiddleware(opts));
    }
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /** Sends the same request to both; they must agree, and `path` says which one the direct path should answer itself. */
  async function both(path: string, init: Parameters<typeof send>[2] = {}, direct = true) {
    for (const r of Object.values(rec)) r.metrics.length = r.errors.length = 0;
    const std = await send(base, '/std' + path, init);
    const fast = await send(base, '/fast' + path, init);
    expect({ status: fast.status, headers: fast.headers, body: fast.body }).toEqual({ status: std.status, headers: std.headers, body: std.body });
    expect(rec.fast).toEqual(rec.std);
    expect(std.framing).not.toBe('length');
    expect(fast.framing).toBe(direct ? 'length' : std.framing);
    return { ...fast, json: () => JSON.parse(fast.body) as unknown, recorded: rec.fast };
  }

  it('answers a query, its superjson envelope included (Date, Set, BigInt)', async () => {
    const a = await both(`/echo?input=${q({ json: { n: 7 } })}`);
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toBe('application/json');
    expect(a.headers.vary).toBe('trpc-accept, accept');
    expect(a.json()).toMatchObject({ result: { data: { json: { n: 7, at: '2026-01-02T00:00:00.000Z', tags: ['a'], big: '12345678901234567890' }, meta: { values: { at: ['Date'], tags: ['set'], big: ['bigint'] } } } } });
    expect(a.recorded.metrics).toEqual(['echo query OK']);
    await both('/hello');
    await both(`/hello?input=${q({ json: { ignored: true } })}`);
    await both('/nothing');
  });

  it('refuses invalid input with the zod message, and input that is not JSON', async () => {
    const a = await both(`/echo?input=${q({ json: { n: 'seven' } })}`);
    expect(a.status).toBe(400);
    expect(a.json()).toMatchObject({ error: { json: { code: -32600, data: { appCode: 'INVALID_INPUT', httpStatus: 400, path: 'echo', requestId: 'req-test-00000001' } } } });
    expect(a.recorded).toEqual({ metrics: ['echo query BAD_REQUEST'], errors: ['echo BAD_REQUEST'] });
    expect((await both('/echo?input=%7Bnot-json')).status).toBe(400);
    expect((await both('/echo')).status).toBe(400); // no input at all
    // A procedure without input never reads it, so broken input does not matter to it.
    expect((await both('/hello?input=%7Bnot-json')).status).toBe(200);
  });

  it('refuses a signed-out call to a signed-in procedure, and answers the signed-in one', async () => {
    const out = await both('/mine');
    expect(out.status).toBe(401);
    expect(out.json()).toMatchObject({ error: { json: { message: 'Please sign in to continue.', data: { appCode: 'UNAUTHORIZED' } } } });
    const other = await both('/mine', { headers: { cookie: 'fk_consent=1; other=2' } });
    expect(other.status).toBe(401);
    const signedIn = await both('/mine', { headers: { cookie: `${SESSION}; other=2` } });
    expect(signedIn.status).toBe(200);
    expect(signedIn.json()).toMatchObject({ result: { data: { json: { id: 'u-1', cookie: `${SESSION}; other=2` } } } });
  });

  it('gives signed-out procedures the request headers when they read them', async () => {
    const a = await both('/probe', { headers: { 'x-probe': 'seen' } });
    expect(a.json()).toMatchObject({ result: { data: { json: 'seen' } } });
  });

  it('maps a failing session lookup to the same error on every call of the request', async () => {
    const a = await both(`/hello,mine?batch=1&input=${q({})}`, { headers: { cookie: 'better-auth.session_token=broken' } });
    expect(a.status).toBe(500);
    expect(a.json()).toMatchObject([{ error: { json: { data: { appCode: 'INTERNAL' } } } }, { error: { json: { data: { appCode: 'INTERNAL' } } } }]);
  });

  it('sends Retry-After (rounded up) with a rate-limited refusal, the longest wait in a batch', async () => {
    const a = await both('/limited');
    expect(a.status).toBe(429);
    expect(a.headers['retry-after']).toBe('13');
    expect(a.json()).toMatchObject({ error: { json: { data: { appCode: 'RATE_LIMITED', httpStatus: 429 } } } });
    const b = await both(`/limited,slower?batch=1&input=${q({})}`);
    expect(b.status).toBe(429);
    expect(b.headers['retry-after']).toBe('40');
  });

  it('hides an unexpected failure behind the plain message and reports it', async () => {
    const a = await both('/boom');
    expect(a.status).toBe(500);
    expect(a.body).not.toContain('secret detail');
    expect(a.recorded.errors).toEqual(['boom INTERNAL_SERVER_ERROR']);
    expect((await both('/raw')).status).toBe(403);
    expect((await both('/missingThing')).status).toBe(404);
  });

  it('answers a batch mixing successes and refusals with 207 and one envelope each', async () => {
    const input = { 0: { json: { n: 1 } }, 1: { json: { n: 'x' } }, 3: { json: { n: 4 } } };
    const a = await both(`/echo,echo,mine,echo,limited,hello?batch=1&input=${q(input)}`);
    expect(a.status).toBe(207);
    expect(a.headers['retry-after']).toBe('13');
    const body = a.json() as object[];
    expect(body).toHaveLength(6);
    expect(body[0]).toMatchObject({ result: { data: { json: { n: 1 } } } });
    expect(body[1]).toMatchObject({ error: { json: { data: { appCode: 'INVALID_INPUT' } } } });
    expect(body[2]).toMatchObject({ error: { json: { data: { appCode: 'UNAUTHORIZED' } } } });
    expect(body[3]).toMatchObject({ result: { data: { json: { n: 4 } } } });
    expect(body[5]).toMatchObject({ result: { data: { json: 'hello' } } });
    // All succeed: 200; all refused alike: that status.
    expect((await both(`/hello,echo?batch=1&input=${q({ 1: { json: { n: 2 } } })}`)).status).toBe(200);
    expect((await both(`/mine,mine?batch=1&input=${q({})}`)).status).toBe(401);
    // Batch input that is not an object, and a batch without input.
    expect((await both(`/echo,echo?batch=1&input=${q([1, 2])}`)).status).toBe(400);
    expect((await both('/echo,hello?batch=1')).status).toBe(207);
  });

  it('refuses a stream-like result in a plain JSON answer', async () => {
    expect((await both('/streamy')).status).toBe(415);
    expect((await both(`/streamy,hello?batch=1&input=${q({})}`)).status).toBe(207);
  });

  it('runs mutations over POST, single and batched, with their refusals', async () => {
    const headers = { 'content-type': 'application/json' };
    const ok = await both('/save', { method: 'POST', headers, body: JSON.stringify({ json: { name: 'Moon' } }) });
    expect(ok.json()).toMatchObject({ result: { data: { json: { saved: 'Moon' } } } });
    expect(ok.recorded.metrics).toEqual(['save mutation OK']);
    const refused = await both('/save', { method: 'POST', headers, body: JSON.stringify({ json: { name: '' } }) });
    expect(refused.json()).toMatchObject({ error: { json: { message: 'Give it a name.' } } });
    const batch = await both('/save,saveAuthed?batch=1', { method: 'POST', headers, body: JSON.stringify({ 0: { json: { name: 'a' } }, 1: { json: { name: 'b' } } }) });
    expect(batch.status).toBe(207);
    const signedIn = await both('/saveAuthed', { method: 'POST', headers: { ...headers, cookie: SESSION }, body: JSON.stringify({ json: { name: 'c' } }) });
    expect(signedIn.json()).toMatchObject({ result: { data: { json: { saved: 'c', by: 'u-1' } } } });
    // Broken JSON, an empty body, a BOM, a body in UTF-8 and a content type with parameters.
    expect((await both('/save', { method: 'POST', headers, body: '{"json":' })).status).toBe(400);
    expect((await both('/save', { method: 'POST', headers, body: '' })).status).toBe(400);
    expect((await both('/save', { method: 'POST', headers, body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ json: { name: 'bom' } }))]) })).status).toBe(200);
    const accents = await both('/save', { method: 'POST', headers: { 'content-type': 'Application/JSON; charset=utf-8' }, body: JSON.stringify({ json: { name: 'Zoë ☾' } }) });
    expect(accents.json()).toMatchObject({ result: { data: { json: { saved: 'Zoë ☾' } } } });
  });

  it('leaves everything else to tRPC’s adapter, which answers as before', async () => {
    const headers = { 'content-type': 'application/json' };
    expect((await both('/unknown.procedure', {}, false)).status).toBe(404);
    expect((await both(`/hello,unknown?batch=1&input=${q({})}`, {}, false)).status).toBe(207);
    expect((await both('/save', {}, false)).status).toBe(405); // a mutation over GET
    expect((await both('/hello', { method: 'POST', headers, body: '{}' }, false)).status).toBe(405); // a query over POST
    expect((await both('/hello', { method: 'HEAD' }, false)).status).toBe(204);
    expect((await both('/hello', { method: 'PUT', headers, body: '{}' }, false)).status).toBe(405);
    expect((await both('/save', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }, false)).status).toBe(415);
    // A body of unknown length, and one over maxBodySize.
    expect((await both('/save', { method: 'POST', headers, body: JSON.stringify({ json: { name: 'chunks' } }), chunked: true }, false)).status).toBe(200);
    expect((await both('/save', { method: 'POST', headers, body: JSON.stringify({ json: { name: 'x'.repeat(2000) } }) }, false)).status).toBe(413);
    // Streaming (httpBatchStreamLink) and a path that is not valid URL encoding.
    const streamed = await both(`/hello,echo?batch=1&input=${q({ 1: { json: { n: 3 } } })}`, { headers: { 'trpc-accept': 'application/jsonl' } }, false);
    expect(streamed.status).toBe(200);
    expect((await both('/%E0%A4%A', {}, false)).status).toBe(400);
  });
});

describe('the product’s /trpc endpoint against tRPC’s Express adapter (app router, real database)', () => {
  let server: TestServer;
  let side: http.Server;
  let base: string;
  let user: TestUser;

  beforeAll(async () => {
    server = await startTestServer(inject('pgAdminUrl'), { env: { RUN_WORKER: 'false' } });
    user = await signUp(server);
    const { deps, auth: realAuth } = server;
    const app = express();
    app.use((_req, _res, next) => runInContext({ requestId: 'req-test-00000002' }, next));
    app.use('/fast', trpcEndpoint(appRouter, deps, realAuth));
    app.use('/std', trpcAdapterEndpoint(appRouter, deps, realAuth));
    side = http.createServer(app);
    await new Promise<void>((r) => side.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(side.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => side.close(() => r()));
    await server.stop();
  });

  async function both(path: string, init: Parameters<typeof send>[2] = {}) {
    const std = await send(base, '/std' + path, init);
    const fast = await send(base, '/fast' + path, init);
    expect({ status: fast.status, headers: fast.headers, body: fast.body }).toEqual({ status: std.status, headers: std.headers, body: std.body });
    expect(fast.framing).toBe('length');
    return JSON.parse(fast.body) as unknown;
  }

  it('answers the app’s own calls the same, signed out and signed in, single and batched', async () => {
    expect(await both('/me.get')).toMatchObject({ result: { data: { json: null } } });
    expect(await both('/me.consent')).toMatchObject({ result: { data: {} } });
    const cookie = { cookie: user.cookie };
    expect(await both('/me.get', { headers: cookie })).toMatchObject({ result: { data: { json: { email: user.email } } } });
    const batch = (await both(`/me.get,workspace.list,notification.unread,generation.models,account.sessions?batch=1&input=${q({})}`, { headers: cookie })) as object[];
    expect(batch).toHaveLength(5);
    expect(batch[1]).toMatchObject({ result: { data: { json: [{ role: 'owner' }] } } });
    expect(batch[4]).toMatchObject({ result: { data: { meta: { values: expect.any(Object) } } } }); // dates through superjson
    expect(await both(`/workspace.list,me.get?batch=1&input=${q({})}`)).toMatchObject([{ error: { json: { data: { appCode: 'UNAUTHORIZED' } } } }, { result: {} }]);
    expect(await both('/prompts.clearHistory', { method: 'POST', headers: { ...cookie, 'content-type': 'application/json' }, body: '{}' })).toMatchObject({ result: {} });
  });
});
