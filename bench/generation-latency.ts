import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { Server } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { createBoss } from '../jobs/boss.js';
import { createLogger } from '../server/log.js';
import type { ModelProvider } from '../server/providers/types.js';
import { connectSocket, createTestDatabase, signUp, startTestServer, trpcClient } from '../server/testing/harness.js';
import { ms, summarize, table } from './lib.js';

/**
 * Time from `generation.create` returning to the browser-side "succeeded" event, with a provider
 * that renders instantly: 200 jobs one after another, and 500 submitted at once (issue 19), while
 * 200 other signed-in users sit connected with their own sockets. Beside it, in the same run and on
 * the same database, a bare pg-boss send → work → socket.io emit loop with the same pg-boss settings
 * and 200 idle socket.io clients. Prints both and their ratio. A measurement: it exits 0 whatever the
 * numbers. BENCH_IDLE_USERS (200), BENCH_BURST (500) and BENCH_SEQUENTIAL (200) change the sizes.
 */
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 200);
const BURST = Number(process.env.BENCH_BURST ?? 500);
const IDLE_USERS = Number(process.env.BENCH_IDLE_USERS ?? 200);

/** `n` at a time, so sign-ups (password hashing) do not all land on the server at once. */
async function inBatches<T>(count: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += size) out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - i) }, (_, j) => make(i + j)))));
  return out;
}

export async function run() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-bench-'));
  fs.chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), database: 'postgres', persistent: false });
  try {
    const product = await measureProduct(pg.url);
    const bare = await measureBare(await createTestDatabase(pg.url));
    console.log(`\nGeneration latency: generation.create returned → "succeeded" received by the socket client, ${IDLE_USERS} idle users connected`);
    table([
      ['case', 'product', 'bare pg-boss loop', 'ratio'],
      ['one at a time p50', ms(product.seq.p50), ms(bare.seq.p50), (product.seq.p50 / bare.seq.p50).toFixed(2)],
      ['one at a time p99', ms(product.seq.p99), ms(bare.seq.p99), (product.seq.p99 / bare.seq.p99).toFixed(2)],
      ['one at a time max', ms(product.seq.max), ms(bare.seq.max), (product.seq.max / bare.seq.max).toFixed(2)],
      [`${BURST} at once: last done − last render`, ms(product.burstLag), ms(bare.burstLag), (product.burstLag / bare.burstLag).toFixed(2)],
      [`${BURST} at once: wall time`, ms(product.burstWall), ms(bare.burstWall), (product.burstWall / bare.burstWall).toFixed(2)],
    ]);
    const ratio = product.seq.p99 / bare.seq.p99;
    console.log(`\ngoal: one job p99 ≤ 50 ms and ≤ 1.25× the bare loop → ${product.seq.p99 <= 50 && ratio <= 1.25 ? 'PASS' : 'FAIL'} (${ms(product.seq.p99)}, ${ratio.toFixed(2)}×)`);
    console.log(`goal: ${BURST} at once, last done within 1 s of the last render → ${product.burstLag < 1000 ? 'PASS' : 'FAIL'} (${ms(product.burstLag)})`);
  } catch (err) {
    console.error('benchmark failed:', err);
  } finally {
    await pg.stop().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function measureProduct(adminUrl: string) {
  // A different picture for every render, made before timing starts: the classifier keeps the
  // results of the last bytes it saw, and a bench that returned one picture 700 times would measure
  // that cache, not the classifier.
  const pictures = await Promise.all(
    Array.from({ length: 10 + SEQUENTIAL + BURST }, (_, i) =>
      sharp({ create: { width: 8, height: 8, channels: 3, background: { r: i % 256, g: Math.floor(i / 256) * 60, b: 136 } } }).png().toBuffer(),
    ),
  );
  let made = 0;
  const renders: number[] = [];
  const instant: ModelProvider = {
    name: 'local',
    async generate(req) {
      renders.push(performance.now());
      return Array.from({ length: req.count }, () => ({ data: pictures[made++ % pictures.length]!, mime: 'image/png', width: 8, height: 8 }));
    },
  };
  const server = await startTestServer(adminUrl, { env: { SIGNUP_CREDITS: '100000', WORKER_CONCURRENCY: '8', LOG_LEVEL: 'error', GENERATION_RATE_PER_MINUTE: '100000', GENERATION_MAX_IN_FLIGHT: '100000', GENERATION_MAX_IN_FLIGHT_PER_WORKSPACE: '100000' }, start: { providers: [instant] } });
  try {
    const idle = await inBatches(IDLE_USERS, 8, async (i) => connectSocket(server, await signUp(server, `Idle ${i}`)));
    const user = await signUp(server);
    const api = trpcClient(server, user);
    const socket = await connectSocket(server, user);
    const doneAt = new Map<string, number>();
    const waiters = new Map<string, () => void>();
    socket.on('generation:update', (e) => {
      if (e.status !== 'succeeded') return;
      doneAt.set(e.id, performance.now());
      waiters.get(e.id)?.();
    });
    const waitDone = (id: string) => (doneAt.has(id) ? Promise.resolve() : new Promise<void>((r) => waiters.set(id, r)));
    // Warm up.
    for (let i = 0; i < 10; i++) await waitDone((await api.generation.create.mutate({ prompt: `warm ${i}` })).id);
    const seq: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const gen = await api.generation.create.mutate({ prompt: `sequential ${i}` });
      const returned = performance.now();
      await waitDone(gen.id);
      seq.push(doneAt.get(gen.id)! - returned);
    }
    renders.length = 0;
    const t0 = performance.now();
    const gens = await Promise.all(Array.from({ length: BURST }, (_, i) => api.generation.create.mutate({ prompt: `burst ${i}` })));
    await Promise.all(gens.map((g) => waitDone(g.id)));
    const lastDone = Math.max(...gens.map((g) => doneAt.get(g.id)!));
    socket.close();
    for (const s of idle) s.close();
    return { seq: summarize(seq), burstLag: lastDone - Math.max(...renders), burstWall: lastDone - t0 };
  } finally {
    await server.stop();
  }
}

