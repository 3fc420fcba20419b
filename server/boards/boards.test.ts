import { spawn, type ChildProcess } from 'node:child_process';
import fc from 'fast-check';
import pg from 'pg';
import { sql } from 'kysely';
import * as encoding from 'lib0/encoding';
import { Awareness, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BoardClient } from '../../app/lib/board-client.js';
import { itemsOf, putItem, readItems, setFields } from '../shared/board.js';
import { connectSocket, createTestDatabase, eventually, signUp, startTestServer, trpcClient, waitForEvent, type TestServer, type TestUser } from '../testing/harness.js';
import { pruneLiveBoards, registerLiveBoards, unregisterLiveBoards } from './bus.js';
import { loadBoardDoc } from './store.js';
import { addMember, itemIds, openBoard, snapshotJson, waitForDoc, waitSaved } from '../testing/teams.js';

let server: TestServer;
let owner: TestUser;
let editor: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let workspaceId: string;

beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'));
  owner = await signUp(server, 'Olivia Owner');
  editor = await signUp(server, 'Eddie Editor');
  viewer = await signUp(server, 'Vera Viewer');
  outsider = await signUp(server, 'Oscar Outsider');
  workspaceId = (await trpcClient(server, owner).workspace.create.mutate({ name: 'Board team' })).id;
  await addMember(server.deps.db, workspaceId, editor.id, 'editor');
  await addMember(server.deps.db, workspaceId, viewer.id, 'viewer');
});
afterAll(async () => {
  await server?.stop();
});

const newBoard = async (name = 'Board') => (await trpcClient(server, owner).board.create.mutate({ workspaceId, name })).id;
const storedUpdates = async (boardId: string) => Number((await sql<{ n: number }>`select count(*)::int as n from board_update where board_id = ${boardId}`.execute(server.deps.db)).rows[0]!.n);
const note = (doc: Y.Doc, id: string, text: string, x = 10, y = 10) => doc.transact(() => void putItem(doc, { id, type: 'note', x, y, w: 160, h: 120, z: 1, text }));

