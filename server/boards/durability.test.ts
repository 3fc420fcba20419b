/**
 * The board durability rule (docs/decisions/0010-board-fan-out-and-acks.md): an accepted update is
 * sent to the other clients at once, from memory; its author hears "saved" only after the commit;
 * an update that could not be stored stays with the server (tried again) and with the client
 * (kept as unsaved, sent again), and lands once the database takes writes again.
 *
 * The database is made to hold or refuse writes for real: a lock held by another connection, and a
 * trigger that raises, on a real PostgreSQL.
 */
import pg from 'pg';
import { sql } from 'kysely';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool } from '../../db/index.js';
import { createLogger } from '../log.js';
import { putItem } from '../shared/board.js';
import { eventually, signUp, startTestServer, trpcClient, type TestServer, type TestUser } from '../testing/harness.js';
import { createLiveBoards } from './live.js';
import { loadBoardDoc } from './store.js';
import { addMember, itemIds, openBoard, waitForDoc, waitSaved } from '../testing/teams.js';

let server: TestServer;
let owner: TestUser;
let editor: TestUser;
let workspaceId: string;

beforeAll(async () => {
  // The smallest allowed bound on unstored bytes, so the refusal beyond it can be reached.
  server = await startTestServer(inject('pgAdminUrl'), { env: { BOARD_MAX_UNSTORED_BYTES: String(64 * 1024) } });
  owner = await signUp(server, 'Olga Owner');
  editor = await signUp(server, 'Ezra Editor');
  workspaceId = (await trpcClient(server, owner).workspace.create.mutate({ name: 'Durable team' })).id;
  await addMember(server.deps.db, workspaceId, editor.id, 'editor');
});
afterAll(async () => {
  await server?.stop();
});

const newBoard = async () => (await trpcClient(server, owner).board.create.mutate({ workspaceId, name: 'Durable' })).id;
const stored = async (boardId: string) => Number((await sql<{ n: number }>`select count(*)::int as n from board_update where board_id = ${boardId}`.execute(server.deps.db)).rows[0]!.n);
const note = (doc: Y.Doc, id: string, text = id) => doc.transact(() => void putItem(doc, { id, type: 'note', x: 10, y: 10, w: 160, h: 120, z: 1, text }));

/** Makes every insert into board_update fail (as if the database refused writes) until undone. */
async function refuseWrites(): Promise<() => Promise<void>> {
  await sql`create or replace function fk_test_refuse() returns trigger language plpgsql as $$ begin raise exception 'writes refused by the test'; end $$`.execute(server.deps.db);
  await sql`create trigger fk_test_refuse before insert on board_update for each row execute function fk_test_refuse()`.execute(server.deps.db);
  let undone = false;
  // Safe to call twice: the test undoes it midway, its `finally` once more in case it failed before.
  return async () => {
    if (undone) return;
    undone = true;
    await sql`drop trigger fk_test_refuse on board_update`.execute(server.deps.db);
  };
}

/** SQL that makes inserts into board_update fail for one board only (as if the database refused its rows), and its undoing. */
const refuseOneBoard = (boardId: string) => ({
  on: `create or replace function fk_test_refuse_one() returns trigger language plpgsql as $$ begin if new.board_id = '${boardId}'::uuid then raise exception 'writes to this board refused by the test'; end if; return new; end $$;
       create trigger fk_test_refuse_one before insert on board_update for each row execute function fk_test_refuse_one()`,
  off: 'drop trigger if exists fk_test_refuse_one on board_update',
});

