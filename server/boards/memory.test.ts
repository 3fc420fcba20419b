/**
 * What a live board keeps in memory (memory.ts, presence.ts; docs/decisions/0010, "Memory"): presence
 * only while someone has some there, one timer per process rather than one per board, trimmed
 * documents, and no check replica once nobody edits. Everything still works after each is dropped.
 */
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { itemsOf, putItem, readItems, setFields } from '../shared/board.js';
import { createTestDatabase, eventually, signUp, startTestServer, trpcClient, type TestServer, type TestUser } from '../testing/harness.js';
import { addMember, itemIds, openBoard, waitForDoc, waitSaved } from '../testing/teams.js';
import { LiveBoard } from './live.js';
import { REPLICA_IDLE_MS, TRIM_AFTER_MS, tidyBoards, trimDoc } from './memory.js';
import { loadBoardDoc } from './store.js';

/** Short, so that a presence nobody renews is dropped within the test (clients renew every 15 s). */
const PRESENCE_TIMEOUT_MS = 1_500;

let server: TestServer;
let owner: TestUser;
let editor: TestUser;
let workspaceId: string;

beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'), { env: { SOCKETS_PER_USER: '100' }, start: { boardPresenceTimeoutMs: PRESENCE_TIMEOUT_MS } });
  owner = await signUp(server, 'Olga Owner');
  editor = await signUp(server, 'Emil Editor');
  workspaceId = (await trpcClient(server, owner).workspace.create.mutate({ name: 'Memory team' })).id;
  await addMember(server.deps.db, workspaceId, editor.id, 'editor');
});
afterAll(async () => {
  await server?.stop();
});

