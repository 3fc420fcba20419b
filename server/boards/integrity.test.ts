import { sql } from 'kysely';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { putItem } from '../shared/board.js';
import { signUp, startTestServer, trpcClient, type TestServer, type TestUser } from '../testing/harness.js';
import { compactBoard, loadBoardDoc } from './store.js';
import { itemIds, openBoard, waitForDoc, waitSaved } from '../testing/teams.js';

let server: TestServer;
let owner: TestUser;
let workspaceId: string;

beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'));
  owner = await signUp(server, 'Polly Poison');
  workspaceId = (await trpcClient(server, owner).workspace.create.mutate({ name: 'Poison team' })).id;
});
afterAll(async () => {
  await server?.stop();
});

const newBoard = async () => (await trpcClient(server, owner).board.create.mutate({ workspaceId, name: 'Board' })).id;
const storedUpdates = async (boardId: string) => Number((await sql<{ n: number }>`select count(*)::int as n from board_update where board_id = ${boardId}`.execute(server.deps.db)).rows[0]!.n);
const note = (doc: Y.Doc, id: string, text: string) => doc.transact(() => void putItem(doc, { id, type: 'note', x: 10, y: 10, w: 160, h: 120, z: 1, text }));
const updateMessage = (update: Uint8Array) => {
  const enc = encoding.createEncoder();
  syncProtocol.writeUpdate(enc, update);
  return encoding.toUint8Array(enc);
};

/**
 * A hand-encoded update (Yjs update v1) that decodes but throws in Y.applyUpdate: one item of
 * client `client` at clock 0, in a map entry whose parent is the item (`parentClient`, `parentClock`).
 * With its own client and a later clock, Yjs looks the parent up without checking it exists.
 */
function poisonUpdate(client: number, parent: { client: number; clock: number } = { client, clock: 100 }): Uint8Array {
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, 1); // one client
  encoding.writeVarUint(enc, 1); // one struct
  encoding.writeVarUint(enc, client);
  encoding.writeVarUint(enc, 0); // its first clock
  encoding.writeUint8(enc, 8 | 0x20); // ContentAny, with a parentSub, no origins
  encoding.writeVarUint(enc, 0); // the parent is an item id, not a root type name
  encoding.writeVarUint(enc, parent.client);
  encoding.writeVarUint(enc, parent.clock);
  encoding.writeVarString(enc, 'x');
  encoding.writeVarUint(enc, 1);
  encoding.writeAny(enc, 1);
  encoding.writeVarUint(enc, 0); // empty delete set
  return encoding.toUint8Array(enc);
}

