/**
 * Fault 9: scale-out as it is deployed. Two web processes (`RUN_WORKER=false`, `server/main.ts`)
 * and one separate worker (`jobs/worker-main.ts`, as `npm run worker`) on one PostgreSQL, all real
 * child processes started at the same time, as a deployment starts them. Two people of one team:
 * Ana's browser talks to web A (through a TCP proxy standing in for the load balancer), Ben's to
 * web B.
 *
 * 1. Ana starts a generation on A; the worker runs it; Ben, on B, sees its progress and result
 *    live, opens the file through B; the credit ledger holds exactly one charge.
 * 2. A board edited from both webs at once converges on both and in Postgres.
 * 3. The worker is SIGKILLed mid-job; a second worker finishes it (or it fails with exactly one
 *    release), and Ben on B sees the end state (fault 1).
 * 4. Web A is SIGKILLed; the load balancer sends Ana to B, her board edits made meanwhile reach Ben
 *    and are stored; B still signs people in, answers queries and runs new jobs (fault 2).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { io as ioClient } from 'socket.io-client';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BoardClient } from '../app/lib/board-client.js';
import { createDb, createPool, type Database } from '../db/index.js';
import { itemsOf, putItem, readItems, setFields } from './shared/board.js';
import type { GenerationEvent } from './shared/realtime.js';
import { loadBoardDoc } from './boards/store.js';
import { connectSocket, createTestDatabase, eventually, signUp, trpcClient, waitForEvent, type TestSocket, type TestUser } from './testing/harness.js';
import { killAll, startWebProcess, startWorkerProcess, type Proc, type WebProc } from './testing/process.js';
import { startTcpProxy, type TcpProxy } from './testing/tcp-proxy.js';
import { addMember, openBoard, snapshotJson, verify, waitForDoc, waitSaved, withDeadline, type OpenBoard } from './testing/teams.js';

// Short through configuration (defaults 30 s and 10 s); 10 s is the shortest heartbeat allowed.
const FAST = { GENERATION_HEARTBEAT_SECONDS: '10', JOB_SUPERVISE_SECONDS: '1' };
/** The first worker's model: 8 steps of 600 ms, so a job is seen running for seconds (progress, a kill mid-job). */
const SLOW_STEPS = { LOCAL_PROVIDER_STEP_MS: '600' };
/** Three processes starting at once on a shared 2-core machine: their start is not what is tested. */
const START = { readyTimeoutMs: 150_000 };
/** A killed job reaches its end within this (heartbeat + supervision + retry delay, on a loaded machine). */
const WITHIN_MS = 60_000;

let databaseUrl: string;
let dataDir: string;
let lb: TcpProxy;
/** What the browsers know: the load balancer's address (BASE_URL of every web process). */
let front: { url: string; config: WebProc['config'] };
let webA: WebProc | undefined;
let webB: WebProc;
let worker1: Proc | undefined;
let worker2: Proc | undefined;
let db: Database;
let ana: TestUser;
let ben: TestUser;
let workspaceId: string;
let anaSocket: TestSocket;
let benSocket: TestSocket;

