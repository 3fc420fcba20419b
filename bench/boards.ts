/**
 * Board sync under load: N clients on one board, each sending small updates; p50/p99 time from one
 * client's update to every other client having applied it, and updates/s sustained. Beside it, in
 * the same run, @hocuspocus/server (the reference Yjs server, no persistence) on the same load. The
 * clients run in a separate process (bench/board-peers.ts), the same code for both servers, so each
 * server has its event loop to itself, as with browsers. Ours stores every update in Postgres before
 * sending it on. Then memory per idle board in each. Prints figures and ratios.
 * Run: `npx tsx bench/boards.ts` (part of `npm run bench`, not of npm test).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Server as Hocuspocus } from '@hocuspocus/server';
import * as Y from 'yjs';
import { freePort, startEmbeddedPostgres } from '../db/embedded.js';
import { editBoardFromServer } from '../server/boards/store.js';
import { putItem } from '../server/shared/board.js';
import { signUp, startTestServer, trpcClient } from '../server/testing/harness.js';
import type { DriveResult, PeersInput } from './board-peers.js';
import { ms, table } from './lib.js';

const N = Number(process.env.BENCH_CLIENTS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RATES = (process.env.BENCH_RATES ?? '50,200').split(',').map(Number); // total updates/s across all clients
const IDLE_BOARDS = Number(process.env.BENCH_IDLE_BOARDS ?? 200);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

/** CPU time (ms) used so far by this process and every PostgreSQL process on the machine (the server side). */
function serverCpuMs(): { node: number; postgres: number } {
  const own = process.cpuUsage();
  let ticks = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime + stime
    } catch {
      /* gone meanwhile */
    }
  }
  return { node: (own.user + own.system) / 1000, postgres: ticks * 10 };
}

/** Runs the clients in their own process (bench/board-peers.ts) and returns what they measured. */
async function runPeers(input: Omit<PeersInput, 'clients' | 'seconds'>): Promise<DriveResult & { serverNodeCpuMs: number; serverPgCpuMs: number }> {
  const before = serverCpuMs();
  const r = await runPeersOnly(input);
  const after = serverCpuMs();
  return { ...r, serverNodeCpuMs: after.node - before.node, serverPgCpuMs: after.postgres - before.postgres };
}

function runPeersOnly(input: Omit<PeersInput, 'clients' | 'seconds'>): Promise<DriveResult> {
  const cmd = [process.execPath, '--import', 'tsx', path.join(import.meta.dirname, 'board-peers.ts'), JSON.stringify({ ...input, clients: N, seconds: SECONDS })];
  const child = spawn(cmd[0]!, cmd.slice(1), {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as DriveResult);
      else reject(new Error(`bench clients exited with ${code}: ${out}`));
    });
  });
}

const seedBoard = (doc: Y.Doc) => {
  for (let k = 0; k < 5; k++) putItem(doc, { id: `n${k}`, type: 'note', x: k * 10, y: 0, w: 200, h: 150, z: k, text: `note ${k}` });
};

type Run = Awaited<ReturnType<typeof runPeers>>;

interface System {
  /** One measured run of the clients at `rate` on a fresh board/document. */
  run(rate: number, rep: number): Promise<Run>;
  /** Heap per idle board (bytes): boards with a few items loaded and held, nobody connected. */
  idleMemory(): Promise<number>;
  stop(): Promise<void>;
}

// ---- ours: the product server, Socket.io, Postgres persistence ----
async function ours(adminUrl: string): Promise<System> {
  const server = await startTestServer(adminUrl, { env: { BOARD_UPDATES_PER_SECOND: '1000', LOG_LEVEL: 'error' } });
  const user = await signUp(server, 'Bench');
  const me = await trpcClient(server, user).me.get.query();
  const ws = me!.workspaces[0]!.id;
  return {
    async run(rate, rep) {
      const boardId = (await trpcClient(server, user).board.create.mutate({ workspaceId: ws, name: `bench ${rate} ${rep}` })).id;
      return runPeers({ system: 'ours', url: server.url, cookie: user.cookie, origin: server.config.baseUrl, doc: boardId, rate });
    },
    async idleMemory() {
      const ids: string[] = [];
      for (let i = 0; i < IDLE_BOARDS; i++) {
        const id = (await trpcClient(server, user).board.create.mutate({ workspaceId: ws, name: `idle ${i}` })).id;
        await editBoardFromServer(server.deps.db, id, seedBoard);
        ids.push(id);
      }
      return perBoard(async () => {
        for (const id of ids) await server.boardSync.open(id, ws);
      });
    },
    stop: () => server.stop(),
  };
}

