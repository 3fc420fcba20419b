/**
 * Soak: the real server on this machine under mixed load for a while, looking for errors, leaks and
 * slow drift. 200 signed-in users generate (built-in model, fast steps) and 50 board clients edit at
 * 50 updates/s in total, for 5 minutes by default. The server runs in this process (so its heap,
 * handles and live documents can be read); the clients run in another (bench/soak-clients.ts).
 *
 * Prints requests and board updates done, errors, p50/p99 of generation-done and board fan-out,
 * heap and RSS at start, middle and end, open handles, Postgres connections; exits non-zero on any
 * error, on heap growth above 10 % after warm-up, or on a live Y.Doc left after everyone left.
 *
 *   npm run soak -- [--minutes 5] [--users 200] [--board-clients 50] [--boards 5] [--board-rate 50]
 *                   [--gen-per-user-per-minute 0.05]
 * Not part of npm test.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import * as Y from 'yjs';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { createLogger, type Logger } from '../server/log.js';
import { addMember } from '../server/testing/teams.js';
import { signUp, startTestServer, trpcClient, type TestUser } from '../server/testing/harness.js';
import type { SoakClientsInput, SoakProgress } from './soak-clients.js';
import { ms, table } from './lib.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    users: { type: 'string', default: '200' },
    'board-clients': { type: 'string', default: '50' },
    boards: { type: 'string', default: '5' },
    'board-rate': { type: 'string', default: '50' },
    // 200 × 0.05 = 10 generations a minute. The built-in renderer costs about 0.3 s of CPU per
    // 1024² image (plus marking and a thumbnail); on the shared 2-core machine this was written on
    // it finished about 0.4 a second (24 a minute). More than that and the queue grows without end,
    // every later job misses the clients' 60 s wait: that measures capacity, not leaks. Raise it on
    // a machine of your own (2 a minute each ran into that limit at once, 0.25 after a minute).
    'gen-per-user-per-minute': { type: 'string', default: '0.05' },
  },
});
const MINUTES = Number(args.minutes);
const USERS = Number(args.users);
const BOARD_CLIENTS = Number(args['board-clients']);
const BOARDS = Number(args.boards);
const BOARD_RATE = Number(args['board-rate']);
const GEN_RATE = Number(args['gen-per-user-per-minute']);

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Counts the server's warn and error log lines (errors fail the soak), passing them on to stderr. */
function countingLogger(): Logger & { errors: string[] } {
  const inner = createLogger('warn');
  const errors: string[] = [];
  return {
    errors,
    debug: () => {},
    info: () => {},
    warn: (m, d) => inner.warn(m, d),
    error: (m, d) => {
      errors.push(m);
      inner.error(m, d);
    },
    unredacted: (level, m, d) => {
      if (level === 'error') errors.push(m);
      inner.unredacted(level, m, d);
    },
  };
}

interface Sample {
  at: string;
  heapMiB: number;
  rssMiB: number;
  handles: number;
  pgConnections: number;
  liveBoards: number;
  yDocs: number;
}