describe('board access', () => {
  it('refuses a non-member (NOT_FOUND, as for a board that does not exist)', async () => {
    const boardId = await newBoard();
    const b = await openBoard(server, outsider, boardId, { wait: false });
    expect(b.join).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    // Sync messages without a join are refused too, and nothing is stored.
    const enc = encoding.createEncoder();
    const d = new Y.Doc();
    note(d, 'n1', 'sneaky');
    syncProtocol.writeUpdate(enc, Y.encodeStateAsUpdate(d));
    expect(await b.client.sendRaw(encoding.toUint8Array(enc))).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await storedUpdates(boardId)).toBe(0);
    b.close();
  });

  it('lets a viewer receive but refuses their updates with BOARD_READ_ONLY; nothing stored, others untouched', async () => {
    const boardId = await newBoard();
    const ed = await openBoard(server, editor, boardId);
    const vw = await openBoard(server, viewer, boardId);
    expect(vw.join).toMatchObject({ ok: true, readOnly: true, role: 'viewer' });
    note(ed.client.doc, 'n1', 'from the editor');
    await waitForDoc(vw.client.doc, (d) => itemIds(d).includes('n1'));
    await waitSaved(ed.client); // seen by others first (fan-out from memory), stored a moment later
    const before = await storedUpdates(boardId);
    // A viewer that sends anyway (a modified client) is refused.
    const d = new Y.Doc();
    note(d, 'v1', 'from the viewer');
    const enc = encoding.createEncoder();
    syncProtocol.writeUpdate(enc, Y.encodeStateAsUpdate(d));
    expect(await vw.client.sendRaw(encoding.toUint8Array(enc))).toMatchObject({ ok: false, code: 'BOARD_READ_ONLY' });
    await waitForEvent(vw.socket, 'board:error', (e) => e.code === 'BOARD_READ_ONLY');
    expect(await storedUpdates(boardId)).toBe(before);
    expect(itemIds(ed.client.doc)).toEqual(['n1']);
    expect(itemIds(await loadBoardDoc(server.deps.db, boardId))).toEqual(['n1']);
    ed.close();
    vw.close();
  });

  it('a viewer promoted to editor can edit the open board at once, without reloading; demoted again, is refused', async () => {
    const boardId = await newBoard();
    const promoted = await signUp(server, 'Petra Promoted');
    await addMember(server.deps.db, workspaceId, promoted.id, 'viewer');
    const ed = await openBoard(server, editor, boardId);
    const p = await openBoard(server, promoted, boardId);
    expect(p.client.state).toMatchObject({ readOnly: true, role: 'viewer' });
    await trpcClient(server, owner).workspace.setRole.mutate({ workspaceId, userId: promoted.id, role: 'editor' });
    await eventually(async () => p.client.state.readOnly === false && p.client.state.role === 'editor', 5_000);
    note(p.client.doc, 'p1', 'now I can');
    await waitSaved(p.client);
    await waitForDoc(ed.client.doc, (d) => itemIds(d).includes('p1'));
    expect(itemIds(await loadBoardDoc(server.deps.db, boardId))).toContain('p1');
    await trpcClient(server, owner).workspace.setRole.mutate({ workspaceId, userId: promoted.id, role: 'viewer' });
    await eventually(async () => p.client.state.readOnly === true, 5_000);
    const before = await storedUpdates(boardId);
    const enc = encoding.createEncoder();
    const d = new Y.Doc();
    note(d, 'p2', 'not any more');
    syncProtocol.writeUpdate(enc, Y.encodeStateAsUpdate(d));
    expect(await p.client.sendRaw(encoding.toUint8Array(enc))).toMatchObject({ ok: false, code: 'BOARD_READ_ONLY' });
    expect(await storedUpdates(boardId)).toBe(before);
    ed.close();
    p.close();
  });

  it('disconnects a removed member from the board at once; their later updates are refused', async () => {
    const member = await signUp(server, 'Remy Removed');
    await addMember(server.deps.db, workspaceId, member.id, 'editor');
    const boardId = await newBoard();
    const m = await openBoard(server, member, boardId);
    const other = await openBoard(server, owner, boardId);
    note(m.client.doc, 'before', 'while a member');
    await waitForDoc(other.client.doc, (d) => itemIds(d).includes('before'));
    await trpcClient(server, owner).workspace.removeMember.mutate({ workspaceId, userId: member.id });
    await waitForEvent(m.socket, 'board:error', (e) => e.boardId === boardId && e.code === 'BOARD_ACCESS_REVOKED');
    expect(m.client.state.status).toBe('closed');
    const before = await storedUpdates(boardId);
    const d = new Y.Doc();
    note(d, 'after', 'after removal');
    const enc = encoding.createEncoder();
    syncProtocol.writeUpdate(enc, Y.encodeStateAsUpdate(d));
    expect(await m.client.sendRaw(encoding.toUint8Array(enc))).toMatchObject({ ok: false });
    expect(await storedUpdates(boardId)).toBe(before);
    // Nor does a new join work.
    expect((await openBoard(server, member, boardId, { socket: m.socket, wait: false })).join).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(itemIds(other.client.doc)).toEqual(['before']);
    m.close();
    other.close();
  });
});

