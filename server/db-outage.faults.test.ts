/**
 * Fault: PostgreSQL goes away while everything runs (stopped and started again, or unreachable
 * behind a network that drops packets), and a server is started while it is down. These tests run
 * their own embedded PostgreSQL, which they stop and start on the same port and data directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embedded.js';
import { putItem } from './shared/board.js';
import { connectSocket, createTestDatabase, eventually, signUp, startTestServer, trpcClient, waitForEvent, type TestServer } from './testing/harness.js';
import { startWebProcess, startWorkerProcess, type Proc } from './testing/process.js';
import { startTcpProxy } from './testing/tcp-proxy.js';
import { itemIds, openBoard, waitForDoc, waitSaved } from './testing/teams.js';

const TIMEOUTS = { DB_CONNECT_TIMEOUT_MS: '1000', DB_STATEMENT_TIMEOUT_MS: '1500' };

let dir: string;
let port: number;
let pg: EmbeddedDatabase | null = null;

async function startPg() {
  pg = await startEmbeddedPostgres({ dir: path.join(dir, 'data'), port, database: 'postgres', persistent: true, fsync: false });
  // Same port every time: the running processes reconnect to the address they were given.
  expect(Number(new URL(pg.url).port)).toBe(port);
  return pg;
}
async function stopPg() {
  await pg?.stop();
  pg = null;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-outage-'));
  fs.chmodSync(dir, 0o755);
  port = await freePort();
  await startPg();
});
afterAll(async () => {
  await stopPg();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** GET /readyz with its answer time. */
async function ready(url: string) {
  const t0 = Date.now();
  const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(10_000) });
  await res.arrayBuffer();
  return { status: res.status, ms: Date.now() - t0 };
}

const note = (doc: Y.Doc, id: string, text: string) => putItem(doc, { id, type: 'note', x: 0, y: 0, w: 100, h: 100, text } as never);

describe('PostgreSQL stopped and started under running servers', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const databaseUrl = await createTestDatabase(pg!.url);
    a = await startTestServer(pg!.url, { databaseUrl, env: { ...TIMEOUTS } });
    b = await startTestServer(pg!.url, { databaseUrl, env: { RUN_WORKER: 'false', ...TIMEOUTS } });
  });
  afterAll(async () => {
    if (!pg) await startPg();
    await a?.stop();
    await b?.stop();
  });

  it('/readyz says 503 within 2 s and 200 once it is back; jobs run, boards sync again, nothing hangs', async () => {
    const user = await signUp(a);
    const socket = await connectSocket(a, user);
    const me = await trpcClient(a, user).me.get.query();
    const workspaceId = me!.workspaces[0]!.id;
    const boardId = (await trpcClient(a, user).board.create.mutate({ workspaceId, name: 'Outage board' })).id;
    const onA = await openBoard(a, user, boardId);
    const onB = await openBoard(b, user, boardId);
    note(onB.client.doc, 'before', 'written before the outage');
    await waitSaved(onB.client);
    await waitForDoc(onA.client.doc, (d) => itemIds(d).includes('before'), 10_000, 'the edit before the outage');
    expect((await ready(a.url)).status).toBe(200);

    await stopPg();
    const downAt = Date.now();
    // Each answer comes within 2 s, and the first 503 within 2 s of the database going away.
    const first = await eventually(async () => {
      const r = await ready(a.url);
      expect(r.ms).toBeLessThan(2000);
      return r.status === 503 ? r : null;
    }, 5_000, 100);
    expect(first.status).toBe(503);
    expect(Date.now() - downAt).toBeLessThan(2000 + first.ms);
    // A request that needs the database fails within the connect timeout instead of hanging.
    const t0 = Date.now();
    await expect(trpcClient(a, user).generation.list.query({ workspaceId })).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(3000);
    // Down for longer than every reconnect delay, so the listeners' first retries fail too.
    for (let i = 0; i < 8; i++) expect((await ready(a.url)).status).toBe(503), await new Promise((r) => setTimeout(r, 500));

    await startPg();
    await eventually(async () => (await ready(a.url)).status === 200, 20_000, 200);
    await eventually(async () => (await ready(b.url)).status === 200, 20_000, 200);

    // A job queued after the restart runs on the worker that lived through the outage, and the browser hears it.
    const gen = await eventually(() => trpcClient(a, user).generation.create.mutate({ prompt: 'after the outage', workspaceId }), 10_000, 250);
    await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded', 30_000);

    // Boards: an edit on one process reaches the other again (its listener reconnected, and caught up).
    note(onB.client.doc, 'after', 'written after the outage');
    await waitForDoc(onA.client.doc, (d) => itemIds(d).includes('after'), 15_000, 'the edit after the outage, on the other process');
    note(onA.client.doc, 'back', 'and the other way');
    await waitForDoc(onB.client.doc, (d) => itemIds(d).includes('back'), 15_000, 'the edit from A, on B');
    onA.close();
    onB.close();
    socket.close();
  });
});