describe('fan out from memory, "saved" only after the commit', () => {
  it('others see an update while its commit waits; the author is told saved only once it is stored', async () => {
    const boardId = await newBoard();
    const a = await openBoard(server, editor, boardId);
    const b = await openBoard(server, owner, boardId);
    const lock = new pg.Client({ connectionString: server.config.databaseUrl });
    await lock.connect();
    try {
      // Another transaction holds the table: the append waits for it, as for a slow commit.
      await lock.query('begin');
      await lock.query('lock table board_update in exclusive mode');
      note(a.client.doc, 'fast', 'seen before it is stored');
      await waitForDoc(b.client.doc, (d) => itemIds(d).includes('fast'), 5_000, 'the update on b while the commit waits');
      expect(a.client.state.unsaved).toBe(1);
      await new Promise((r) => setTimeout(r, 300));
      expect(a.client.state.unsaved).toBe(1); // still not "saved": nothing is committed
      await lock.query('commit');
      await waitSaved(a.client);
      expect(await stored(boardId)).toBe(1);
      expect(a.client.state.savedSeq).toBeGreaterThan(0);
      expect(itemIds(await loadBoardDoc(server.deps.db, boardId))).toEqual(['fast']);
    } finally {
      await lock.end();
      a.close();
      b.close();
    }
  });

  it('when writes fail, updates stay unsaved, are tried again, and land once the database takes them', async () => {
    const boardId = await newBoard();
    const a = await openBoard(server, editor, boardId);
    const b = await openBoard(server, owner, boardId);
    const undo = await refuseWrites();
    try {
      note(a.client.doc, 'w1');
      note(a.client.doc, 'w2');
      await waitForDoc(b.client.doc, (d) => itemIds(d).includes('w2'), 5_000, 'the updates on b');
      await new Promise((r) => setTimeout(r, 1_000)); // several failed attempts
      expect(a.client.state.unsaved).toBe(2);
      expect(await stored(boardId)).toBe(0);
      await undo();
      await waitSaved(a.client, 15_000);
      expect(itemIds(await loadBoardDoc(server.deps.db, boardId)).sort()).toEqual(['w1', 'w2']);
    } finally {
      await undo();
      a.close();
      b.close();
    }
  });

  it('beyond BOARD_MAX_UNSTORED_BYTES, a change is refused with BOARD_SAVE_BEHIND, kept by the client, and sent again later', async () => {
    const boardId = await newBoard();
    const a = await openBoard(server, editor, boardId);
    const b = await openBoard(server, owner, boardId);
    const undo = await refuseWrites();
    try {
      // Three changes of ~25 KiB each: the third passes the 64 KiB bound while none can be stored.
      for (const id of ['big1', 'big2', 'big3']) note(a.client.doc, id, id + 'x'.repeat(25_000));
      await eventually(async () => a.client.state.error?.code === 'BOARD_SAVE_BEHIND', 5_000);
      expect(a.client.state.unsaved).toBe(3);
      expect(itemIds(b.client.doc)).not.toContain('big3'); // refused before it was applied or sent
      await undo();
      // The client sends what is unsaved again; all three land, on b and in the database.
      await waitSaved(a.client, 20_000);
      await waitForDoc(b.client.doc, (d) => itemIds(d).includes('big3'), 5_000, 'big3 on b after the retry');
      expect(itemIds(await loadBoardDoc(server.deps.db, boardId)).sort()).toEqual(['big1', 'big2', 'big3']);
      expect(a.client.state.error).toBeNull();
    } finally {
      await undo();
      a.close();
      b.close();
    }
  });

  it('a change re-sent after a reconnect, which the server already holds but has not stored, is acknowledged only once stored', async () => {
    const boardId = await newBoard();
    const a = await openBoard(server, editor, boardId);
    const undo = await refuseWrites();
    try {
      note(a.client.doc, 'resent');
      await new Promise((r) => setTimeout(r, 300));
      a.socket.disconnect();
      expect(a.client.state.unsaved).toBe(1);
      a.socket.connect();
      await eventually(async () => a.client.state.status === 'synced', 5_000);
      // The server has it in memory; the step 2 answer brings nothing new, yet it is not "saved" yet.
      await new Promise((r) => setTimeout(r, 500));
      expect(a.client.state.unsaved).toBe(1);
      await undo();
      await waitSaved(a.client, 15_000);
      expect(itemIds(await loadBoardDoc(server.deps.db, boardId))).toEqual(['resent']);
    } finally {
      await undo();
      a.close();
    }
  });

  it('one commit serves every board, yet a board whose writes the database refuses holds up no other board', async () => {
    const stuck = await newBoard();
    const fine = await newBoard();
    const a = await openBoard(server, editor, stuck);
    const b = await openBoard(server, editor, fine);
    const refuse = refuseOneBoard(stuck);
    const lock = new pg.Client({ connectionString: server.config.databaseUrl });
    await lock.connect();
    try {
      // The table is held: the first statements (one per board) wait for it, the next edits of both
      // boards wait together for the next statement.
      await lock.query('begin');
      await lock.query('lock table board_update in exclusive mode');
      note(a.client.doc, 'held1');
      note(b.client.doc, 'free1');
      await new Promise((r) => setTimeout(r, 300));
      note(a.client.doc, 'held2');
      note(b.client.doc, 'free2');
      await new Promise((r) => setTimeout(r, 300));
      // From the moment the table is free, the database refuses every row of one board.
      await lock.query(refuse.on);
      await lock.query('commit');
      // The other board's updates land (tried apart from the refused board's after the failure).
      await waitSaved(b.client, 10_000);
      expect(itemIds(await loadBoardDoc(server.deps.db, fine)).sort()).toEqual(['free1', 'free2']);
      expect(a.client.state.unsaved).toBe(2);
      expect(await stored(stuck)).toBe(0);
      // The refused board keeps being tried: it lands once the database takes it.
      await sql.raw(refuse.off).execute(server.deps.db);
      await waitSaved(a.client, 15_000);
      expect(itemIds(await loadBoardDoc(server.deps.db, stuck)).sort()).toEqual(['held1', 'held2']);
    } finally {
      await lock.end().catch(() => undefined);
      await sql.raw(refuse.off).execute(server.deps.db);
      a.close();
      b.close();
    }
  });

  it('updates of a board unloaded while they wait for their commit all settle: stored if under way, refused if still queued or accepted after', async () => {
    const boardId = await newBoard();
    const pool = createPool(server.config.databaseUrl!, 2);
    const lives = createLiveBoards({ io: server.io, db: server.deps.db, pool, log: createLogger('silent'), limits: server.config.boards, origin: 'durability-test', idleUnloadMs: 60_000, metrics: { fanout() {} } });
    const lock = new pg.Client({ connectionString: server.config.databaseUrl });
    await lock.connect();
    try {
      const live = await lives.open(boardId, workspaceId);
      const author = new Y.Doc();
      const edits: Uint8Array[] = [];
      author.on('update', (u: Uint8Array) => edits.push(u));
      for (let i = 0; i < 6; i++) note(author, `n${i}`);
      await lock.query('begin');
      await lock.query('lock table board_update in exclusive mode');
      // The first statements go out and wait for the lock; the rest wait in the board's queue.
      const accepted = edits.slice(0, 5).map((u) => lives.accept(live, u, editor.id, 'socket-1'));
      const outcomes = accepted.map((p) => p.then((seq) => ({ seq }), (err: Error) => ({ err: err.message })));
      await new Promise((r) => setTimeout(r, 200));
      lives.unload(live);
      // Accepted after the unload (a socket that looked the board up just before): refused at once.
      await expect(lives.accept(live, edits[5]!, editor.id, 'socket-1')).rejects.toThrow(/unloaded/);
      await lock.query('commit');
      const settled = await Promise.race([Promise.all(outcomes), new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
      expect(settled).not.toBeNull();
      const storedIds = settled!.filter((o): o is { seq: number } => 'seq' in o && o.seq !== null);
      const refused = settled!.filter((o) => 'err' in o);
      expect(storedIds.length + refused.length).toBe(5);
      expect(refused.length).toBeGreaterThan(0);
      // Exactly the ones reported stored are in Postgres (the refused ones are still held by their client).
      expect(await stored(boardId)).toBe(storedIds.length);
      expect(live.unsettled.size).toBe(0);
    } finally {
      await lock.end().catch(() => undefined);
      await lives.close();
      await pool.end();
    }
  });
});