describe('refusing bad updates', () => {
  it('refuses malformed and oversized updates to that client only; the document and the others are untouched', async () => {
    const boardId = await newBoard();
    const a = await openBoard(server, editor, boardId);
    const b = await openBoard(server, owner, boardId);
    note(a.client.doc, 'ok1', 'fine');
    await waitForDoc(b.client.doc, (d) => itemIds(d).includes('ok1'));
    await waitSaved(a.client);
    const before = { stored: await storedUpdates(boardId), doc: snapshotJson(b.client.doc) };
    let othersGotSomething = false;
    b.socket.on('board:sync', () => (othersGotSomething = true));

    // Garbage bytes, a truncated message, an update message whose payload is not a Yjs update, an unknown type.
    const garbageUpdate = (() => {
      const enc = encoding.createEncoder();
      syncProtocol.writeUpdate(enc, new Uint8Array([255, 255, 255, 255, 7, 1, 2, 3, 4, 5]));
      return encoding.toUint8Array(enc);
    })();
    for (const bad of [new Uint8Array([2]), new Uint8Array([2, 200, 1]), garbageUpdate, new Uint8Array([9, 1, 0])]) {
      expect(await a.client.sendRaw(bad)).toMatchObject({ ok: false, code: 'BOARD_UPDATE_MALFORMED' });
    }
    // Oversized: a real update larger than BOARD_MAX_UPDATE_BYTES (32 KiB) but under the transport cap.
    const big = new Y.Doc();
    note(big, 'huge', 'x'.repeat(40_000));
    const enc = encoding.createEncoder();
    syncProtocol.writeUpdate(enc, Y.encodeStateAsUpdate(big));
    expect(await a.client.sendRaw(encoding.toUint8Array(enc))).toMatchObject({ ok: false, code: 'BOARD_UPDATE_TOO_LARGE' });
    await waitForEvent(a.socket, 'board:error', (e) => e.code === 'BOARD_UPDATE_TOO_LARGE');

    expect(await storedUpdates(boardId)).toBe(before.stored);
    expect(snapshotJson(b.client.doc)).toBe(before.doc);
    expect(othersGotSomething).toBe(false);
    // The sender is still connected and its next valid change goes through.
    expect(a.socket.connected).toBe(true);
    note(a.client.doc, 'ok2', 'still fine');
    await waitForDoc(b.client.doc, (d) => itemIds(d).includes('ok2'));
    await waitSaved(a.client);
    expect(itemIds(await loadBoardDoc(server.deps.db, boardId))).toEqual(['ok1', 'ok2']);
    a.close();
    b.close();
  });

  it('limits updates per second per socket', async () => {
    const boardId = await newBoard();
    const a = await openBoard(server, editor, boardId);
    const d = new Y.Doc();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const before = Y.encodeStateVector(d);
        note(d, `r${i}`, 'spam');
        const enc = encoding.createEncoder();
        syncProtocol.writeUpdate(enc, Y.encodeStateAsUpdate(d, before));
        return a.client.sendRaw(encoding.toUint8Array(enc));
      }),
    );
    const refused = results.filter((r) => !r.ok).map((r) => (r as { code: string }).code);
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused)).toEqual(new Set(['RATE_LIMITED']));
    expect(await storedUpdates(boardId)).toBe(results.filter((r) => r.ok).length);
    a.close();
  });
});

