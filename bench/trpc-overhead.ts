import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import express from 'express';
import { z } from 'zod';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { trpcAdapterEndpoint, trpcEndpoint } from '../server/trpc/http.js';
import { createContext, publicProcedure, retryAfterMeta, router } from '../server/trpc/init.js';
import { signUp, startTestServer, type TestServer } from '../server/testing/harness.js';
import { table } from './lib.js';

/**
 * What the tRPC layer costs (issue 19, goal 4): one procedure with a zod input and one kysely query,
 * served through the product's own tRPC endpoint (`trpcEndpoint` from server/trpc/http.ts, what
 * server/index.ts mounts: the context with its session check, the tracing/metrics and
 * error-mapping middlewares of server/trpc/init.ts, superjson, the direct path for JSON calls),
 * against a plain Express route doing the same work (the same zod schema, the same query,
 * `res.json`). A third side is tRPC's own Express adapter with the same procedure and context, as
 * the product mounted it before ADR 0026, so every run shows before and after. All are mounted on
 * one Express app in this process, on the product's database pool and deps; autocannon runs in its
 * own process with 50 connections, the sides in rotating order. Prints requests/s and p99 (medians
 * of the runs) and the ratios, and this process's CPU time per request (on a machine shared with
 * other work the rates swing with its load; the CPU per request much less). A measurement: it
 * exits 0 whatever the numbers.
 *
 * BENCH_SECONDS (default 5) per run, BENCH_REPEATS (default 3) runs per side, BENCH_CONNECTIONS (50),
 * BENCH_TRPC_BATCH=1 adds the same three sides for a batch of three lookups (`httpBatchLink`'s
 * `GET /trpc/lookup,lookup,lookup?batch=1`; the Express route runs the three queries the same way).
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const BATCH = process.env.BENCH_TRPC_BATCH === '1';

interface CannonResult {
  requests: { average: number; total: number };
  latency: { p99: number; p50: number };
  errors: number;
  non2xx: number;
}

async function autocannon(url: string, seconds: number): Promise<CannonResult> {
  const bin = path.resolve('node_modules/autocannon/autocannon.js');
  const { stdout } = await promisify(execFile)(process.execPath, [bin, '-j', '-c', String(CONNECTIONS), '-d', String(seconds), url], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as CannonResult;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const LookupInput = z.object({ id: z.uuid() });

export async function run() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-bench-trpc-'));
  fs.chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), database: 'postgres', persistent: false });
  let server: TestServer | undefined;
  let bench: http.Server | undefined;
  try {
    server = await startTestServer(pg.url, { env: { LOG_LEVEL: 'error', RUN_WORKER: 'false' } });
    const { deps, auth } = server;
    const user = await signUp(server);
    const ws = await deps.db.selectFrom('membership').select('workspace_id').where('user_id', '=', user.id).executeTakeFirstOrThrow();

    // The one query both sides run.
    const lookup = (id: string) => deps.db.selectFrom('workspace').select(['id', 'name', 'kind', 'created_at']).where('id', '=', id).executeTakeFirst();
    const benchRouter = router({ lookup: publicProcedure.input(LookupInput).query(({ input }) => lookup(input.id)) });

    const app = express();
    app.disable('x-powered-by');
    app.use('/trpc', trpcEndpoint(benchRouter, deps, auth));
    // Before ADR 0026: tRPC's Express adapter, the context built from a Fetch copy of the headers.
    app.use('/trpc-adapter', trpcAdapterEndpoint(benchRouter, deps, auth));
    app.get('/express/lookup', async (req, res, next) => {
      try {
        const parsed = LookupInput.safeParse({ id: req.query.id });
        if (!parsed.success) return void res.status(400).json({ error: parsed.error.issues[0]?.message });
        res.json(await lookup(parsed.data.id));
      } catch (err) {
        next(err);
      }
    });
    app.get('/express/lookups', async (req, res, next) => {
      try {
        const ids = ([] as unknown[]).concat(req.query.id ?? []);
        const parsed = ids.map((id) => LookupInput.safeParse({ id }));
        const bad = parsed.find((p) => !p.success);
        if (bad && !bad.success) return void res.status(400).json({ error: bad.error.issues[0]?.message });
        res.json(await Promise.all(parsed.map((p) => lookup(p.data!.id))));
      } catch (err) {
        next(err);
      }
    });
    bench = http.createServer(app);
    await new Promise<void>((r) => bench!.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(bench.address() as AddressInfo).port}`;
    const id = ws.workspace_id;
    const one = encodeURIComponent(JSON.stringify({ json: { id } }));
    const three = encodeURIComponent(JSON.stringify({ 0: { json: { id } }, 1: { json: { id } }, 2: { json: { id } } }));
    const cases = [
      {
        name: 'one call',
        urls: { trpc: `${base}/trpc/lookup?input=${one}`, express: `${base}/express/lookup?id=${id}`, adapter: `${base}/trpc-adapter/lookup?input=${one}` },
      },
      ...(BATCH
        ? [
            {
              name: 'batch of 3',
              urls: {
                trpc: `${base}/trpc/lookup,lookup,lookup?batch=1&input=${three}`,
                express: `${base}/express/lookups?id=${id}&id=${id}&id=${id}`,
                adapter: `${base}/trpc-adapter/lookup,lookup,lookup?batch=1&input=${three}`,
              },
            },
          ]
        : []),
    ];
    // All answer the same rows.
    for (const c of cases) {
      const e = (await (await fetch(c.urls.express)).json()) as { name: string } | { name: string }[];
      const name = Array.isArray(e) ? e[0]!.name : e.name;
      for (const side of ['trpc', 'adapter'] as const) {
        const t = (await (await fetch(c.urls[side])).json()) as { result: { data: { json: { name: string } } } } | { result: { data: { json: { name: string } } } }[];
        if ((Array.isArray(t) ? t[0]! : t).result.data.json.name !== name) throw new Error(`${c.name}: ${side} and Express answer differently`);
      }
    }

    const sides = ['express', 'trpc', 'adapter'] as const;
    const label = { express: 'Express', trpc: 'tRPC', adapter: "tRPC's adapter (before)" };
    for (const c of cases) for (const side of sides) await autocannon(c.urls[side], 2); // warm up
    for (const c of cases) {
      const rps = { trpc: [] as number[], express: [] as number[], adapter: [] as number[] };
      const p99 = { trpc: [] as number[], express: [] as number[], adapter: [] as number[] };
      const cpu = { trpc: [] as number[], express: [] as number[], adapter: [] as number[] };
      for (let i = 0; i < REPEATS; i++) {
        // Rotate which side goes first, so a drift in machine load does not favour one.
        const order = [...sides.slice(i % 3), ...sides.slice(0, i % 3)];
        for (const side of order) {
          const cpu0 = process.cpuUsage();
          const r = await autocannon(c.urls[side], SECONDS);
          const used = process.cpuUsage(cpu0);
          if (r.errors > 0 || r.non2xx > 0) throw new Error(`${c.name}, ${side}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
          rps[side].push(r.requests.average);
          p99[side].push(r.latency.p99);
          // This process's CPU time per answered request: less swayed by the machine's other load than the rates.
          cpu[side].push((used.user + used.system) / Math.max(1, r.requests.total));
          console.log(`  ${c.name}, ${label[side].padEnd(23)} run ${i + 1}: ${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ${cpu[side].at(-1)!.toFixed(0)} µs CPU/request`);
        }
      }
      const [tr, er, ar] = [median(rps.trpc), median(rps.express), median(rps.adapter)];
      const [tp, ep, ap] = [median(p99.trpc), median(p99.express), median(p99.adapter)];
      const [tc, ec, ac] = [median(cpu.trpc), median(cpu.express), median(cpu.adapter)];
      console.log(`\ntRPC procedure (zod input, one kysely query per call), ${c.name}, against an Express route doing the same work, ${CONNECTIONS} connections (medians of ${REPEATS} rotating ${SECONDS} s runs)`);
      table([
        ['', 'tRPC', 'Express', 'tRPC/Express', "tRPC's adapter (before)", 'before/Express'],
        ['requests/s', tr.toFixed(0), er.toFixed(0), (tr / er).toFixed(2), ar.toFixed(0), (ar / er).toFixed(2)],
        ['p99', `${tp} ms`, `${ep} ms`, (tp / ep).toFixed(2), `${ap} ms`, (ap / ep).toFixed(2)],
        ['server CPU/request', `${tc.toFixed(0)} µs`, `${ec.toFixed(0)} µs`, (tc / ec).toFixed(2), `${ac.toFixed(0)} µs`, (ac / ec).toFixed(2)],
      ]);
      console.log(`goal: ≥ 0.8× the requests/s → ${tr / er >= 0.8 ? 'PASS' : 'FAIL'} (${(tr / er).toFixed(2)}×)`);
      console.log(`goal: p99 ≤ 1.25× → ${tp / ep <= 1.25 ? 'PASS' : 'FAIL'} (${(tp / ep).toFixed(2)}×)`);
    }
  } catch (err) {
    console.error('benchmark failed:', err);
  } finally {
    if (bench) await new Promise((r) => bench!.close(r));
    await server?.stop().catch(() => {});
    await pg.stop().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
  process.exit(0);
}