beforeAll(async () => {
  databaseUrl = await createTestDatabase(inject('pgAdminUrl'));
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-scaleout-'));
  lb = await startTcpProxy({ host: '127.0.0.1', port: 9 });
  const baseUrl = `http://127.0.0.1:${lb.port}`;
  const web = { RUN_WORKER: 'false', BASE_URL: baseUrl, ...FAST };
  // All three at once on an empty database, as a deployment starts them: each migrates, creates the
  // job queues and starts listening, concurrently.
  const [a, b, w] = await Promise.allSettled([
    startWebProcess({ databaseUrl, dataDir, baseUrl, env: web, ...START }),
    startWebProcess({ databaseUrl, dataDir, baseUrl, env: web, ...START }),
    startWorkerProcess({ databaseUrl, dataDir, env: { ...FAST, ...SLOW_STEPS }, ...START }),
  ]);
  if (a.status === 'fulfilled') webA = a.value;
  if (b.status === 'fulfilled') webB = b.value;
  if (w.status === 'fulfilled') worker1 = w.value;
  const failed = [a, b, w].filter((r) => r.status === 'rejected');
  if (failed.length > 0) throw new Error(`starting the deployment failed:\n${failed.map((r) => String((r as PromiseRejectedResult).reason)).join('\n')}`);
  lb.retarget({ host: '127.0.0.1', port: Number(new URL(webA!.url).port) });
  front = { url: baseUrl, config: webB.config };
  db = createDb(createPool(databaseUrl, 2));

  ana = await signUp(webA!, 'Ana Owner');
  ben = await signUp(webB, 'Ben Editor');
  await verify(db, ana.id);
  workspaceId = (await trpcClient(webA!, ana).workspace.create.mutate({ name: 'Scale-out team' })).id;
  await addMember(db, workspaceId, ben.id, 'editor');
  anaSocket = await connectSocket(webA!, ana);
  benSocket = await connectSocket(webB, ben);
}, 240_000);
afterAll(async () => {
  anaSocket?.close();
  benSocket?.close();
  await killAll([webA, webB, worker1, worker2]);
  await db?.destroy();
  await lb?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

type Hist = { event: string; args: unknown[] }[];
const updatesFor = (socket: TestSocket, id: string) =>
  ((socket as TestSocket & { history: Hist }).history ?? []).filter((h) => h.event === 'generation:update' && (h.args[0] as GenerationEvent).id === id).map((h) => h.args[0] as GenerationEvent);
const ledgerFor = (generationId: string) => db.selectFrom('credit_ledger').select(['reason', 'delta']).where('ref', '=', generationId).orderBy('reason').execute();
const isEnd = (e: GenerationEvent) => e.status === 'succeeded' || e.status === 'failed' || e.status === 'canceled';

/** A socket to the load balancer's address that reconnects by itself (wherever it is sent). */
function frontSocket(user: TestUser) {
  return ioClient(front.url, {
    path: '/socket.io',
    transports: ['websocket'],
    reconnectionDelay: 200,
    reconnectionDelayMax: 500,
    extraHeaders: { cookie: user.cookie, origin: front.url },
  });
}

const note = (doc: Y.Doc, id: string, x: number, text: string) => doc.transact(() => putItem(doc, { id, type: 'note', x, y: 0, w: 120, h: 80, z: 0, text }));

describe('two web processes and a separate worker on one PostgreSQL', () => {
  it('a generation started on web A runs on the worker; a teammate on web B sees its progress and result live; charged once', async () => {
    const gen = await trpcClient(webA!, ana).generation.create.mutate({ workspaceId, prompt: 'a lighthouse seen from two servers' });
    const done = await waitForEvent(benSocket, 'generation:update', (e) => e.id === gen.id && isEnd(e), 60_000).catch((err) => {
      throw new Error(`${err}\nworker output:\n${worker1?.output()}`);
    });
    expect(done).toMatchObject({ status: 'succeeded', workspaceId, userId: ana.id, prompt: 'a lighthouse seen from two servers' });
    expect(done.assetIds).toHaveLength(1);

    // Ben saw it live on B: queued, running, several progress steps, then the result (newest last).
    const seen = updatesFor(benSocket, gen.id);
    const progress = new Set(seen.filter((e) => e.status === 'running' && e.progress > 0 && e.progress < 100).map((e) => e.progress));
    expect(progress.size).toBeGreaterThanOrEqual(3);
    expect(Math.max(...seen.map((e) => e.updatedAt))).toBe(done.updatedAt);
    // Ana, on A, too; and only she is told "ready".
    await waitForEvent(anaSocket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded', 10_000);
    await waitForEvent(anaSocket, 'notification:new', (n) => n.kind === 'job_succeeded' && n.workspaceId === workspaceId, 10_000);
    expect(((benSocket as TestSocket & { history: Hist }).history ?? []).filter((h) => h.event === 'notification:new')).toEqual([]);

    // B serves the stored result the worker wrote: the record and the file.
    expect(await trpcClient(webB, ben).generation.get.query({ id: gen.id })).toMatchObject({ status: 'succeeded', progress: 100 });
    const file = await fetch(`${webB.url}/files/${done.assetIds![0]}`, { headers: { cookie: ben.cookie } });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await file.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');

    // One reservation, captured once: exactly one charge.
    expect(await ledgerFor(gen.id)).toEqual([
      { reason: 'generation.capture', delta: 0 },
      { reason: 'generation.reserve', delta: -gen.creditCost },
    ]);
  });

  it('a board edited from both web processes at once converges on both and in Postgres', async () => {
    const boardId = (await trpcClient(webA!, ana).board.create.mutate({ workspaceId, name: 'Both webs' })).id;
    const onA = await openBoard(webA!, ana, boardId);
    const onB = await openBoard(webB, ben, boardId);
    try {
      // Interleaved adds from both sides, then both move and retitle the same notes at the same time.
      for (let i = 0; i < 6; i++) {
        note(onA.client.doc, `a${i}`, i * 130, `Ana ${i}`);
        note(onB.client.doc, `b${i}`, i * 130, `Ben ${i}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await waitForDoc(onA.client.doc, (d) => itemsOf(d).size === 12, 15_000, "Ben's notes on A");
      await waitForDoc(onB.client.doc, (d) => itemsOf(d).size === 12, 15_000, "Ana's notes on B");
      for (let i = 0; i < 6; i++) {
        setFields(onA.client.doc, `b${i}`, { x: 1000 + i, text: `Ana was here ${i}` });
        setFields(onB.client.doc, `a${i}`, { y: 500 + i });
        setFields(onB.client.doc, `b${i}`, { x: 2000 + i });
      }
      onA.client.doc.transact(() => itemsOf(onA.client.doc).delete('a5'));
      await Promise.all([waitSaved(onA.client, 15_000), waitSaved(onB.client, 15_000)]);
      await eventually(async () => snapshotJson(onA.client.doc) === snapshotJson(onB.client.doc), 15_000);
      const converged = snapshotJson(onA.client.doc);
      const items = readItems(onA.client.doc);
      expect(items.map((i) => i.id).sort()).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
      expect(items.find((i) => i.id === 'a1')).toMatchObject({ x: 130, y: 501, text: 'Ana 1' });
      expect(items.find((i) => i.id === 'b2')?.text).toBe('Ana was here 2');
      expect([1002, 2002]).toContain(items.find((i) => i.id === 'b2')?.x); // one of the two concurrent moves, the same everywhere

      // Postgres holds the same board, and a newcomer on either process loads it.
      expect(snapshotJson(await loadBoardDoc(db, boardId))).toBe(converged);
      for (const [srv, user] of [[webA!, ana], [webB, ben]] as const) {
        const reader = await openBoard(srv, user, boardId);
        expect(snapshotJson(reader.client.doc)).toBe(converged);
        reader.close();
      }
    } finally {
      onA.close();
      onB.close();
    }
  });

  it('the worker is SIGKILLed mid-job: a second worker finishes it, charged once, and B shows the end state', async () => {
    const gen = await trpcClient(webA!, ana).generation.create.mutate({ workspaceId, prompt: 'a job whose worker dies' });
    await waitForEvent(benSocket, 'generation:update', (e) => e.id === gen.id && e.status === 'running' && e.progress > 0, 30_000);
    expect(await worker1!.kill('SIGKILL')).toBe('SIGKILL');
    const killedAt = Date.now();
    expect(() => process.kill(worker1!.pid, 0)).toThrow(); // really gone
    worker1 = undefined;
    // Killed mid-job: nobody has told the row otherwise.
    expect((await trpcClient(webB, ben).generation.get.query({ id: gen.id })).status).toBe('running');

    // The replacement worker (as a supervisor would start it), starting while the job is taken back.
    const starting = startWorkerProcess({ databaseUrl, dataDir, env: { ...FAST, LOCAL_PROVIDER_STEP_MS: '5' }, ...START }).then((p) => (worker2 = p));
    // The job is taken back (retry scheduled) once its heartbeat lapsed, at the next supervision pass
    // of any process: within GENERATION_HEARTBEAT_SECONDS + JOB_SUPERVISE_SECONDS (plus a pass for a
    // loaded machine), not at pg-boss's default 60 s monitor interval.
    const jobState = async () =>
      (await sql<{ state: string; retry_count: number }>`select state, retry_count from pgboss.job where name = 'generation' and data->>'generationId' = ${gen.id}`.execute(db)).rows[0];
    await eventually(async () => {
      const j = await jobState();
      return j && (j.retry_count > 0 || j.state !== 'active');
    }, 60_000, 200);
    const takenBackMs = Date.now() - killedAt;
    expect(takenBackMs).toBeLessThan((Number(FAST.GENERATION_HEARTBEAT_SECONDS) + 3 * Number(FAST.JOB_SUPERVISE_SECONDS) + 5) * 1000);
    await starting;
    const readyAt = Date.now();
    const end = await waitForEvent(benSocket, 'generation:update', (e) => e.id === gen.id && isEnd(e), WITHIN_MS).catch((err) => {
      throw new Error(`${err}\nsecond worker output:\n${worker2?.output()}`);
    });
    // Once a worker is there (a supervisor's restart takes what it takes), the job ends promptly.
    expect(Date.now() - Math.max(killedAt, readyAt)).toBeLessThan(WITHIN_MS);
    const stored = await trpcClient(webB, ben).generation.get.query({ id: gen.id });
    expect(stored.status).toBe(end.status);
    if (end.status === 'succeeded') {
      expect(end.assetIds).toHaveLength(1);
      expect(stored.assets).toHaveLength(1);
      expect(await ledgerFor(gen.id)).toEqual([
        { reason: 'generation.capture', delta: 0 },
        { reason: 'generation.reserve', delta: -gen.creditCost },
      ]);
    } else {
      expect(end.status).toBe('failed');
      expect(await ledgerFor(gen.id)).toEqual([
        { reason: 'generation.release', delta: gen.creditCost },
        { reason: 'generation.reserve', delta: -gen.creditCost },
      ]);
    }
    // It was the second worker's attempt that ended it, and nothing of it is left to run.
    expect((await jobState())!.retry_count).toBeGreaterThanOrEqual(1);
    await eventually(async () => (await sql<{ n: number }>`select count(*)::int as n from pgboss.job where data->>'generationId' = ${gen.id} and state in ('created', 'retry', 'active')`.execute(db)).rows[0]!.n === 0, 10_000);
  }, 240_000);

  it('web A is SIGKILLed: its clients move to B, their edits are kept and stored; B still signs in, answers and runs jobs', async () => {
    const boardId = (await trpcClient(webB, ben).board.create.mutate({ workspaceId, name: 'After the crash' })).id;
    // Ana through the load balancer (now to A), Ben on B.
    const anaBoardSocket = frontSocket(ana);
    const anaBoard = new BoardClient(anaBoardSocket as never, boardId);
    let onB: OpenBoard | undefined;
    try {
      await withDeadline(new Promise((r) => anaBoardSocket.once('connect', () => r(null))), 15_000, "Ana's socket through the load balancer");
      expect(await anaBoard.start()).toMatchObject({ ok: true });
      await withDeadline(anaBoard.synced(), 15_000, "Ana's first sync on A");
      onB = await openBoard(webB, ben, boardId);
      note(anaBoard.doc, 'before', 0, 'from A before the crash');
      await waitSaved(anaBoard, 15_000);
      await waitForDoc(onB.client.doc, (d) => itemsOf(d).has('before'), 15_000, "Ana's note on B");

      expect(await webA!.kill('SIGKILL')).toBe('SIGKILL');
      expect(() => process.kill(webA!.pid, 0)).toThrow();
      webA = undefined;
      lb.retarget({ host: '127.0.0.1', port: Number(new URL(webB.url).port) });

      // Ana goes on editing while her tab is between servers: kept, then sent to B.
      note(anaBoard.doc, 'during', 200, 'written while A was gone');
      await eventually(async () => anaBoard.state.status === 'synced' && anaBoard.state.unsaved === 0, 30_000, 50);
      await waitForDoc(onB.client.doc, (d) => itemsOf(d).has('during'), 15_000, "Ana's offline note on B");
      note(onB.client.doc, 'reply', 400, 'Ben, on B');
      await waitForDoc(anaBoard.doc, (d) => itemsOf(d).has('reply'), 15_000, "Ben's reply on Ana's tab");
      await waitSaved(onB.client, 15_000);
      expect(snapshotJson(anaBoard.doc)).toBe(snapshotJson(onB.client.doc));
      expect(readItems(await loadBoardDoc(db, boardId)).map((i) => i.id).sort()).toEqual(['before', 'during', 'reply']);

      // B signs people in, answers queries, and its clients hear jobs the worker runs.
      expect((await fetch(`${webB.url}/readyz`)).status).toBe(200);
      const signIn = await fetch(`${front.url}/api/auth/sign-in/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: front.url },
        body: JSON.stringify({ email: ana.email, password: 'correct horse battery' }),
      });
      expect(signIn.status).toBe(200);
      const fresh: TestUser = { ...ana, cookie: signIn.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') };
      const me = await trpcClient(front, fresh).me.get.query();
      expect(me?.workspaces.map((w) => w.id)).toContain(workspaceId);
      const list = await trpcClient(front, fresh).generation.list.query({ workspaceId });
      expect(list.items.length).toBeGreaterThanOrEqual(2);
      const gen = await trpcClient(front, fresh).generation.create.mutate({ workspaceId, prompt: 'after web A died' });
      const done = await waitForEvent(benSocket, 'generation:update', (e) => e.id === gen.id && isEnd(e), 30_000);
      expect(done.status).toBe('succeeded');
      expect(await ledgerFor(gen.id)).toEqual([
        { reason: 'generation.capture', delta: 0 },
        { reason: 'generation.reserve', delta: -gen.creditCost },
      ]);
    } finally {
      anaBoard.destroy();
      anaBoardSocket.close();
      onB?.close();
    }
  });
});