const mib = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-soak-'));
fs.chmodSync(dir, 0o755);
const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), database: 'postgres', persistent: false, fsync: true });
const log = countingLogger();
const failures: string[] = [];
try {
  const server = await startTestServer(pg.url, {
    env: { LOG_LEVEL: 'warn', LOCAL_PROVIDER_STEP_MS: '5', SIGNUP_CREDITS: '1000000', WORKER_CONCURRENCY: '4' },
    start: { log },
  });
  const sample = async (at: string): Promise<Sample> => {
    gc();
    gc();
    const mem = process.memoryUsage();
    const conns = await sql<{ n: string }>`select count(*)::text as n from pg_stat_activity where datname = current_database()`.execute(server.deps.db);
    return {
      at,
      heapMiB: mib(mem.heapUsed),
      rssMiB: mib(mem.rss),
      handles: process.getActiveResourcesInfo().length,
      pgConnections: Number(conns.rows[0]!.n),
      liveBoards: server.boardSync.liveBoards(),
      yDocs: (v8 as unknown as { queryObjects(c: unknown, o: { format: 'count' }): number }).queryObjects(Y.Doc, { format: 'count' }),
    };
  };
  const samples: Sample[] = [await sample('start (idle)')];
  /** Where the server's generations and their pg-boss jobs stand (a stall shows here first). */
  const jobCounts = async () => {
    const gens = await sql<{ status: string; n: number }>`select status, count(*)::int as n from generation group by status order by status`.execute(server.deps.db);
    const jobs = await sql<{ state: string; n: number }>`select state, count(*)::int as n from pgboss.job where name = 'generation' group by state order by state`.execute(server.deps.db);
    return {
      unfinished: gens.rows.filter((r) => r.status === 'queued' || r.status === 'running').reduce((n, r) => n + r.n, 0),
      text: `generations ${gens.rows.map((r) => `${r.status} ${r.n}`).join(', ') || 'none'}; jobs ${jobs.rows.map((r) => `${r.state} ${r.n}`).join(', ') || 'none'}`,
    };
  };

  console.error(`signing up ${USERS} users…`);
  const users: TestUser[] = [];
  // One at a time: the setup puts no burst of its own (password hashing) on the server before the
  // measured part.
  for (let i = 0; i < USERS; i++) users.push(await signUp(server, 'Soak'));
  const owner = users[0]!;
  const team = await trpcClient(server, owner).workspace.create.mutate({ name: 'Soak team' });
  const boardIds: string[] = [];
  for (let b = 0; b < BOARDS; b++) boardIds.push((await trpcClient(server, owner).board.create.mutate({ workspaceId: team.id, name: `Soak board ${b}` })).id);
  const boardUsers = users.slice(0, BOARD_CLIENTS);
  for (const u of boardUsers.slice(1)) await addMember(server.deps.db, team.id, u.id, 'editor');

  const input: Omit<SoakClientsInput, 'seconds'> = {
    url: server.url,
    origin: server.config.baseUrl,
    reportEverySeconds: 30,
    genUsers: users.map((u) => ({ cookie: u.cookie })),
    genPerUserPerMinute: GEN_RATE,
    boardUsers: boardUsers.map((u, i) => ({ cookie: u.cookie, boardId: boardIds[i % BOARDS]! })),
    boardRate: BOARD_RATE,
  };
  /** Runs the clients' process for `seconds`; then waits until every board has unloaded (30 s idle). */
  const runClients = async (seconds: number, label: string, midSample: boolean): Promise<SoakProgress> => {
    const inputFile = path.join(dir, `clients-${label}.json`);
    fs.writeFileSync(inputFile, JSON.stringify({ ...input, seconds }));
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'soak-clients.ts'), inputFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    let result: SoakProgress | null = null;
    let buffered = '';
    const mid = midSample ? setTimeout(() => void sample('middle (under load)').then((s) => samples.push(s)), (seconds * 1000) / 2) : null;
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        const p = JSON.parse(line) as SoakProgress;
        if (p.type === 'result') result = p;
        else {
          const line = `  ${label} ${p.elapsedSeconds}s: ${p.generationsDone} generations done, ${p.boardUpdatesSent} board updates, ${p.errors} errors, heap ${mib(process.memoryUsage().heapUsed)} MiB`;
          void jobCounts().then(
            (c) => console.error(`${line}; server: ${c.text}`),
            () => console.error(line),
          );
        }
      }
    });
    const code = await new Promise<number>((res) => child.on('exit', (c) => res(c ?? 1)));
    if (mid) clearTimeout(mid);
    if (code !== 0 || !result) throw new Error(`soak clients exited with ${code}`);
    const left = Date.now();
    while (server.boardSync.liveBoards() > 0 && Date.now() - left < 90_000) await new Promise((res) => setTimeout(res, 500));
    return result;
  };

  // Warm-up (JIT, pools, caches), then everyone leaves: the heap then is the baseline of the leak check.
  const warmupSeconds = Math.max(20, Math.min(60, MINUTES * 60 * 0.2));
  console.error(`warm-up ${warmupSeconds} s…`);
  const warmup = await runClients(warmupSeconds, 'warm-up', false);
  samples.push(await sample('after warm-up (all left)'));
  console.error(`running ${MINUTES} min: ${USERS} users generating (${GEN_RATE}/min each), ${BOARD_CLIENTS} board clients on ${BOARDS} boards (${BOARD_RATE} updates/s)…`);
  const r = await runClients(MINUTES * 60, 'soak', true);
  samples.push(await sample('end (all left)'));
  // Every generation started must end (succeeded or failed) once the clients are gone.
  const drainFrom = Date.now();
  let counts = await jobCounts();
  while (counts.unfinished > 0 && Date.now() - drainFrom < 60_000) {
    await new Promise((res) => setTimeout(res, 1000));
    counts = await jobCounts();
  }
  if (counts.unfinished > 0) failures.push(`${counts.unfinished} generations still queued or running a minute after everyone left`);
  if (warmup.errors > 0) failures.push(`${warmup.errors} client errors during warm-up, e.g. ${warmup.errorSamples.slice(0, 5).join('; ')}`);

  const missing = r.boardDeliveriesExpected - r.boardDeliveries;
  console.log(`\nSoak: ${MINUTES} min after a ${warmupSeconds} s warm-up, ${USERS} users generating, ${BOARD_CLIENTS} board clients on ${BOARDS} boards; server in this process, clients in another; Postgres fsync on\n`);
  table([
    ['what', 'figure'],
    ['tRPC requests (generation.create)', r.requests],
    ['generations done', `${r.generationsDone} of ${r.generationsStarted} started`],
    ['generation done p50 / p99', `${ms(r.generationDone.p50)} / ${ms(r.generationDone.p99)}`],
    ['board updates sent', r.boardUpdatesSent],
    ['board deliveries', `${r.boardDeliveries} of ${r.boardDeliveriesExpected}`],
    ['board fan-out p50 / p99', `${ms(r.fanOut.p50)} / ${ms(r.fanOut.p99)}`],
    ['client errors', r.errors],
    ['server error log lines', log.errors.length],
  ]);
  console.log(`\nAt the end: ${counts.text}\n`);
  table([['when', 'heap MiB', 'RSS MiB', 'open handles', 'pg connections', 'live boards', 'Y.Doc objects'], ...samples.map((s) => [s.at, s.heapMiB, s.rssMiB, s.handles, s.pgConnections, s.liveBoards, s.yDocs])]);

  if (r.errors > 0) failures.push(`${r.errors} client errors, e.g. ${r.errorSamples.slice(0, 5).join('; ')}`);
  if (log.errors.length > 0) failures.push(`${log.errors.length} server error log lines, e.g. ${log.errors.slice(0, 3).join('; ')}`);
  if (missing > 0) failures.push(`${missing} board deliveries missing`);
  const warm = samples.find((s) => s.at.startsWith('after warm-up'));
  const end = samples[samples.length - 1]!;
  if (warm && end.heapMiB > warm.heapMiB * 1.1) failures.push(`heap grew ${(((end.heapMiB / warm.heapMiB) - 1) * 100).toFixed(1)} % after warm-up (${warm.heapMiB} → ${end.heapMiB} MiB)`);
  if (end.liveBoards > 0 || end.yDocs > 0) failures.push(`${end.liveBoards} live boards and ${end.yDocs} Y.Doc objects left after everyone left`);
  await server.stop();
} catch (err) {
  failures.push(`soak failed: ${(err as Error).stack ?? err}`);
} finally {
  await pg.stop().catch(() => {});
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(failures.length ? `\nFAIL\n- ${failures.join('\n- ')}` : '\nPASS: 0 errors, heap within 10 % of the warm-up figure, no live documents left');
process.exit(failures.length ? 1 : 0);