describe('persistence and merging', () => {
  it('keeps everything acknowledged across a server restart (and compacts on shutdown)', async () => {
    const databaseUrl = await createTestDatabase(inject('pgAdminUrl'));
    const first = await startTestServer(inject('pgAdminUrl'), { databaseUrl });
    const u = await signUp(first, 'Persistent Pat');
    const ws = (await trpcClient(first, u).workspace.create.mutate({ name: 'Keep' })).id;
    const boardId = (await trpcClient(first, u).board.create.mutate({ workspaceId: ws, name: 'Kept' })).id;
    const a = await openBoard(first, u, boardId);
    for (let i = 0; i < 20; i++) note(a.client.doc, `n${i}`, `note ${i}`, i * 10, i * 5);
    a.client.doc.transact(() => setFields(a.client.doc, 'n3', { x: 999, text: 'moved' }));
    a.client.doc.transact(() => itemsOf(a.client.doc).delete('n7'));
    await waitSaved(a.client);
    const expected = snapshotJson(a.client.doc);
    a.close();
    await first.stop();

    const snap = await startTestServer(inject('pgAdminUrl'), { databaseUrl, config: {} });
    try {
      const rows = await sql<{ n: number }>`select count(*)::int as n from board_snapshot where board_id = ${boardId}`.execute(snap.deps.db);
      expect(rows.rows[0]!.n).toBe(1);
      expect(await sql<{ n: number }>`select count(*)::int as n from board_update where board_id = ${boardId}`.execute(snap.deps.db).then((r) => r.rows[0]!.n)).toBe(0);
      const again = await openBoard(snap, u, boardId);
      expect(snapshotJson(again.client.doc)).toBe(expected);
      expect(itemIds(again.client.doc)).not.toContain('n7');
      again.close();
    } finally {
      await snap.stop();
    }
  });

  it('merges edits made offline when the client reconnects', async () => {
    const boardId = await newBoard();
    const a = await openBoard(server, editor, boardId);
    const b = await openBoard(server, owner, boardId);
    note(a.client.doc, 'shared', 'both see this');
    await waitForDoc(b.client.doc, (d) => itemIds(d).includes('shared'));
    a.socket.disconnect();
    note(a.client.doc, 'offline-a', 'written on a train');
    a.client.doc.transact(() => setFields(a.client.doc, 'shared', { x: 500 }));
    note(b.client.doc, 'online-b', 'written meanwhile');
    await waitSaved(b.client);
    a.socket.connect();
    await waitForDoc(a.client.doc, (d) => itemIds(d).includes('online-b'), 10_000, 'b’s edit on a');
    await waitForDoc(b.client.doc, (d) => itemIds(d).includes('offline-a') && readItems(d).find((i) => i.id === 'shared')?.x === 500, 10_000, 'a’s offline edits on b');
    await waitSaved(a.client);
    expect(snapshotJson(a.client.doc)).toBe(snapshotJson(b.client.doc));
    expect(snapshotJson(await loadBoardDoc(server.deps.db, boardId))).toBe(snapshotJson(a.client.doc));
    a.close();
    b.close();
  });

  it('sends edits made offline that are larger than one message in parts; all arrive and are stored', async () => {
    const boardId = await newBoard();
    const a = await openBoard(server, editor, boardId);
    const b = await openBoard(server, owner, boardId);
    a.socket.disconnect();
    const text = 'offline '.repeat(80); // 640 characters a note: about 100 KB in all, over three times one message
    a.client.doc.transact(() => {
      for (let i = 0; i < 150; i++) putItem(a.client.doc, { id: `big-${i}`, type: 'note', x: i, y: i, w: 160, h: 120, z: i, text: `${i} ${text}` });
    });
    expect(Y.encodeStateAsUpdate(a.client.doc).byteLength).toBeGreaterThan(3 * server.config.boards.maxUpdateBytes);
    a.socket.connect();
    await waitForDoc(b.client.doc, (d) => itemIds(d).filter((id) => id.startsWith('big-')).length === 150, 15_000, 'the offline notes on b');
    await waitSaved(a.client);
    expect(a.client.state.error).toBeNull();
    expect(readItems(await loadBoardDoc(server.deps.db, boardId)).filter((i) => i.id.startsWith('big-'))).toHaveLength(150);
    a.close();
    b.close();
  });

  it('refuses parts out of order, and a message in parts larger than BOARD_MAX_SYNC_BYTES; nothing stored', async () => {
    const boardId = await newBoard();
    const a = await openBoard(server, editor, boardId);
    const part = (id: string, index: number, total: number, bytes: Uint8Array) =>
      new Promise<{ ok: boolean; code?: string }>((resolve) => a.socket.emit('board:sync-part', boardId, { id, index, total }, bytes, resolve));
    const chunk = new Uint8Array(server.config.boards.maxUpdateBytes).fill(1);
    expect(await part('x', 1, 3, chunk)).toMatchObject({ ok: false, code: 'BOARD_UPDATE_MALFORMED' });
    expect(await part('y', 0, 3, chunk)).toMatchObject({ ok: true });
    expect(await part('y', 2, 3, chunk)).toMatchObject({ ok: false, code: 'BOARD_UPDATE_MALFORMED' });
    expect(await part('z', 0, 1, chunk)).toMatchObject({ ok: false, code: 'BOARD_UPDATE_MALFORMED' });
    expect(await part('big', 0, 2, new Uint8Array(server.config.boards.maxUpdateBytes + 100))).toMatchObject({ ok: false, code: 'BOARD_UPDATE_TOO_LARGE' });
    const count = Math.ceil(server.config.boards.maxSyncBytes / chunk.byteLength) + 2;
    let last: { ok: boolean; code?: string } = { ok: true };
    for (let i = 0; i < count && last.ok; i++) last = await part('huge', i, count, chunk);
    expect(last).toMatchObject({ ok: false, code: 'BOARD_UPDATE_TOO_LARGE' });
    // Parts that assemble into garbage are refused as malformed once complete.
    expect(await part('junk', 0, 2, chunk)).toMatchObject({ ok: true });
    expect(await part('junk', 1, 2, chunk)).toMatchObject({ ok: false, code: 'BOARD_UPDATE_MALFORMED' });
    expect(await storedUpdates(boardId)).toBe(0);
    a.close();
  });

  it('three clients making random concurrent edits converge, and the stored board equals them (fast-check)', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), id: fc.integer({ min: 0, max: 7 }), x: fc.integer({ min: 0, max: 900 }), text: fc.string({ maxLength: 12 }) }),
      fc.record({ kind: fc.constant('move' as const), id: fc.integer({ min: 0, max: 7 }), x: fc.integer({ min: 0, max: 900 }), y: fc.integer({ min: 0, max: 900 }) }),
      fc.record({ kind: fc.constant('text' as const), id: fc.integer({ min: 0, max: 7 }), text: fc.string({ maxLength: 12 }) }),
      fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 0, max: 7 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { maxLength: 12 }), { minLength: 3, maxLength: 3 }), async (scripts) => {
        const boardId = await newBoard('Random');
        const clients = await Promise.all([owner, editor, owner].map((u) => openBoard(server, u, boardId)));
        try {
          // Interleave the three scripts without waiting for each other: edits cross on the wire.
          await Promise.all(
            scripts.map(async (ops, c) => {
              const doc = clients[c]!.client.doc;
              for (const o of ops) {
                const id = `i${o.id}`;
                doc.transact(() => {
                  const exists = itemsOf(doc).has(id);
                  if (o.kind === 'add') putItem(doc, { id, type: 'note', x: o.x, y: 0, w: 100, h: 100, z: c, text: o.text });
                  else if (o.kind === 'move' && exists) setFields(doc, id, { x: o.x, y: o.y });
                  else if (o.kind === 'text' && exists) setFields(doc, id, { text: o.text });
                  else if (o.kind === 'delete' && exists) itemsOf(doc).delete(id);
                });
                await Promise.resolve();
              }
            }),
          );
          await Promise.all(clients.map((c) => waitSaved(c.client)));
          await eventually(async () => new Set(clients.map((c) => snapshotJson(c.client.doc))).size === 1, 10_000, 10);
          expect(snapshotJson(await loadBoardDoc(server.deps.db, boardId))).toBe(snapshotJson(clients[0]!.client.doc));
        } finally {
          clients.forEach((c) => c.close());
        }
      }),
      { numRuns: 8 },
    );
  });
});

