/**
 * Fault: the web server holding a live board is SIGKILLed mid-session, between fan-out and commit.
 *
 * Clients on web process A edit a board (random edits, fast-check); some edits are acknowledged
 * (committed), then the database is held so A's next commits wait, and the clients go on editing:
 * each sees the other's edits at once (fan-out from memory) while none of them is acknowledged.
 * A is SIGKILLed; a proxy (standing in for the load balancer) sends the clients' reconnects to
 * web process B. Promised, and checked: every client still has every edit it saw; nothing that
 * was acknowledged is lost; the unacknowledged edits are sent again by the clients and stored
 * (Yjs applies an edit that arrives twice once); all clients and the database converge.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import pg from 'pg';
import { io as ioClient } from 'socket.io-client';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BoardClient } from '../../app/lib/board-client.js';
import { createDb, createPool, type Database } from '../../db/index.js';
import { itemsOf, putItem, setFields } from '../shared/board.js';
import { createTestDatabase, eventually, signUp, startTestServer, trpcClient, type TestServer, type TestUser } from '../testing/harness.js';
import { AUTH_SECRET, killAll, startWebProcess, type WebProc } from '../testing/process.js';
import { startTcpProxy, type TcpProxy } from '../testing/tcp-proxy.js';
import { loadBoardDoc } from './store.js';
import { addMember, snapshotJson, waitForDoc, waitSaved, withDeadline } from '../testing/teams.js';

let databaseUrl: string;
let dataDir: string;
let proxy: TcpProxy;
let front: { url: string; config: TestServer['config'] };
let b: TestServer;
let a: WebProc | undefined;
let owner: TestUser;
let editor: TestUser;
let workspaceId: string;
let db: Database;

beforeAll(async () => {
  databaseUrl = await createTestDatabase(inject('pgAdminUrl'));
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-crash-'));
  // B runs in this process; A is a real child process started per run. The proxy is the address
  // every client knows (BASE_URL of both), as a load balancer's would be.
  proxy = await startTcpProxy({ host: '127.0.0.1', port: 9 });
  const baseUrl = `http://127.0.0.1:${proxy.port}`;
  b = await startTestServer(inject('pgAdminUrl'), { databaseUrl, dataDir, env: { RUN_WORKER: 'false', BASE_URL: baseUrl }, config: { authSecret: AUTH_SECRET } });
  front = { url: baseUrl, config: b.config };
  proxy.retarget({ host: '127.0.0.1', port: b.config.port });
  owner = await signUp(front, 'Ann Owner');
  editor = await signUp(front, 'Bo Editor');
  workspaceId = (await trpcClient(front, owner).workspace.create.mutate({ name: 'Crash team' })).id;
  db = createDb(createPool(databaseUrl, 2));
  await addMember(db, workspaceId, editor.id, 'editor');
});
afterAll(async () => {
  await killAll([a]);
  await b?.stop();
  await db?.destroy();
  await proxy?.close();
});

/** A socket to the front address that reconnects by itself (wherever the proxy sends it). */
function frontSocket(user: TestUser) {
  return ioClient(front.url, {
    path: '/socket.io',
    transports: ['websocket'],
    reconnectionDelay: 200,
    reconnectionDelayMax: 500,
    extraHeaders: { cookie: user.cookie, origin: front.url },
  });
}

type Op = { kind: 'add'; id: number; x: number; text: string } | { kind: 'move'; id: number; x: number; y: number } | { kind: 'text'; id: number; text: string } | { kind: 'delete'; id: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), id: fc.integer({ min: 0, max: 9 }), x: fc.integer({ min: 0, max: 900 }), text: fc.string({ maxLength: 10 }) }),
  fc.record({ kind: fc.constant('move' as const), id: fc.integer({ min: 0, max: 9 }), x: fc.integer({ min: 0, max: 900 }), y: fc.integer({ min: 0, max: 900 }) }),
  fc.record({ kind: fc.constant('text' as const), id: fc.integer({ min: 0, max: 9 }), text: fc.string({ maxLength: 10 }) }),
  fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 0, max: 9 }) }),
);
function apply(doc: Y.Doc, o: Op, c: number) {
  const id = `i${o.id}`;
  doc.transact(() => {
    const exists = itemsOf(doc).has(id);
    if (o.kind === 'add') putItem(doc, { id, type: 'note', x: o.x, y: 0, w: 100, h: 100, z: c, text: o.text });
    else if (o.kind === 'move' && exists) setFields(doc, id, { x: o.x, y: o.y });
    else if (o.kind === 'text' && exists) setFields(doc, id, { text: o.text });
    else if (o.kind === 'delete' && exists) itemsOf(doc).delete(id);
  });
}