/** The same pg-boss settings as jobs/boss.ts, with a plain Socket.io server and nothing else. */
async function measureBare(databaseUrl: string) {
  const boss = createBoss(databaseUrl, createLogger('silent'));
  await boss.start();
  await boss.createQueue('bare', { notify: true, retryLimit: 3 });
  const httpServer = http.createServer();
  const io = new Server(httpServer);
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  const port = (httpServer.address() as AddressInfo).port;
  const renders: number[] = [];
  await boss.work('bare', { localConcurrency: 8, batchSize: 1, pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 2 }, async ([job]) => {
    renders.push(performance.now());
    // To the one waiting user's room, as the product sends to `rooms.user(id)`.
    io.to('user:waiter').emit('done', (job!.data as { id: string }).id);
  });
  io.on('connection', (s) => void s.join(`user:${String(s.handshake.query.user)}`));
  const connect = (user: string) => {
    const c = ioClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], query: { user } });
    return new Promise<typeof c>((r) => c.once('connect', () => r(c)));
  };
  const idle = await inBatches(IDLE_USERS, 20, (i) => connect(`idle${i}`));
  const client = await connect('waiter');
  const doneAt = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  client.on('done', (id: string) => {
    doneAt.set(id, performance.now());
    waiters.get(id)?.();
  });
  const waitDone = (id: string) => (doneAt.has(id) ? Promise.resolve() : new Promise<void>((r) => waiters.set(id, r)));
  let n = 0;
  const send = async () => {
    const id = `j${n++}`;
    await boss.send('bare', { id });
    return id;
  };
  try {
    for (let i = 0; i < 10; i++) await waitDone(await send());
    const seq: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const id = await send();
      const sent = performance.now();
      await waitDone(id);
      seq.push(doneAt.get(id)! - sent);
    }
    renders.length = 0;
    const t0 = performance.now();
    const ids = await Promise.all(Array.from({ length: BURST }, () => send()));
    await Promise.all(ids.map(waitDone));
    const lastDone = Math.max(...ids.map((id) => doneAt.get(id)!));
    return { seq: summarize(seq), burstLag: lastDone - Math.max(...renders), burstWall: lastDone - t0 };
  } finally {
    client.close();
    for (const c of idle) c.close();
    io.close();
    await boss.stop({ graceful: false, timeout: 2000 });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
  process.exit(0);
}