describe('several processes', () => {
  it('two clients on two server instances edit one board and converge', async () => {
    const databaseUrl = await createTestDatabase(inject('pgAdminUrl'));
    const one = await startTestServer(inject('pgAdminUrl'), { databaseUrl });
    const two = await startTestServer(inject('pgAdminUrl'), { databaseUrl });
    try {
      const u = await signUp(one, 'Ana');
      const v = await signUp(two, 'Ben');
      const ws = (await trpcClient(one, u).workspace.create.mutate({ name: 'Two nodes' })).id;
      await addMember(one.deps.db, ws, v.id, 'editor');
      const boardId = (await trpcClient(one, u).board.create.mutate({ workspaceId: ws, name: 'Shared' })).id;
      const a = await openBoard(one, u, boardId);
      const b = await openBoard(two, v, boardId);
      note(a.client.doc, 'from-one', 'on process one');
      note(b.client.doc, 'from-two', 'on process two');
      for (let i = 0; i < 10; i++) {
        a.client.doc.transact(() => setFields(a.client.doc, 'from-one', { x: i }));
        b.client.doc.transact(() => void putItem(b.client.doc, { id: `b${i}`, type: 'note', x: i, y: i, w: 50, h: 50, z: i, text: String(i) }));
      }
      await waitForDoc(a.client.doc, (d) => itemIds(d).length === 12, 10_000, 'b’s edits on process one');
      await waitForDoc(b.client.doc, (d) => itemIds(d).includes('from-one') && readItems(d).find((x) => x.id === 'from-one')?.x === 9, 10_000, 'a’s edits on process two');
      await eventually(async () => snapshotJson(a.client.doc) === snapshotJson(b.client.doc));
      // Presence crosses processes too.
      a.client.awareness.setLocalStateField('cursor', { x: 1, y: 2 });
      await eventually(async () => [...b.client.awareness.getStates().values()].some((s) => (s as { user?: { name?: string } }).user?.name === 'Ana'));
      // Someone joining later on process two sees Ana's cursor at once, though Ana sent nothing since.
      const c = await openBoard(two, v, boardId);
      await eventually(async () => presentNames(c.client).includes('Ana'), 5_000);
      expect((c.client.awareness.getStates().get(a.client.doc.clientID) as { cursor?: unknown }).cursor).toEqual({ x: 1, y: 2 });
      // Ana leaves: her presence goes from process two as well.
      a.close();
      await eventually(async () => !presentNames(b.client).includes('Ana') && !presentNames(c.client).includes('Ana'), 5_000);
      b.close();
      c.close();
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
  });

  it('announces board changes on the channel only while another process holds the board', async () => {
    const boardId = await newBoard();
    const heard: string[] = [];
    const listener = new pg.Client({ connectionString: server.config.databaseUrl! });
    await listener.connect();
    listener.on('notification', (n) => {
      const m = JSON.parse(n.payload ?? '{}') as { k?: string; b?: string };
      if (m.b === boardId) heard.push(m.k ?? '?');
    });
    await listener.query(`listen fk_board`);
    try {
      const a = await openBoard(server, editor, boardId);
      const b = await openBoard(server, owner, boardId);
      a.client.awareness.setLocalStateField('cursor', { x: 1, y: 1 });
      note(a.client.doc, 'alone', 'only this process has the board');
      await waitForDoc(b.client.doc, (d) => itemIds(d).includes('alone'));
      await waitSaved(a.client);
      await new Promise((r) => setTimeout(r, 300));
      expect(heard).toEqual([]); // one process: nobody to tell
      // Another process takes the board live: from then on changes are announced.
      await registerLiveBoards(server.deps.db, 'another-process', [boardId]);
      note(a.client.doc, 'told', 'now someone else holds it');
      a.client.awareness.setLocalStateField('cursor', { x: 2, y: 2 });
      await eventually(async () => heard.includes('u') && heard.includes('a'), 5_000);
      await unregisterLiveBoards(server.deps.db, 'another-process');
      // A process that ended without releasing its claim: ignored once expired, then pruned.
      await server.deps.db.insertInto('board_live').values({ board_id: boardId, origin: 'dead-process', expires_at: new Date(Date.now() - 1000) }).execute();
      heard.length = 0;
      note(a.client.doc, 'after', 'the dead process is not told');
      await waitSaved(a.client);
      await new Promise((r) => setTimeout(r, 300));
      expect(heard).toEqual([]);
      expect(await pruneLiveBoards(server.deps.db)).toBeGreaterThanOrEqual(1);
      expect(await server.deps.db.selectFrom('board_live').select('origin').where('origin', '=', 'dead-process').execute()).toEqual([]);
      a.close();
      b.close();
    } finally {
      await listener.end();
    }
  });

  it('a change stored just as the board was opened, and never announced, still arrives (catch-up read)', async () => {
    const boardId = await newBoard();
    // Another process holds the board, and its statement began before this process claimed it:
    // stored, not announced.
    await registerLiveBoards(server.deps.db, 'writing-process', [boardId]);
    const a = await openBoard(server, editor, boardId);
    const other = new Y.Doc();
    note(other, 'late', 'committed after the load');
    await server.deps.db.insertInto('board_update').values({ board_id: boardId, update: Y.encodeStateAsUpdate(other), user_id: owner.id }).execute();
    await waitForDoc(a.client.doc, (d) => itemIds(d).includes('late'), 5_000, 'the unannounced change');
    await unregisterLiveBoards(server.deps.db, 'writing-process');
    a.close();
  });

  it('a generation started from a board lands on it, written by a separate worker; the browser on the web process is notified', async () => {
    const databaseUrl = await createTestDatabase(inject('pgAdminUrl'));
    const web = await startTestServer(inject('pgAdminUrl'), { databaseUrl, env: { RUN_WORKER: 'false' } });
    let worker: ChildProcess | undefined;
    try {
      const u = await signUp(web, 'Gena');
      const me = await trpcClient(web, u).me.get.query();
      const personal = me!.workspaces[0]!.id;
      const boardId = (await trpcClient(web, u).board.create.mutate({ workspaceId: personal, name: 'Gen board' })).id;
      const a = await openBoard(web, u, boardId);
      const gen = await trpcClient(web, u).generation.create.mutate({ prompt: 'a lighthouse', workspaceId: personal, boardId });
      // The placeholder appears at once (queued), before any worker runs.
      await waitForDoc(a.client.doc, (d) => readItems(d).some((i) => i.generationId === gen.id && i.type === 'placeholder'), 10_000, 'placeholder');

      const child = spawn(process.execPath, ['--import', 'tsx', 'jobs/worker-main.ts'], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databaseUrl, DATA_DIR: web.dataDir, LOG_LEVEL: 'warn', LOCAL_PROVIDER_STEP_MS: '5' } as unknown as NodeJS.ProcessEnv,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      worker = child;
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += String(d)));
      const n = await waitForEvent(a.socket, 'notification:new', (x) => x.kind === 'job_succeeded', 30_000).catch((err) => {
        throw new Error(`${err}\nworker stderr:\n${stderr}`);
      });
      expect(n.link).toBe(`/boards/${boardId}`);
      await waitForDoc(a.client.doc, (d) => readItems(d).some((i) => i.generationId === gen.id && i.type === 'image' && Boolean(i.assetId)), 10_000, 'result on the board');
      const item = readItems(a.client.doc).find((i) => i.generationId === gen.id)!;
      expect((await fetch(`${web.url}${item.url}`, { headers: { cookie: u.cookie } })).status).toBe(200);
      // Stored for everyone who opens the board later.
      expect(readItems(await loadBoardDoc(web.deps.db, boardId)).find((i) => i.generationId === gen.id)?.type).toBe('image');
      a.close();
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (worker && worker.exitCode === null) worker.kill('SIGKILL');
      await web.stop();
    }
  }, 60_000);
});

