import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { signUp, startTestServer, type TestServer, type TestUser } from '../server/testing/harness.js';
import { table } from './lib.js';

/**
 * What Prometheus metrics cost a tRPC request: the same procedures, on two servers started in this
 * run on one database, one with metrics off and one with them on (METRICS_TOKEN), measured with
 * autocannon (in its own process, so the load generator does not share the servers' event loop)
 * in alternating runs, so that load from elsewhere on the machine hits both alike.
 * Prints requests/s (median of the runs) and p99 latency per case, their ratio, and what one scrape
 * of /metrics takes. A measurement: it exits 0 whatever the numbers.
 *
 * BENCH_SECONDS (default 5) per run, BENCH_REPEATS (default 3) runs per server and case,
 * BENCH_CONNECTIONS (default 10).
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const TOKEN = 'bench-metrics-token-0123456789';

interface CannonResult {
  requests: { average: number };
  latency: { p99: number };
  errors: number;
  non2xx: number;
}

/** One autocannon run from its CLI (`-j`: the result as JSON on stdout). */
async function autocannon(url: string, seconds: number, headers: Record<string, string>): Promise<CannonResult> {
  const bin = path.resolve('node_modules/autocannon/autocannon.js');
  const args = [bin, '-j', '-c', String(CONNECTIONS), '-d', String(seconds), ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}:${v}`]), url];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as CannonResult;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-bench-metrics-'));
  fs.chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), database: 'postgres', persistent: false });
  const servers: TestServer[] = [];
  try {
    const env = { LOG_LEVEL: 'error', RUN_WORKER: 'false' };
    const off = await startTestServer(pg.url, { env });
    servers.push(off);
    const on = await startTestServer(pg.url, { env: { ...env, METRICS_TOKEN: TOKEN } });
    servers.push(on);
    const users = new Map<TestServer, TestUser>([
      [off, await signUp(off)],
      [on, await signUp(on)],
    ]);
    const cases = [
      { name: 'me.get signed out (cheapest procedure)', path: '/trpc/me.get', signedIn: false },
      { name: 'me.get signed in (session + workspaces)', path: '/trpc/me.get', signedIn: true },
    ];
    const blast = (server: TestServer, c: (typeof cases)[number], seconds: number) =>
      autocannon(`${server.url}${c.path}`, seconds, c.signedIn ? { cookie: users.get(server)!.cookie } : {});
    // Warm up both (JIT, pools, prepared statements).
    for (const s of [off, on]) for (const c of cases) await blast(s, c, 1);

    const rows: (string | number)[][] = [['case', 'metrics off req/s', 'metrics on req/s', 'on/off', 'p99 off', 'p99 on']];
    for (const c of cases) {
      const rps = { off: [] as number[], on: [] as number[] };
      const p99 = { off: [] as number[], on: [] as number[] };
      for (let i = 0; i < REPEATS; i++) {
        // Alternate which goes first, so a drift in machine load does not favour one side.
        const order = i % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
        for (const side of order) {
          const r = await blast(side === 'off' ? off : on, c, SECONDS);
          if (r.errors > 0 || r.non2xx > 0) throw new Error(`${c.name} (${side}): ${r.errors} errors, ${r.non2xx} non-2xx answers`);
          rps[side].push(r.requests.average);
          p99[side].push(r.latency.p99);
          console.log(`  ${c.name}, metrics ${side}, run ${i + 1}: ${r.requests.average.toFixed(0)} req/s, p99 ${r.latency.p99} ms`);
        }
      }
      const [a, b] = [median(rps.off), median(rps.on)];
      rows.push([c.name, a.toFixed(0), b.toFixed(0), (b / a).toFixed(3), `${median(p99.off)} ms`, `${median(p99.on)} ms`]);
    }
    console.log(`\nMetrics overhead: tRPC requests/s with metrics off and on (medians of ${REPEATS} alternating ${SECONDS} s runs, ${CONNECTIONS} connections)`);
    table(rows);

    const scrapes: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      const res = await fetch(`${on.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      bytes = (await res.text()).length;
      scrapes.push(performance.now() - t);
    }
    console.log(`\none scrape of /metrics: median ${median(scrapes).toFixed(1)} ms, ${(bytes / 1024).toFixed(0)} KiB`);
    const worst = Math.min(...rows.slice(1).map((r) => Number(r[3])));
    console.log(`goal: metrics cost at most 5% of tRPC throughput → ${worst >= 0.95 ? 'PASS' : 'FAIL'} (worst on/off ${worst.toFixed(3)})`);
  } catch (err) {
    console.error('benchmark failed:', err);
  } finally {
    for (const s of servers.reverse()) await s.stop().catch(() => {});
    await pg.stop().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
  process.exit(0);
}