// ---- Hocuspocus: the reference Yjs server, no persistence ----
async function hocuspocus(): Promise<System> {
  const port = await freePort();
  const server = new Hocuspocus({ port, quiet: true, stopOnSignals: false });
  await server.listen();
  const held: { disconnect(): Promise<void> }[] = [];
  return {
    run: (rate, rep) => runPeers({ system: 'hocuspocus', url: `ws://127.0.0.1:${port}`, doc: `bench-${rate}-${rep}`, rate }),
    async idleMemory() {
      const seed = new Y.Doc();
      seed.transact(() => seedBoard(seed));
      const state = Y.encodeStateAsUpdate(seed);
      return perBoard(async () => {
        for (let i = 0; i < IDLE_BOARDS; i++) {
          const conn = await server.hocuspocus.openDirectConnection(`idle-${i}`);
          Y.applyUpdate(conn.document!, state);
          held.push(conn); // keeps the document loaded, as a connected-then-idle board
        }
      });
    },
    async stop() {
      await Promise.all(held.map((c) => c.disconnect()));
      await Promise.race([server.destroy(), new Promise((r) => setTimeout(r, 3000))]);
    },
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function perBoard(load: () => Promise<void>): Promise<number> {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  await load();
  gc();
  gc();
  return (process.memoryUsage().heapUsed - before) / IDLE_BOARDS;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-bench-boards-'));
fs.chmodSync(dir, 0o755);
// A durable PostgreSQL (fsync on), as the product runs: the cost of storing each update is real.
const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), database: 'postgres', persistent: false, fsync: true });
let failed = false;
try {
  const hp = await hocuspocus();
  const us = await ours(pg.url);
  // Runs alternate between the two servers (and which goes first), so that drift in the machine's
  // speed during the run falls on both alike; each figure is the median over REPEATS runs.
  const runs = new Map<string, { ours: Run[]; hp: Run[] }>(RATES.map((r) => [String(r), { ours: [], hp: [] }]));
  for (let rep = 0; rep < REPEATS; rep++) {
    for (const rate of RATES) {
      const slot = runs.get(String(rate))!;
      const order: ['ours' | 'hp', System][] = rep % 2 === 0 ? [['hp', hp], ['ours', us]] : [['ours', us], ['hp', hp]];
      for (const [name, system] of order) {
        console.error(`  run ${rep + 1}/${REPEATS}, ${rate}/s, ${name === 'hp' ? 'Hocuspocus' : 'ours'}…`);
        slot[name].push(await system.run(rate, rep));
      }
    }
  }
  const memory = { ours: await us.idleMemory(), hp: await hp.idleMemory() };
  await us.stop();
  await hp.stop();

  console.log(`\nBoard sync: ${N} clients on one board, ${SECONDS} s per run, median of ${REPEATS} alternating runs per server and rate; clients in a separate process`);
  console.log('fan-out = one client\'s update → applied by every other client');
  console.log('ours: Socket.io, each update committed to Postgres (fsync on, role re-checked) before fan-out; Hocuspocus: no persistence\n');
  const rows: (string | number)[][] = [['total rate', 'metric', 'ours', 'hocuspocus', 'ratio (ours / hp)']];
  const worst: number[] = [];
  for (const rate of RATES) {
    const { ours: a, hp: b } = runs.get(String(rate))!;
    const m = (xs: Run[], f: (r: Run) => number) => median(xs.map(f));
    const line = (metric: string, f: (r: Run) => number, fmt: (n: number) => string) => {
      const x = m(a, f);
      const y = m(b, f);
      rows.push([`${rate}/s`, metric, fmt(x), fmt(y), (x / y).toFixed(2)]);
      return x / y;
    };
    line('fan-out p50', (r) => r.p50, ms);
    worst.push(line('fan-out p99', (r) => r.p99, ms));
    line('updates/s sustained', (r) => r.updatesPerSecond, (n) => n.toFixed(0));
    line('server CPU, node (ms)', (r) => r.serverNodeCpuMs, (n) => n.toFixed(0));
    rows.push([`${rate}/s`, 'server CPU, postgres (ms)', m(a, (r) => r.serverPgCpuMs).toFixed(0), m(b, (r) => r.serverPgCpuMs).toFixed(0), '']);
    line('clients\' CPU (ms)', (r) => r.clientCpuMs, (n) => n.toFixed(0));
    const lost = (xs: Run[]) => xs.reduce((n, r) => n + (r.expected - r.delivered), 0);
    rows.push([`${rate}/s`, 'deliveries missing', lost(a), lost(b), '']);
    rows.push([`${rate}/s`, 'p99 of each run', a.map((r) => r.p99.toFixed(1)).join(' '), b.map((r) => r.p99.toFixed(1)).join(' '), '']);
  }
  rows.push(['idle', 'memory per idle board', `${(memory.ours / 1024).toFixed(1)} KiB`, `${(memory.hp / 1024).toFixed(1)} KiB`, (memory.ours / memory.hp).toFixed(2)]);
  table(rows);
  const w = Math.max(...worst);
  console.log(`\ngoal: p99 fan-out ≤ 1.0× Hocuspocus → ${w <= 1 ? 'PASS' : 'FAIL'} (worst ratio ${w.toFixed(2)})`);
} catch (err) {
  failed = true;
  console.error('benchmark failed:', err);
} finally {
  await pg.stop().catch(() => {});
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
