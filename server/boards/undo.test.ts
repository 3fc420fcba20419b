/**
 * Undo and redo per person on a live board, with two people's BoardClients over real sockets and the
 * undo manager the board page uses (boardUndoManager: only edits made with LOCAL_ORIGIN). What
 * each client shows and what the server stored are compared after every step.
 */
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { boardUndoManager, LOCAL_ORIGIN, putItem, readItems, setFields, type BoardItem } from '../shared/board.js';
import { signUp, startTestServer, trpcClient, type TestServer, type TestUser } from '../testing/harness.js';
import { loadBoardDoc } from './store.js';
import { addMember, openBoard, waitForDoc, waitSaved, type OpenBoard } from '../testing/teams.js';

let server: TestServer;
let ana: TestUser;
let ben: TestUser;
let workspaceId: string;

beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'));
  ana = await signUp(server, 'Ana Owner');
  ben = await signUp(server, 'Ben Editor');
  workspaceId = (await trpcClient(server, ana).workspace.create.mutate({ name: 'Undo team' })).id;
  await addMember(server.deps.db, workspaceId, ben.id, 'editor');
});
afterAll(async () => {
  await server?.stop();
});

type Person = OpenBoard & { undo: Y.UndoManager; edit: (fn: (doc: Y.Doc) => void) => void };

/** Opens the board as the page does: a BoardClient, and an undo manager for this person's edits. */
async function open(user: TestUser, boardId: string): Promise<Person> {
  const b = await openBoard(server, user, boardId);
  const undo = boardUndoManager(b.client.doc);
  return {
    ...b,
    undo,
    // Each edit is its own undo step, as a key press or a saved note is on the page.
    edit(fn) {
      undo.stopCapturing();
      b.client.doc.transact(() => fn(b.client.doc), LOCAL_ORIGIN);
    },
    close() {
      undo.destroy();
      b.close();
    },
  };
}

const item = (doc: Y.Doc, id: string) => readItems(doc).find((i) => i.id === id);
const state = (doc: Y.Doc) => JSON.stringify(readItems(doc));

/** Waits until both clients hold the same items as `expected` says, then checks the stored board equals them. */
async function expectEverywhere(a: Person, b: Person, boardId: string, expected: Record<string, Partial<BoardItem> | null>) {
  const matches = (doc: Y.Doc) => Object.entries(expected).every(([id, f]) => (f === null ? !item(doc, id) : Object.entries(f).every(([k, v]) => item(doc, id)?.[k as keyof BoardItem] === v)));
  await waitSaved(a.client);
  await waitSaved(b.client);
  await waitForDoc(a.client.doc, matches, 10_000, 'first client');
  await waitForDoc(b.client.doc, matches, 10_000, 'second client');
  const stored = await loadBoardDoc(server.deps.db, boardId);
  try {
    expect(matches(stored)).toBe(true);
    expect(state(stored)).toBe(state(a.client.doc));
    expect(state(b.client.doc)).toBe(state(a.client.doc));
  } finally {
    stored.destroy();
  }
}

describe('undo per person', () => {
  it("A edits, B edits, A undoes: only A's change is gone, on both clients and in the stored board; A redoes it", async () => {
    const boardId = (await trpcClient(server, ana).board.create.mutate({ workspaceId, name: 'Undo' })).id;
    const a = await open(ana, boardId);
    const b = await open(ben, boardId);
    a.edit((d) => void putItem(d, { id: 'a1', type: 'note', x: 40, y: 40, w: 200, h: 150, z: 1, text: 'Ana’s note', createdBy: ana.id }));
    b.edit((d) => void putItem(d, { id: 'b1', type: 'note', x: 300, y: 40, w: 200, h: 150, z: 2, text: 'Ben’s note', createdBy: ben.id }));
    await expectEverywhere(a, b, boardId, { a1: { x: 40 }, b1: { x: 300 } });

    // A moves her note; B then moves his and rewrites the text of hers (another field of the same item).
    a.edit((d) => setFields(d, 'a1', { x: 140, y: 90 }));
    await expectEverywhere(a, b, boardId, { a1: { x: 140, y: 90 } });
    b.edit((d) => {
      setFields(d, 'b1', { x: 500 });
      setFields(d, 'a1', { text: 'Ana’s note, reviewed by Ben' });
    });
    await expectEverywhere(a, b, boardId, { b1: { x: 500 }, a1: { text: 'Ana’s note, reviewed by Ben' } });

    // A undoes: her move is gone; Ben's move and Ben's text stay.
    expect(a.undo.canUndo()).toBe(true);
    a.undo.undo();
    await expectEverywhere(a, b, boardId, { a1: { x: 40, y: 40, text: 'Ana’s note, reviewed by Ben' }, b1: { x: 500, text: 'Ben’s note' } });

    // A redoes: her move is back, Ben's changes untouched.
    expect(a.undo.canRedo()).toBe(true);
    a.undo.redo();
    await expectEverywhere(a, b, boardId, { a1: { x: 140, y: 90, text: 'Ana’s note, reviewed by Ben' }, b1: { x: 500 } });

    // B's own undo takes back only B's last step (both parts of it), not Ana's move.
    b.undo.undo();
    await expectEverywhere(a, b, boardId, { a1: { x: 140, y: 90, text: 'Ana’s note' }, b1: { x: 300 } });

    // A second undo by A takes back her note itself; Ben's stays.
    a.undo.undo(); // the move
    a.undo.undo(); // the note
    await expectEverywhere(a, b, boardId, { a1: null, b1: { x: 300 } });
    expect(a.undo.canUndo()).toBe(false);

    // Someone opening the board afresh sees the same.
    const c = await open(ben, boardId);
    expect(state(c.client.doc)).toBe(state(a.client.doc));
    for (const p of [a, b, c]) p.close();
  });

  it('an undo never overwrites what the other person wrote since in the same field: that step is skipped, the one before is undone', async () => {
    const boardId = (await trpcClient(server, ana).board.create.mutate({ workspaceId, name: 'Colours' })).id;
    const a = await open(ana, boardId);
    const b = await open(ben, boardId);
    a.edit((d) => void putItem(d, { id: 'n', type: 'note', x: 0, y: 0, w: 200, h: 150, z: 1, text: 'Swatch', color: 'yellow' }));
    await expectEverywhere(a, b, boardId, { n: { color: 'yellow' } });
    a.edit((d) => setFields(d, 'n', { x: 100 }));
    await expectEverywhere(a, b, boardId, { n: { x: 100 } });
    a.edit((d) => setFields(d, 'n', { color: 'blue' }));
    await expectEverywhere(a, b, boardId, { n: { color: 'blue' } });
    b.edit((d) => setFields(d, 'n', { color: 'pink' }));
    await expectEverywhere(a, b, boardId, { n: { color: 'pink' } });
    // Ana's colour was replaced by Ben's: undoing it would change nothing of hers, so her undo takes
    // back her move instead, and Ben's pink stays.
    a.undo.undo();
    await expectEverywhere(a, b, boardId, { n: { x: 0, color: 'pink', text: 'Swatch' } });
    a.undo.redo();
    await expectEverywhere(a, b, boardId, { n: { x: 100, color: 'pink' } });
    // Remote edits are never on a person's own stack: Ben has one step, his colour.
    b.undo.undo();
    await expectEverywhere(a, b, boardId, { n: { x: 100, color: 'blue' } });
    expect(b.undo.canUndo()).toBe(false);
    a.close();
    b.close();
  });
});