const newBoard = async (name = 'Board') => (await trpcClient(server, owner).board.create.mutate({ workspaceId, name })).id;
const note = (doc: Y.Doc, id: string, text: string) => doc.transact(() => void putItem(doc, { id, type: 'note', x: 10, y: 10, w: 160, h: 120, z: 1, text }));
const names = (c: { awareness: { getStates(): Map<number, unknown> } }) => [...c.awareness.getStates().values()].map((s) => (s as { user?: { name?: string } }).user?.name).filter(Boolean);
const cursorOf = (c: { awareness: { getStates(): Map<number, unknown> } }, clientId: number) => (c.awareness.getStates().get(clientId) as { cursor?: unknown } | undefined)?.cursor;
const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('presence is held only while someone has some', () => {
  it('a loaded board, and one whose readers send no cursor, holds none; the first cursor brings it, and it goes once everyone left', async () => {
    const boardId = await newBoard();
    const live = await server.boardSync.open(boardId, workspaceId);
    expect(live.presence).toBeNull();
    const a = await openBoard(server, editor, boardId);
    const b = await openBoard(server, owner, boardId);
    // Both joined (their empty first state is not news): still nothing held for presence.
    await new Promise((r) => setTimeout(r, 200));
    expect(live.presence).toBeNull();

    a.client.awareness.setLocalStateField('cursor', { x: 4, y: 2 });
    await eventually(async () => JSON.stringify(cursorOf(b.client, a.client.doc.clientID)) === JSON.stringify({ x: 4, y: 2 }), 5_000);
    expect(live.presence).not.toBeNull();
    // Someone joining now gets the cursor from the server's copy.
    const c = await openBoard(server, owner, boardId);
    await eventually(async () => names(c.client).includes('Emil Editor'), 5_000);

    a.close();
    await eventually(async () => !names(b.client).includes('Emil Editor') && !names(c.client).includes('Emil Editor'), 5_000);
    b.close();
    c.close();
    // Nobody has presence there any more: after the timeout the board holds none, though it is still loaded.
    await eventually(async () => live.presence === null, PRESENCE_TIMEOUT_MS * 4);
    expect(server.boardSync.liveBoards()).toBeGreaterThan(0);
  });

  it('presence made again after it was dropped works as before: leave and rejoin, and the server times out a silent client', async () => {
    const boardId = await newBoard();
    const live = await server.boardSync.open(boardId, workspaceId);
    const first = await openBoard(server, editor, boardId);
    first.client.awareness.setLocalStateField('cursor', { x: 1, y: 1 });
    await eventually(async () => live.presence !== null, 5_000);
    first.close();
    await eventually(async () => live.presence === null, PRESENCE_TIMEOUT_MS * 4);

    // Rejoin: presence is made again, and joiners see each other.
    const again = await openBoard(server, editor, boardId);
    const watcher = await openBoard(server, owner, boardId);
    again.client.awareness.setLocalStateField('cursor', { x: 7, y: 7 });
    watcher.client.awareness.setLocalStateField('cursor', { x: 8, y: 8 });
    await eventually(async () => JSON.stringify(cursorOf(watcher.client, again.client.doc.clientID)) === JSON.stringify({ x: 7, y: 7 }), 5_000);
    await eventually(async () => JSON.stringify(cursorOf(again.client, watcher.client.doc.clientID)) === JSON.stringify({ x: 8, y: 8 }), 5_000);

    // A client that stops renewing its state is timed out by the server: a newcomer does not see it.
    // (Both are still connected, so the board keeps its presence: they speak for their client ids.)
    await new Promise((r) => setTimeout(r, PRESENCE_TIMEOUT_MS * 2));
    expect(live.presence?.awareness.getStates().size).toBe(0);
    const late = await openBoard(server, owner, boardId);
    await new Promise((r) => setTimeout(r, 300));
    expect(names(late.client)).not.toContain('Emil Editor');
    expect(live.presence).not.toBeNull();
    // Once it moves again it is back, for everyone.
    again.client.awareness.setLocalStateField('cursor', { x: 9, y: 9 });
    await eventually(async () => JSON.stringify(cursorOf(late.client, again.client.doc.clientID)) === JSON.stringify({ x: 9, y: 9 }), 5_000);
    again.close();
    watcher.close();
    late.close();
  });

  it('boards with cursors on them add no timer each (one sweep per process, not an interval per board)', async () => {
    const K = 30;
    const ids = await Promise.all(Array.from({ length: K }, (_, i) => newBoard(`timers ${i}`)));
    const opened = [];
    for (const id of ids) opened.push(await openBoard(server, editor, id));
    await new Promise((r) => setTimeout(r, 300));
    const before = timeouts();
    for (const o of opened) o.client.awareness.setLocalStateField('cursor', { x: 1, y: 1 });
    const lives = await Promise.all(ids.map((id) => server.boardSync.open(id, workspaceId)));
    await eventually(async () => lives.every((l) => l.presence !== null), 5_000);
    await new Promise((r) => setTimeout(r, 300)); // the relays to other processes (40 ms) are done
    // An Awareness with its own interval would add K timers here; other timers of the process come and go.
    expect(timeouts() - before).toBeLessThan(K / 3);
    for (const o of opened) o.close();
  });

  it('presence made again on both processes crosses between them', async () => {
    const databaseUrl = await createTestDatabase(inject('pgAdminUrl'));
    const one = await startTestServer(inject('pgAdminUrl'), { databaseUrl, start: { boardPresenceTimeoutMs: PRESENCE_TIMEOUT_MS } });
    const two = await startTestServer(inject('pgAdminUrl'), { databaseUrl, start: { boardPresenceTimeoutMs: PRESENCE_TIMEOUT_MS } });
    try {
      const u = await signUp(one, 'Ada');
      const v = await signUp(two, 'Bo');
      const ws = (await trpcClient(one, u).workspace.create.mutate({ name: 'Two nodes' })).id;
      await addMember(one.deps.db, ws, v.id, 'editor');
      const boardId = (await trpcClient(one, u).board.create.mutate({ workspaceId: ws, name: 'Shared' })).id;
      const a = await openBoard(one, u, boardId);
      const b = await openBoard(two, v, boardId);
      const onOne = await one.boardSync.open(boardId, ws);
      const onTwo = await two.boardSync.open(boardId, ws);
      a.client.awareness.setLocalStateField('cursor', { x: 1, y: 1 });
      await eventually(async () => names(b.client).includes('Ada'), 5_000);
      a.close();
      await eventually(async () => !names(b.client).includes('Ada'), 5_000);
      await eventually(async () => onOne.presence === null && onTwo.presence === null, PRESENCE_TIMEOUT_MS * 4);

      const again = await openBoard(one, u, boardId);
      again.client.awareness.setLocalStateField('cursor', { x: 3, y: 3 });
      await eventually(async () => JSON.stringify(cursorOf(b.client, again.client.doc.clientID)) === JSON.stringify({ x: 3, y: 3 }), 5_000);
      // And a newcomer on process two gets it from that process's copy.
      const c = await openBoard(two, v, boardId);
      await eventually(async () => names(c.client).includes('Ada'), 5_000);
      again.close();
      b.close();
      c.close();
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
  });
});

describe('documents kept in memory', () => {
  it('a trimmed document is the same document: same state, same answers, takes further updates alike', () => {
    const source = new Y.Doc();
    source.transact(() => {
      for (let k = 0; k < 20; k++) putItem(source, { id: `n${k}`, type: 'note', x: k, y: k * 2, w: 100, h: 80, z: k, text: `note ${k}` });
    });
    setFields(source, 'n3', { x: 300, text: 'moved' });
    itemsOf(source).delete('n4');
    const state = Y.encodeStateAsUpdate(source);
    const plain = new Y.Doc();
    const trimmed = new Y.Doc();
    Y.applyUpdate(plain, state);
    Y.applyUpdate(trimmed, state);
    trimDoc(trimmed);
    expect(Y.encodeStateAsUpdate(trimmed)).toEqual(Y.encodeStateAsUpdate(plain));
    expect(readItems(trimmed)).toEqual(readItems(plain));
    const before = Y.encodeStateVector(source);
    setFields(source, 'n3', { y: 5 });
    putItem(source, { id: 'late', type: 'note', x: 0, y: 0, w: 1, h: 1, z: 99, text: 'late' });
    const next = Y.encodeStateAsUpdate(source, before);
    Y.applyUpdate(plain, next);
    Y.applyUpdate(trimmed, next);
    trimDoc(trimmed);
    expect(readItems(trimmed)).toEqual(readItems(source));
    expect(Y.encodeStateAsUpdate(trimmed)).toEqual(Y.encodeStateAsUpdate(plain));
  });

  it('tidying trims after the edits stop and drops the replica only once nobody edited for a while', () => {
    const live = new LiveBoard('board', 'workspace');
    const src = new Y.Doc();
    note(src, 'a', 'one');
    Y.applyUpdate(live.doc, Y.encodeStateAsUpdate(src));
    live.check = new Y.Doc();
    Y.applyUpdate(live.check, Y.encodeStateAsUpdate(src));
    const t = Date.now();
    live.editedAt = t;
    const valueArray = () => {
      const item = (itemsOf(live.doc).get('a') as Y.Map<unknown>)._map.get('text')!;
      return (item.content as Y.ContentAny).arr;
    };
    const arr = valueArray();
    tidyBoards([live], t + 10);
    expect(valueArray()).toBe(arr); // still being edited: left alone
    tidyBoards([live], t + TRIM_AFTER_MS);
    expect(valueArray()).not.toBe(arr);
    expect(valueArray()).toEqual(['one']);
    expect(live.check).not.toBeNull();
    tidyBoards([live], t + REPLICA_IDLE_MS);
    expect(live.check).toBeNull();
    live.destroy();
  });

  it('an edit after the replica was dropped is checked, accepted, sent to the others and stored', async () => {
    const boardId = await newBoard();
    const a = await openBoard(server, editor, boardId);
    const b = await openBoard(server, owner, boardId);
    note(a.client.doc, 'first', 'before');
    await waitSaved(a.client);
    const live = await server.boardSync.open(boardId, workspaceId);
    expect(live.check).not.toBeNull();
    tidyBoards([live], Date.now() + REPLICA_IDLE_MS);
    expect(live.check).toBeNull();
    note(a.client.doc, 'second', 'after');
    await waitSaved(a.client);
    await waitForDoc(b.client.doc, (d) => itemIds(d).includes('second'), 5_000, 'the edit at the other client');
    expect(live.check).not.toBeNull();
    expect(itemIds(await loadBoardDoc(server.deps.db, boardId)).sort()).toEqual(['first', 'second']);
    a.close();
    b.close();
  });
});
