/**
 * Version history (issue 17), with real socket.io clients (BoardClient, as the page uses), real
 * tRPC calls and a real PostgreSQL: named and automatic versions, previews read from the stored
 * state, restore as a new change that every connected client converges on (fast-check) and that
 * its author can undo, refusals for viewers and non-members, thinning, and the size limit.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { boardUndoManager, itemsOf, LOCAL_ORIGIN, putItem, setFields } from '../shared/board.js';
import { diffItems, itemFields, readRestoreNotice, restoreItems, setRestoreNotice, type ItemFields } from '../shared/board-versions.js';
import { eventually, signUp, startTestServer, trpcClient, trpcErrorCode, type TestServer, type TestUser } from '../testing/harness.js';
import { loadBoardDoc } from './store.js';
import { thinVersions } from './versions.js';
import { addMember, openBoard, waitForDoc, waitSaved, type OpenBoard } from '../testing/teams.js';

let server: TestServer;
let ada: TestUser;
let ben: TestUser;
let cy: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let workspaceId: string;

beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'), { env: { BOARD_AUTO_VERSION_SECONDS: '1', BOARD_MAX_DOC_BYTES: String(256 * 1024) } });
  ada = await signUp(server, 'Ada Owner');
  ben = await signUp(server, 'Ben Editor');
  cy = await signUp(server, 'Cy Editor');
  viewer = await signUp(server, 'Vi Viewer');
  outsider = await signUp(server, 'Oz Outsider');
  workspaceId = (await trpcClient(server, ada).workspace.create.mutate({ name: 'History team' })).id;
  await addMember(server.deps.db, workspaceId, ben.id, 'editor');
  await addMember(server.deps.db, workspaceId, cy.id, 'editor');
  await addMember(server.deps.db, workspaceId, viewer.id, 'viewer');
});
afterAll(async () => {
  await server?.stop();
});

const newBoard = async (name = 'Moodboard') => (await trpcClient(server, ada).board.create.mutate({ workspaceId, name })).id;
const stored = async (boardId: string) => {
  const doc = await loadBoardDoc(server.deps.db, boardId);
  const f = itemFields(doc);
  doc.destroy();
  return f;
};
const canon = (f: ItemFields) => JSON.stringify(Object.keys(f).sort().map((id) => [id, Object.keys(f[id]!).sort().map((k) => [k, f[id]![k]])]));
const note = (doc: Y.Doc, id: string, text: string, x = 10) => doc.transact(() => void putItem(doc, { id, type: 'note', x, y: 10, w: 160, h: 120, z: 1, text }), LOCAL_ORIGIN);

/** Waits until every client and the stored board hold the same items; returns them. */
async function converged(boardId: string, clients: OpenBoard[]): Promise<ItemFields> {
  for (const c of clients) await waitSaved(c.client, 15_000);
  return eventually(
    async () => {
      const s = await stored(boardId);
      const want = canon(s);
      return clients.every((c) => canon(itemFields(c.client.doc)) === want) ? s : null;
    },
    15_000,
    50,
  );
}

/** What the page does when someone presses "Restore": prepare on the server, then one local change. */
async function restore(user: TestUser, userName: string, b: OpenBoard, boardId: string, versionId: string) {
  await waitSaved(b.client);
  const r = await trpcClient(server, user).board.prepareRestore.mutate({ boardId, versionId });
  const doc = b.client.doc;
  doc.transact(() => {
    restoreItems(doc, r.items, LOCAL_ORIGIN);
    setRestoreNotice(doc, { userId: user.id, by: userName, version: r.version.name ?? 'a version', versionId, at: Date.now() });
  }, LOCAL_ORIGIN);
  return r;
}

type Op = { who: number; kind: 'add' | 'move' | 'text' | 'delete'; item: number; value: number };
const opArb = fc.record({ who: fc.integer({ min: 0, max: 2 }), kind: fc.constantFrom<Op['kind']>('add', 'move', 'text', 'delete'), item: fc.integer({ min: 0, max: 5 }), value: fc.integer({ min: 0, max: 900 }) });