describe('PostgreSQL unreachable (packets dropped, nothing refused)', () => {
  it('/readyz says 503 within 2 s and requests end within the statement timeout; all is well once it answers again', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port });
    const databaseUrl = await createTestDatabase(pg!.url);
    const srv = await startTestServer(pg!.url, { databaseUrl: proxy.url(databaseUrl), env: { ...TIMEOUTS } });
    try {
      const user = await signUp(srv);
      const me = await trpcClient(srv, user).me.get.query();
      const workspaceId = me!.workspaces[0]!.id;
      expect((await ready(srv.url)).status).toBe(200);

      proxy.blackhole();
      const r = await ready(srv.url);
      expect(r.status).toBe(503);
      expect(r.ms).toBeLessThan(2000);
      const t0 = Date.now();
      await expect(trpcClient(srv, user).generation.list.query({ workspaceId })).rejects.toThrow();
      // DB_STATEMENT_TIMEOUT_MS=1500 (+1 s for the client to give up on a silent server)
      expect(Date.now() - t0).toBeLessThan(4000);

      proxy.restore();
      await eventually(async () => (await ready(srv.url)).status === 200, 20_000, 200);
      const list = await eventually(() => trpcClient(srv, user).generation.list.query({ workspaceId }), 10_000, 200);
      expect(list.items).toEqual([]);
    } finally {
      proxy.restore();
      await srv.stop();
      await proxy.close();
    }
  });
});

describe('a server or worker started while PostgreSQL is down', () => {
  it('retries with backoff, saying why, and starts once the database is there', async () => {
    const databaseUrl = await createTestDatabase(pg!.url);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-outage-web-'));
    await stopPg();
    let web: Awaited<ReturnType<typeof startWebProcess>> | undefined;
    let worker: Proc | undefined;
    try {
      web = await startWebProcess({ databaseUrl, dataDir, wait: false, env: { DB_STARTUP_RETRY_SECONDS: '120', ...TIMEOUTS } });
      worker = await startWorkerProcess({ databaseUrl, dataDir, wait: false, env: { DB_STARTUP_RETRY_SECONDS: '120', ...TIMEOUTS } });
      await web.waitForOutput(/database not reachable, retrying.*"attempt":3/, 60_000);
      await worker.waitForOutput(/database not reachable, retrying.*"attempt":3/, 60_000);
      expect(web.output()).toMatch(/ECONNREFUSED/);
      await startPg();
      await web.waitForOutput(/"msg":"Flux Klein is ready"/, 60_000);
      await worker.waitForOutput(/"msg":"worker ready"/, 60_000);
      expect((await ready((web as Awaited<ReturnType<typeof startWebProcess>>).url)).status).toBe(200);
    } finally {
      if (!pg) await startPg();
      await web?.kill('SIGKILL');
      await worker?.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('gives up after DB_STARTUP_RETRY_SECONDS and exits non-zero, naming the reason', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-outage-web-'));
    const nowhere = `postgres://postgres:x@127.0.0.1:${await freePort()}/nothing`;
    try {
      const t0 = Date.now();
      const web = await startWebProcess({ databaseUrl: nowhere, dataDir, wait: false, env: { DB_STARTUP_RETRY_SECONDS: '3', ...TIMEOUTS } });
      expect(await web.exited).toBe(1);
      expect(Date.now() - t0).toBeGreaterThan(3000);
      expect(web.output()).toMatch(/database not reachable, retrying/);
      expect(web.output()).toMatch(/gave up after 3 s \(DB_STARTUP_RETRY_SECONDS\)/);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