describe('poison board updates', () => {
  it('the crafted update really throws on a board document (and decodes)', () => {
    const doc = new Y.Doc();
    note(doc, 'n1', 'hello');
    const p = poisonUpdate(4242);
    expect(Y.decodeUpdate(p).structs).toHaveLength(1);
    expect(() => Y.applyUpdate(doc, p)).toThrow();
  });

  it('refuses an update that throws when applied with BOARD_UPDATE_INVALID; nothing stored, the board stays usable', async () => {
    const boardId = await newBoard();
    const a = await openBoard(server, owner, boardId);
    note(a.client.doc, 'before', 'fine');
    await waitSaved(a.client);
    const stored = await storedUpdates(boardId);
    expect(await a.client.sendRaw(updateMessage(poisonUpdate(4242)))).toMatchObject({ ok: false, code: 'BOARD_UPDATE_INVALID' });
    expect(await storedUpdates(boardId)).toBe(stored);
    note(a.client.doc, 'after', 'still fine');
    await waitSaved(a.client);
    // A new client (and a load from storage) opens the board with both notes.
    const b = await openBoard(server, owner, boardId);
    await waitForDoc(b.client.doc, (d) => itemIds(d).includes('after'));
    expect(itemIds(await loadBoardDoc(server.deps.db, boardId)).sort()).toEqual(['after', 'before']);
    a.close();
    b.close();
  });

  it('refuses a poison update that would wait as pending and throw only when another client completes it', async () => {
    const boardId = await newBoard();
    const a = await openBoard(server, owner, boardId);
    const stored = await storedUpdates(boardId);
    // Origin: a missing clock of another client (so Yjs holds it pending) ... and a parent of its own later clock.
    const enc = encoding.createEncoder();
    encoding.writeVarUint(enc, 1);
    encoding.writeVarUint(enc, 1);
    encoding.writeVarUint(enc, 5151);
    encoding.writeVarUint(enc, 0);
    encoding.writeUint8(enc, 8 | 0x80 | 0x40); // ContentAny with an origin and a right origin (no parent info)
    encoding.writeVarUint(enc, 6161); // origin: another client's clock the board lacks
    encoding.writeVarUint(enc, 3);
    encoding.writeVarUint(enc, 5151); // right origin: its own client's later clock
    encoding.writeVarUint(enc, 9);
    encoding.writeVarUint(enc, 1);
    encoding.writeAny(enc, 1);
    encoding.writeVarUint(enc, 0);
    const pending = encoding.toUint8Array(enc);
    expect(() => Y.applyUpdate(new Y.Doc(), pending)).not.toThrow(); // accepted by Yjs as pending
    expect(await a.client.sendRaw(updateMessage(pending))).toMatchObject({ ok: false, code: 'BOARD_UPDATE_INVALID' });
    expect(await storedUpdates(boardId)).toBe(stored);
    a.close();
  });

  it('accepts an update missing a dependency, holds it pending, and compaction keeps it until the dependency arrives', async () => {
    const boardId = await newBoard();
    const a = await openBoard(server, owner, boardId);
    const other = new Y.Doc();
    note(other, 'dep', 'first');
    const first = Y.encodeStateAsUpdate(other);
    const sv = Y.encodeStateVector(other);
    note(other, 'dep', 'second'); // overwrites: depends on the first
    const second = Y.encodeStateAsUpdate(other, sv);
    expect(await a.client.sendRaw(updateMessage(second))).toMatchObject({ ok: true });
    expect(await storedUpdates(boardId)).toBe(1);
    await compactBoard(server.deps.db, boardId);
    expect(await storedUpdates(boardId)).toBe(0);
    expect(await a.client.sendRaw(updateMessage(first))).toMatchObject({ ok: true });
    const doc = await loadBoardDoc(server.deps.db, boardId);
    expect(itemIds(doc)).toEqual(['dep']);
    expect((doc.getMap('items').get('dep') as Y.Map<unknown>).get('text')).toBe('second');
    a.close();
  });

  it('a board with a poison update already stored still opens; the update is quarantined', async () => {
    const boardId = await newBoard();
    const good = new Y.Doc();
    note(good, 'kept', 'survives');
    const db = server.deps.db;
    await db.insertInto('board_update').values({ board_id: boardId, update: Buffer.from(Y.encodeStateAsUpdate(good)), user_id: owner.id }).execute();
    const bad = await db.insertInto('board_update').values({ board_id: boardId, update: Buffer.from(poisonUpdate(4343)), user_id: owner.id }).returning('id').executeTakeFirstOrThrow();
    const good2 = new Y.Doc();
    note(good2, 'later', 'after the poison');
    await db.insertInto('board_update').values({ board_id: boardId, update: Buffer.from(Y.encodeStateAsUpdate(good2)), user_id: owner.id }).execute();

    const a = await openBoard(server, owner, boardId);
    expect(a.join).toMatchObject({ ok: true });
    await waitForDoc(a.client.doc, (d) => itemIds(d).includes('kept') && itemIds(d).includes('later'));
    const q = await db.selectFrom('board_update_quarantine').selectAll().where('board_id', '=', boardId).execute();
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({ seq: bad.id, user_id: owner.id });
    expect(Buffer.from(q[0]!.update).equals(Buffer.from(poisonUpdate(4343)))).toBe(true);
    expect(q[0]!.error.length).toBeGreaterThan(0);
    expect(await storedUpdates(boardId)).toBe(2);
    // Editing and compacting go on as usual.
    note(a.client.doc, 'new', 'edit');
    await waitSaved(a.client);
    await compactBoard(db, boardId);
    expect(itemIds(await loadBoardDoc(db, boardId)).sort()).toEqual(['kept', 'later', 'new']);
    a.close();
  });

  it('compaction quarantines a stored poison update instead of failing (or dropping it)', async () => {
    const boardId = await newBoard();
    const db = server.deps.db;
    const good = new Y.Doc();
    note(good, 'kept', 'survives');
    await db.insertInto('board_update').values({ board_id: boardId, update: Buffer.from(Y.encodeStateAsUpdate(good)), user_id: owner.id }).execute();
    await db.insertInto('board_update').values({ board_id: boardId, update: Buffer.from(poisonUpdate(4444)), user_id: owner.id }).execute();
    await compactBoard(db, boardId);
    expect(await storedUpdates(boardId)).toBe(0);
    expect(await db.selectFrom('board_update_quarantine').select('seq').where('board_id', '=', boardId).execute()).toHaveLength(1);
    expect(itemIds(await loadBoardDoc(db, boardId))).toEqual(['kept']);
  });
});