const presentNames = (c: BoardClient) => [...c.awareness.getStates().values()].map((s) => (s as { user?: { name?: string } }).user?.name).filter(Boolean) as string[];

describe('presence', () => {
  it('a join costs each peer one presence message, not a round of re-sends from everyone', async () => {
    const boardId = await newBoard();
    const first = await openBoard(server, editor, boardId);
    let received = 0;
    first.socket.on('board:awareness', (id) => void (id === boardId && received++));
    first.client.awareness.setLocalStateField('cursor', { x: 0, y: 0 });
    const others: Awaited<ReturnType<typeof openBoard>>[] = [];
    const K = 8;
    for (let i = 1; i < K; i++) {
      const o = await openBoard(server, editor, boardId);
      o.client.awareness.setLocalStateField('cursor', { x: i, y: i });
      others.push(o);
      // Each newcomer sees everyone who came before, from the server, without asking them.
      await eventually(async () => o.client.awareness.getStates().size === i + 1, 5_000);
    }
    await eventually(async () => first.client.awareness.getStates().size === K, 5_000);
    await new Promise((r) => setTimeout(r, 200)); // anything still on its way
    // One message per newcomer's cursor (the old protocol asked every client to re-send on each join: K²/2).
    expect(received).toBe(K - 1);
    others.forEach((o) => o.close());
    await eventually(async () => first.client.awareness.getStates().size === 1, 5_000);
    first.close();
  });

  it('states who a cursor belongs to: a client can neither appear as someone else nor move or remove their cursor', async () => {
    const boardId = await newBoard();
    const a = await openBoard(server, editor, boardId);
    const b = await openBoard(server, owner, boardId);
    a.client.awareness.setLocalStateField('user', { id: owner.id, name: 'Olivia Owner', color: '#000' });
    await eventually(async () => {
      const s = b.client.awareness.getStates().get(a.client.doc.clientID) as { user?: { id: string; name: string } } | undefined;
      return s?.user?.id === editor.id && s.user.name === 'Eddie Editor';
    }, 5_000);
    // b sends a state under a's client id, with a newer clock: refused, a's cursor stays a's.
    a.client.awareness.setLocalStateField('cursor', { x: 5, y: 5 });
    const c = await openBoard(server, viewer, boardId);
    const cursorOfA = () => (c.client.awareness.getStates().get(a.client.doc.clientID) as { cursor?: unknown } | undefined)?.cursor;
    await eventually(async () => JSON.stringify(cursorOfA()) === JSON.stringify({ x: 5, y: 5 }), 5_000);
    const fakeDoc = new Y.Doc();
    fakeDoc.clientID = a.client.doc.clientID;
    const fake = new Awareness(fakeDoc);
    for (let i = 0; i < 20; i++) fake.setLocalState({ cursor: { x: 999, y: i } });
    b.socket.emit('board:awareness', boardId, encodeAwarenessUpdate(fake, [fakeDoc.clientID]));
    removeAwarenessStates(fake, [fakeDoc.clientID], 'test');
    b.socket.emit('board:awareness', boardId, encodeAwarenessUpdate(fake, [fakeDoc.clientID]));
    await new Promise((r) => setTimeout(r, 300));
    expect(cursorOfA()).toEqual({ x: 5, y: 5 });
    fake.destroy();
    a.close();
    b.close();
    c.close();
  });
});