describe('a web server killed during a board session', () => {
  it('loses nothing acknowledged; what the clients saw is re-sent to the next server and stored once (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { maxLength: 8 }), { minLength: 2, maxLength: 2 }), fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { minLength: 2, maxLength: 2 }), async (before, during) => {
        // Straight to B: an HTTP keep-alive connection through the proxy may still lead to a killed A.
        const boardId = (await trpcClient(b, owner).board.create.mutate({ workspaceId, name: 'Crash' })).id;
        a = await startWebProcess({ databaseUrl, dataDir, baseUrl: front.url, env: { RUN_WORKER: 'false' } });
        proxy.retarget({ host: '127.0.0.1', port: Number(new URL(a.url).port) });
        const sockets = [frontSocket(owner), frontSocket(editor)];
        const clients = sockets.map((s) => new BoardClient(s as never, boardId));
        const lock = new pg.Client({ connectionString: databaseUrl });
        await lock.connect();
        try {
          await Promise.all(clients.map((c) => c.start()));
          await Promise.all(clients.map((c) => withDeadline(c.synced(), 15_000, 'first sync on A')));
          // Phase 1: edits that are acknowledged (committed) before the crash.
          before.forEach((ops, c) => ops.forEach((o) => apply(clients[c]!.doc, o, c)));
          await Promise.all(clients.map((c) => waitSaved(c, 15_000)));
          // Both were told saved. Each other's edits were sent to them before those commits, but on
          // another connection, so the last of them can arrive just after the acknowledgement that
          // ended the wait: what counts is that they converge, not either one's state at this instant.
          await eventually(async () => snapshotJson(clients[0]!.doc) === snapshotJson(clients[1]!.doc), 10_000);
          const acknowledged = snapshotJson(clients[0]!.doc);
          // Everything both clients were told was saved is in Postgres.
          expect(snapshotJson(await loadBoardDoc(db, boardId))).toBe(acknowledged);

          // Phase 2: A can no longer commit (another transaction holds the table), edits go on.
          await lock.query('begin');
          await lock.query('lock table board_update in exclusive mode');
          during.forEach((ops, c) => ops.forEach((o) => apply(clients[c]!.doc, o, c + 2)));
          // Each client sees the other's edits while none is stored: fan-out from memory.
          await eventually(async () => snapshotJson(clients[0]!.doc) === snapshotJson(clients[1]!.doc), 10_000);
          const seen = snapshotJson(clients[0]!.doc);
          const unsaved = clients.map((c) => c.state.unsaved);
          // Nothing of phase 2 is acknowledged: A could not commit it.
          if (seen !== acknowledged) expect(unsaved.reduce((n, u) => n + u, 0)).toBeGreaterThan(0);

          expect(await a.kill('SIGKILL')).toBe('SIGKILL');
          a = undefined;
          await lock.query('commit'); // A's waiting inserts died with its connections
          proxy.retarget({ host: '127.0.0.1', port: b.config.port });

          // Every client still has everything it saw, and keeps its unacknowledged edits.
          for (const c of clients) expect(snapshotJson(c.doc)).toBe(seen);
          expect(clients.map((c) => c.state.unsaved)).toEqual(unsaved);
          // They reconnect to B, send what B lacks, and are told saved once B stored it.
          await eventually(async () => clients.every((c) => c.state.status === 'synced' && c.state.unsaved === 0), 30_000, 50);
          for (const c of clients) expect(snapshotJson(c.doc)).toBe(seen);
          const stored = await loadBoardDoc(db, boardId);
          expect(snapshotJson(stored)).toBe(seen);
          // A fresh reader on B gets the same board.
          const reader = new BoardClient(frontSocket(owner) as never, boardId);
          await reader.start();
          await withDeadline(reader.synced(), 10_000, 'reader sync on B');
          await waitForDoc(reader.doc, (d) => snapshotJson(d) === seen, 10_000, 'the reader on B');
          reader.destroy();
          reader.socket.close();
        } finally {
          await lock.end().catch(() => undefined);
          clients.forEach((c) => c.destroy());
          sockets.forEach((s) => s.close());
          await killAll([a]);
          a = undefined;
        }
      }),
      // Each run starts a process: report the first failure as it is, without shrinking it.
      { numRuns: 3, endOnFailure: true },
    );
  }, 240_000);
});
