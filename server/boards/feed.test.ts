/**
 * A board's job feed (issue 17): generations started from a board reach everyone on the board live
 * (`board:job` in the board's room, over real sockets), whoever started them, and are listed from
 * storage for those who arrive later; non-members see nothing.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BoardJobEvent } from '../shared/realtime.js';
import { connectSocket, signUp, startTestServer, trpcClient, trpcErrorCode, waitForEvent, type TestServer, type TestUser } from '../testing/harness.js';
import { addMember, openBoard, waitForDoc } from '../testing/teams.js';
import { itemsOf } from '../shared/board.js';

let server: TestServer;
let ada: TestUser;
let ben: TestUser;
let cy: TestUser;
let outsider: TestUser;
let workspaceId: string;

beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'));
  ada = await signUp(server, 'Ada Author');
  ben = await signUp(server, 'Ben Watcher');
  cy = await signUp(server, 'Cy Latecomer');
  outsider = await signUp(server, 'Oz Outsider');
  workspaceId = (await trpcClient(server, ada).workspace.create.mutate({ name: 'Feed team' })).id;
  await addMember(server.deps.db, workspaceId, ben.id, 'viewer');
  await addMember(server.deps.db, workspaceId, cy.id, 'editor');
});
afterAll(async () => {
  await server?.stop();
});

describe('board job feed', () => {
  it('everyone on the board sees a job started there go from queued to done, and its item; a later visitor gets the stored feed, newest first', async () => {
    const boardId = (await trpcClient(server, ada).board.create.mutate({ workspaceId, name: 'Feed board' })).id;
    const otherBoard = (await trpcClient(server, ada).board.create.mutate({ workspaceId, name: 'Elsewhere' })).id;
    // Ben (a viewer) has the board open; he did not start anything.
    const b = await openBoard(server, ben, boardId);
    const seen: BoardJobEvent[] = [];
    b.socket.on('board:job', (e) => seen.push(e));
    try {
      const adaSocket = await connectSocket(server, ada);
      const first = await trpcClient(server, ada).generation.create.mutate({ prompt: 'a lighthouse at dusk', boardId, workspaceId });
      await waitForEvent(adaSocket, 'generation:update', (e) => e.id === first.id && e.status === 'succeeded', 20_000);
      const done = await waitForEvent(b.socket, 'board:job', (e) => e.id === first.id && e.status === 'succeeded', 20_000);
      expect(done).toMatchObject({ boardId, userId: ada.id, userName: 'Ada Author', prompt: 'a lighthouse at dusk', progress: 100, itemId: `gen-${first.id}` });
      // Ben saw it queued too (under load the worker may take the job before the "queued" event is
      // out; the feed orders a job's events by updatedAt, so that arrival order is harmless).
      const states = seen.filter((e) => e.id === first.id);
      expect(states.map((e) => e.status)).toContain('queued');
      expect(states.find((e) => e.status === 'queued')!.updatedAt).toBeLessThanOrEqual(done.updatedAt);
      // The item the feed points at is on the board.
      await waitForDoc(b.client.doc, (d) => itemsOf(d).has(`gen-${first.id}`));

      // Jobs on another board, or on none, are not in this board's feed or room.
      const elsewhere = await trpcClient(server, ada).generation.create.mutate({ prompt: 'not here', boardId: otherBoard, workspaceId });
      const second = await trpcClient(server, ada).generation.create.mutate({ prompt: 'a second one', boardId, workspaceId });
      await waitForEvent(b.socket, 'board:job', (e) => e.id === second.id && e.status === 'succeeded', 20_000);
      await waitForEvent(adaSocket, 'generation:update', (e) => e.id === elsewhere.id && e.status === 'succeeded', 20_000);
      expect(seen.some((e) => e.id === elsewhere.id)).toBe(false);
      adaSocket.close();

      // Cy arrives later: the stored feed has both, newest first, finished.
      const feed = await trpcClient(server, cy).board.feed.query({ boardId });
      expect(feed.map((e) => [e.id, e.status, e.userName])).toEqual([
        [second.id, 'succeeded', 'Ada Author'],
        [first.id, 'succeeded', 'Ada Author'],
      ]);
      const err = await trpcClient(server, outsider)
        .board.feed.query({ boardId })
        .then(() => null, trpcErrorCode);
      expect(err).toMatchObject({ httpStatus: 404 });
    } finally {
      b.close();
    }
  }, 60_000);
});