describe('presence across reconnects', () => {
  it('a tab that reconnects before its old connection is gone keeps its cursor when the old one ends', async () => {
    const boardId = await newBoard();
    const watcher = await openBoard(server, owner, boardId);
    const first = await openBoard(server, editor, boardId);
    first.client.awareness.setLocalStateField('cursor', { x: 1, y: 1 });
    const id = first.client.doc.clientID;
    const cursor = () => (watcher.client.awareness.getStates().get(id) as { cursor?: unknown } | undefined)?.cursor;
    await eventually(async () => JSON.stringify(cursor()) === JSON.stringify({ x: 1, y: 1 }), 5_000);
    // The same tab (same document, same client id) on a new connection, the old one not yet closed.
    const socket = await connectSocket(server, editor);
    const again = new BoardClient(socket as never, boardId, { doc: first.client.doc });
    await again.start();
    again.awareness.setLocalState({ cursor: { x: 2, y: 2 } });
    again.awareness.setLocalState({ cursor: { x: 3, y: 3 } });
    await eventually(async () => JSON.stringify(cursor()) === JSON.stringify({ x: 3, y: 3 }), 5_000);
    first.socket.close(); // the old connection ends: the cursor stays, it belongs to the new one now
    await new Promise((r) => setTimeout(r, 300));
    expect(cursor()).toEqual({ x: 3, y: 3 });
    again.destroy();
    socket.close();
    await eventually(async () => cursor() === undefined, 5_000);
    watcher.close();
  });
});

describe('BoardClient', () => {
  it('reports unsaved changes until the server stored them', async () => {
    const boardId = await newBoard();
    const socket = await connectSocket(server, editor);
    const c = new BoardClient(socket as never, boardId);
    await c.start();
    await c.synced();
    note(c.doc, 'x', 'y');
    expect(c.state.unsaved).toBeGreaterThan(0);
    await waitSaved(c);
    expect(await storedUpdates(boardId)).toBe(1);
    c.destroy();
    socket.close();
  });
});