function applyOp(doc: Y.Doc, op: Op) {
  const id = `n${op.item}`;
  const exists = itemsOf(doc).get(id) instanceof Y.Map;
  doc.transact(() => {
    if (op.kind === 'add' || !exists) putItem(doc, { id, type: 'note', x: op.value, y: op.value / 2, w: 160, h: 120, z: op.item, text: `note ${op.value}` });
    else if (op.kind === 'move') setFields(doc, id, { x: op.value, y: 900 - op.value });
    else if (op.kind === 'text') setFields(doc, id, { text: `edited ${op.value}`, color: op.value % 2 ? 'yellow' : undefined });
    else itemsOf(doc).delete(id);
  }, LOCAL_ORIGIN);
}

describe('board versions', () => {
  it('a named version lists who made it, when and how many items; its preview is the stored state and says what changed since', async () => {
    const boardId = await newBoard();
    const a = await openBoard(server, ada, boardId);
    try {
      note(a.client.doc, 'keep', 'Keep me');
      note(a.client.doc, 'move', 'Move me');
      note(a.client.doc, 'edit', 'Edit me');
      note(a.client.doc, 'gone', 'Delete me');
      await waitSaved(a.client);
      const atVersion = await stored(boardId);
      const v = await trpcClient(server, ben).board.createVersion.mutate({ boardId, name: '  Before client review ' });
      expect(v).toMatchObject({ kind: 'named', name: 'Before client review', itemCount: 4, createdBy: { id: ben.id, name: 'Ben Editor' } });

      a.client.doc.transact(() => {
        setFields(a.client.doc, 'move', { x: 400 });
        setFields(a.client.doc, 'edit', { text: 'Edited' });
        itemsOf(a.client.doc).delete('gone');
        putItem(a.client.doc, { id: 'new', type: 'note', x: 0, y: 300, w: 100, h: 100, z: 2, text: 'New' });
      }, LOCAL_ORIGIN);
      await waitSaved(a.client);

      // A viewer may look at history and previews.
      const list = await trpcClient(server, viewer).board.versions.query({ boardId });
      expect(list.find((x) => x.id === v.id)).toMatchObject({ name: 'Before client review', itemCount: 4 });
      const preview = await trpcClient(server, viewer).board.previewVersion.query({ boardId, versionId: v.id });
      expect(canon(preview.items)).toBe(canon(atVersion));
      expect(preview.diff).toEqual({ added: ['new'], removed: ['gone'], moved: ['move'], edited: ['edit'] });
      // The preview did not touch the live board.
      expect(Object.keys(itemFields(a.client.doc)).sort()).toEqual(['edit', 'keep', 'move', 'new']);
    } finally {
      a.close();
    }
  });

  it('restore with three clients connected: everyone converges on the old state without reloading, others see who restored what, and the restorer can undo it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 8 }), fc.array(opArb, { minLength: 1, maxLength: 8 }), fc.option(fc.tuple(opArb, opArb), { nil: null }), async (before, after, concurrent) => {
        const boardId = await newBoard();
        const people = [await openBoard(server, ada, boardId), await openBoard(server, ben, boardId), await openBoard(server, cy, boardId)];
        const [a, b, c] = people as unknown as [OpenBoard, OpenBoard, OpenBoard];
        const undo = boardUndoManager(a.client.doc);
        try {
          for (const op of before) applyOp(people[op.who]!.client.doc, op);
          const atVersion = await converged(boardId, people);
          const v = await trpcClient(server, ben).board.createVersion.mutate({ boardId, name: 'Checkpoint' });
          for (const op of after) applyOp(people[op.who]!.client.doc, op);
          const beforeRestore = await converged(boardId, people);

          undo.stopCapturing();
          const r = await restore(ada, 'Ada Owner', a, boardId, v.id);
          // The server kept the board as it was before the restore, as an automatic version.
          expect(r.before).toMatchObject({ kind: 'auto', name: 'Before restoring “Checkpoint”' });
          const kept = await trpcClient(server, ada).board.previewVersion.query({ boardId, versionId: r.before!.id });
          expect(canon(kept.items)).toBe(canon(beforeRestore));
          if (concurrent) {
            applyOp(b.client.doc, concurrent[0]);
            applyOp(c.client.doc, concurrent[1]);
          }
          const after1 = await converged(boardId, people);
          if (!concurrent) expect(canon(after1)).toBe(canon(atVersion));
          // The others learn who restored which version with the change itself.
          for (const p of [b, c]) expect(readRestoreNotice(p.client.doc)).toMatchObject({ by: 'Ada Owner', version: 'Checkpoint', userId: ada.id });

          if (!concurrent) {
            // Undo (Ctrl+Z on the restorer's page) brings back what was there before the restore, everywhere.
            expect(undo.canUndo()).toBe(true);
            undo.undo();
            const undone = await converged(boardId, people);
            expect(canon(undone)).toBe(canon(beforeRestore));
          }
        } finally {
          undo.destroy();
          for (const p of people) p.close();
        }
      }),
      { numRuns: 6 },
    );
  }, 180_000);

  it('restoring and naming versions are refused for viewers (and non-members do not even see the board); nothing changes', async () => {
    const boardId = await newBoard();
    const a = await openBoard(server, ada, boardId);
    const vw = await openBoard(server, viewer, boardId);
    try {
      note(a.client.doc, 'x', 'Original');
      await waitSaved(a.client);
      const v = await trpcClient(server, ada).board.createVersion.mutate({ boardId, name: 'Original' });
      a.client.doc.transact(() => setFields(a.client.doc, 'x', { text: 'Changed' }), LOCAL_ORIGIN);
      await waitSaved(a.client);
      await waitForDoc(vw.client.doc, (d) => itemFields(d).x?.text === 'Changed');
      const versionsBefore = await trpcClient(server, ada).board.versions.query({ boardId });

      const refusal = (p: Promise<unknown>) => p.then(() => ({}) as ReturnType<typeof trpcErrorCode>, trpcErrorCode);
      expect(await refusal(trpcClient(server, viewer).board.prepareRestore.mutate({ boardId, versionId: v.id }))).toMatchObject({ httpStatus: 403, appCode: 'FORBIDDEN' });
      expect(await refusal(trpcClient(server, viewer).board.createVersion.mutate({ boardId, name: 'Mine' }))).toMatchObject({ httpStatus: 403 });
      const out = trpcClient(server, outsider).board;
      for (const call of [
        () => out.prepareRestore.mutate({ boardId, versionId: v.id }),
        () => out.createVersion.mutate({ boardId, name: 'Mine' }),
        () => out.versions.query({ boardId }),
        () => out.previewVersion.query({ boardId, versionId: v.id }),
      ]) {
        expect(await refusal(call())).toMatchObject({ httpStatus: 404, appCode: 'NOT_FOUND' });
      }
      // A version id from another board is not found on this one; bad input is refused before anything runs.
      const other = await newBoard('Other');
      expect(await refusal(trpcClient(server, ada).board.prepareRestore.mutate({ boardId: other, versionId: v.id }))).toMatchObject({ appCode: 'NOT_FOUND' });
      expect(await refusal(trpcClient(server, ada).board.createVersion.mutate({ boardId, name: '   ' }))).toMatchObject({ httpStatus: 400 });

      const preview = await trpcClient(server, viewer).board.previewVersion.query({ boardId, versionId: v.id });
      expect(preview.items.x?.text).toBe('Original');
      // A viewer's page never sends changes; a crafted restore sent over the viewer's socket anyway is refused by the server.
      const copy = new Y.Doc();
      Y.applyUpdate(copy, Y.encodeStateAsUpdate(vw.client.doc));
      const sv = Y.encodeStateVector(copy);
      restoreItems(copy, preview.items, 'crafted');
      const enc = encoding.createEncoder();
      syncProtocol.writeUpdate(enc, Y.encodeStateAsUpdate(copy, sv));
      const ack = await new Promise<{ ok: boolean; code?: string }>((resolve) => vw.socket.emit('board:sync', boardId, encoding.toUint8Array(enc), resolve));
      expect(ack).toMatchObject({ ok: false, code: 'BOARD_READ_ONLY' });
      await new Promise((r) => setTimeout(r, 200));
      expect((await stored(boardId)).x?.text).toBe('Changed');
      expect(itemFields(a.client.doc).x?.text).toBe('Changed');
      expect(await trpcClient(server, ada).board.versions.query({ boardId })).toHaveLength(versionsBefore.length);
    } finally {
      a.close();
      vw.close();
    }
  });

  it('editing makes automatic versions (at most one per interval, none when nothing changed)', async () => {
    const boardId = await newBoard();
    const a = await openBoard(server, ada, boardId);
    try {
      note(a.client.doc, 'first', 'First');
      await waitSaved(a.client);
      await new Promise((r) => setTimeout(r, 1_100));
      note(a.client.doc, 'second', 'Second');
      await waitSaved(a.client);
      const autos = await eventually(async () => {
        const l = (await trpcClient(server, ada).board.versions.query({ boardId })).filter((v) => v.kind === 'auto');
        return l.length >= 1 ? l : null;
      });
      expect(autos.every((v) => v.createdBy?.id === ada.id && v.name === null)).toBe(true);
      // In one burst (within the interval) no more than one more is made.
      for (let i = 0; i < 5; i++) note(a.client.doc, `burst${i}`, 'x', i * 50);
      await waitSaved(a.client);
      await new Promise((r) => setTimeout(r, 300));
      const n = (await trpcClient(server, ada).board.versions.query({ boardId })).filter((v) => v.kind === 'auto').length;
      expect(n).toBeLessThanOrEqual(autos.length + 1);
    } finally {
      a.close();
    }
  });

  it('thinning keeps named versions and one automatic version a day after 30 days, and a second run removes nothing', async () => {
    const boardId = await newBoard();
    const db = server.deps.db;
    const v = await trpcClient(server, ada).board.createVersion.mutate({ boardId, name: 'Named' });
    const row = await db.selectFrom('board_version').select(['state']).where('id', '=', v.id).executeTakeFirstOrThrow();
    // Relative to today (other tests' versions are recent, so thinning leaves them alone).
    const now = new Date();
    const at = (daysAgo: number, hour: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - daysAgo, hour));
    const insert = (kind: 'auto' | 'named', created: Date, name: string | null) =>
      db.insertInto('board_version').values({ board_id: boardId, kind, name, state: row.state, item_count: 0, bytes: row.state.byteLength, created_by: ada.id, created_at: created }).returning('id').executeTakeFirstOrThrow();
    // Day 40: three automatic and one named; day 35: two automatic; day 10 (recent): three automatic.
    const d40 = [await insert('auto', at(40, 9), null), await insert('auto', at(40, 13), null), await insert('auto', at(40, 17), null)];
    const named40 = await insert('named', at(40, 10), 'Old but named');
    const d35 = [await insert('auto', at(35, 8), null), await insert('auto', at(35, 20), null)];
    const d10 = [await insert('auto', at(10, 8), null), await insert('auto', at(10, 9), null), await insert('auto', at(10, 10), null)];

    expect(await thinVersions(db, now)).toBe(3);
    const left = new Set((await db.selectFrom('board_version').select('id').where('board_id', '=', boardId).execute()).map((r) => r.id));
    expect(left).toEqual(new Set([v.id, named40.id, d40[2]!.id, d35[1]!.id, ...d10.map((r) => r.id)]));
    expect(await thinVersions(db, now)).toBe(0);
    // The retention job runs it too.
    const results = await (await import('../services/retention.js')).runRetention(server.deps, now);
    expect(results.find((r) => r.task === 'thinBoardVersions')).toEqual({ task: 'thinBoardVersions', removed: 0 });
  });

  it('versions count towards the board size limit: a named version that does not fit is refused', async () => {
    const boardId = await newBoard();
    const a = await openBoard(server, ada, boardId);
    try {
      // About 50 KB of notes; the limit is 256 KB.
      a.client.doc.transact(() => {
        for (let i = 0; i < 5; i++) putItem(a.client.doc, { id: `big${i}`, type: 'note', x: i, y: 0, w: 10, h: 10, z: i, text: 'x'.repeat(10_000) + i });
      }, LOCAL_ORIGIN);
      await waitSaved(a.client);
      // Versions are kept until the next one would not fit (an automatic one may have been made too).
      const made: string[] = [];
      let refusal: ReturnType<typeof trpcErrorCode> | null = null;
      for (let i = 0; i < 5 && !refusal; i++) {
        refusal = await trpcClient(server, ada)
          .board.createVersion.mutate({ boardId, name: `V${i}` })
          .then((v) => {
            made.push(v.name!);
            return null;
          }, trpcErrorCode);
      }
      expect(refusal).toMatchObject({ appCode: 'BOARD_FULL' });
      expect(made.length).toBeGreaterThanOrEqual(1);
      expect((await trpcClient(server, ada).board.versions.query({ boardId })).filter((v) => v.kind === 'named').map((v) => v.name)).toEqual([...made].reverse());
      const total = await sql<{ n: string }>`select (select coalesce(sum(bytes), 0) from board_version where board_id = ${boardId}) as n`.execute(server.deps.db);
      expect(Number(total.rows[0]!.n)).toBeLessThanOrEqual(256 * 1024);
    } finally {
      a.close();
    }
  });

  it('a board’s export holds the board, every version (items and encoded state) and its comment threads, for members only', async () => {
    const boardId = await newBoard('Exported');
    const a = await openBoard(server, ada, boardId);
    try {
      note(a.client.doc, 'e1', 'First');
      await waitSaved(a.client);
      const v = await trpcClient(server, ada).board.createVersion.mutate({ boardId, name: 'One note' });
      note(a.client.doc, 'e2', 'Second');
      await waitSaved(a.client);
      const thread = await trpcClient(server, ada).comment.start.mutate({ boardId, itemId: 'e2', x: 5, y: 5, body: 'Make it bigger' });
      await trpcClient(server, ada).comment.resolve.mutate({ threadId: thread.id, resolved: true });
      const out = await trpcClient(server, viewer).board.export.query({ boardId });
      expect(out.comments.map((t) => [t.itemId, t.resolved, t.comments.map((c) => [c.authorName, c.body])])).toEqual([['e2', true, [['Ada Owner', 'Make it bigger']]]]);
      expect(out).toMatchObject({ format: 'flux-klein-board/1', board: { id: boardId, name: 'Exported' } });
      expect(Object.keys(out.items).sort()).toEqual(['e1', 'e2']);
      const named = out.versions.find((x) => x.id === v.id)!;
      expect(named).toMatchObject({ kind: 'named', name: 'One note', createdBy: 'Ada Owner', itemCount: 1 });
      expect(Object.keys(named.items)).toEqual(['e1']);
      const rebuilt = new Y.Doc();
      Y.applyUpdate(rebuilt, Buffer.from(named.state, 'base64'));
      expect(canon(itemFields(rebuilt))).toBe(canon(named.items));
      rebuilt.destroy();
      const err = await trpcClient(server, outsider)
        .board.export.query({ boardId })
        .then(() => null, trpcErrorCode);
      expect(err).toMatchObject({ httpStatus: 404 });
    } finally {
      a.close();
    }
  });

  it('diffItems counts added, removed, moved and edited items', () => {
    expect(diffItems({ a: { x: 1, text: 'a' }, b: { x: 1 }, c: { x: 1, text: 'c' } }, { a: { x: 2, text: 'A' }, c: { x: 1, text: 'c' }, d: {} })).toEqual({ added: ['d'], removed: ['b'], moved: ['a'], edited: ['a'] });
  });
});
