import { sql } from 'kysely';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fromWire } from '../shared/board-wire.js';
import { putItem } from '../shared/board.js';
import { connectSocket, eventually, signUp, startTestServer, trpcClient, waitForEvent, type TestServer, type TestSocket, type TestUser } from '../testing/harness.js';
import { addMember, openBoard, waitSaved } from '../testing/teams.js';

let server: TestServer;
let owner: TestUser;
let viewer: TestUser;
let workspaceId: string;

const SYNC_PER_MINUTE = 3;
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'), {
    env: { BOARD_SYNC_PER_MINUTE: String(SYNC_PER_MINUTE), BOARD_UPDATES_PER_SECOND: '5', BOARD_JOINS_PER_MINUTE: '6', BOARD_PART_TIMEOUT_MS: '300', BOARDS_PER_SOCKET: '2', SOCKETS_PER_USER: '3' },
  });
  owner = await signUp(server, 'Lena Limits');
  viewer = await signUp(server, 'Vic Viewer');
  workspaceId = (await trpcClient(server, owner).workspace.create.mutate({ name: 'Limits team' })).id;
  await addMember(server.deps.db, workspaceId, viewer.id, 'viewer');
});
afterAll(async () => {
  await server?.stop();
});

const newBoard = async () => (await trpcClient(server, owner).board.create.mutate({ workspaceId, name: 'Board' })).id;
const storedUpdates = async (boardId: string) => Number((await sql<{ n: number }>`select count(*)::int as n from board_update where board_id = ${boardId}`.execute(server.deps.db)).rows[0]!.n);
const send = (socket: TestSocket, boardId: string, message: Uint8Array) => new Promise<{ ok: boolean; code?: string }>((resolve) => socket.emit('board:sync', boardId, message, resolve));
const join = (socket: TestSocket, boardId: string) => new Promise<{ ok: boolean; code?: string }>((resolve) => socket.emit('board:join', boardId, resolve));
const step1 = () => {
  const enc = encoding.createEncoder();
  syncProtocol.writeSyncStep1(enc, new Y.Doc());
  return encoding.toUint8Array(enc);
};
const updateMessage = (doc: Y.Doc) => {
  const enc = encoding.createEncoder();
  syncProtocol.writeUpdate(enc, Y.encodeStateAsUpdate(doc));
  return encoding.toUint8Array(enc);
};
/** The whole-document answers (sync step 2) this socket received for the board. */
const copiesReceived = (socket: TestSocket, boardId: string) =>
  ((socket as TestSocket & { history: { event: string; args: unknown[] }[] }).history ?? []).filter((h) => {
    if (h.event !== 'board:sync' || h.args[0] !== boardId) return false;
    const bytes = fromWire(h.args[1]);
    return bytes !== null && decoding.readVarUint(decoding.createDecoder(bytes)) === syncProtocol.messageYjsSyncStep2;
  }).length;

describe('board socket limits', () => {
  it('sends at most BOARD_SYNC_PER_MINUTE document copies per socket per minute, to a viewer too; more are refused BOARD_SYNC_LIMITED', async () => {
    const boardId = await newBoard();
    const ed = await openBoard(server, owner, boardId);
    ed.client.doc.transact(() => putItem(ed.client.doc, { id: 'big', type: 'note', x: 0, y: 0, w: 10, h: 10, z: 1, text: 'x'.repeat(20_000) }));
    await waitSaved(ed.client);
    const socket = await connectSocket(server, viewer);
    expect(await join(socket, boardId)).toMatchObject({ ok: true });
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await send(socket, boardId, step1()));
    expect(answers.filter((a) => a.ok)).toHaveLength(SYNC_PER_MINUTE);
    expect(answers.filter((a) => !a.ok).every((a) => a.code === 'BOARD_SYNC_LIMITED')).toBe(true);
    await waitForEvent(socket, 'board:error', (e) => e.code === 'BOARD_SYNC_LIMITED');
    expect(copiesReceived(socket, boardId)).toBeLessThanOrEqual(SYNC_PER_MINUTE);
    socket.close();
    ed.close();
  });

  it('refused updates take a rate token too (a viewer flooding is rate limited, not answered forever)', async () => {
    const boardId = await newBoard();
    const socket = await connectSocket(server, viewer);
    expect(await join(socket, boardId)).toMatchObject({ ok: true });
    const codes = [];
    for (let i = 0; i < 20; i++) {
      const d = new Y.Doc();
      d.getMap('items').set(`v${i}`, i);
      codes.push((await send(socket, boardId, updateMessage(d))).code);
    }
    expect(codes).toContain('BOARD_READ_ONLY');
    expect(codes).toContain('RATE_LIMITED');
    expect(await storedUpdates(boardId)).toBe(0);
    socket.close();
  });

  it('limits joins and leaves per socket (RATE_LIMITED)', async () => {
    const boardId = await newBoard();
    const socket = await connectSocket(server, owner);
    const results = [];
    for (let i = 0; i < 5; i++) {
      results.push(await join(socket, boardId));
      socket.emit('board:leave', boardId);
    }
    // 6 a minute, a join and a leave each time: the fourth join is refused.
    expect(results.slice(0, 3).every((r) => r.ok)).toBe(true);
    expect(results.slice(3).some((r) => r.code === 'RATE_LIMITED')).toBe(true);
    socket.close();
  });

  it('caps the boards open on one socket at BOARDS_PER_SOCKET (BOARD_TOO_MANY_OPEN)', async () => {
    const ids = [await newBoard(), await newBoard(), await newBoard()];
    const socket = await connectSocket(server, owner);
    expect(await join(socket, ids[0]!)).toMatchObject({ ok: true });
    expect(await join(socket, ids[1]!)).toMatchObject({ ok: true });
    expect(await join(socket, ids[2]!)).toMatchObject({ ok: false, code: 'BOARD_TOO_MANY_OPEN' });
    socket.close();
  });

  it('drops a half-sent message in parts after BOARD_PART_TIMEOUT_MS (BOARD_PART_TIMEOUT); its rest is refused, nothing stored', async () => {
    const boardId = await newBoard();
    const socket = await connectSocket(server, owner);
    expect(await join(socket, boardId)).toMatchObject({ ok: true });
    const d = new Y.Doc();
    d.getMap('items').set('p', 'x'.repeat(2000));
    const message = updateMessage(d);
    const half = message.byteLength >> 1;
    const part = (index: number, bytes: Uint8Array) => new Promise<{ ok: boolean; code?: string }>((resolve) => socket.emit('board:sync-part', boardId, { id: 'p1', index, total: 2 }, bytes, resolve));
    expect(await part(0, message.subarray(0, half))).toMatchObject({ ok: true });
    await waitForEvent(socket, 'board:error', (e) => e.boardId === boardId && e.code === 'BOARD_PART_TIMEOUT', 5000);
    expect(await part(1, message.subarray(half))).toMatchObject({ ok: false, code: 'BOARD_UPDATE_MALFORMED' });
    expect(await storedUpdates(boardId)).toBe(0);
    socket.close();
  });

  it('caps the sockets one user may open (TOO_MANY_SOCKETS); closing one makes room', async () => {
    const user = await signUp(server, 'Sid Sockets');
    const open = [await connectSocket(server, user), await connectSocket(server, user), await connectSocket(server, user)];
    await expect(connectSocket(server, user)).rejects.toThrow(/TOO_MANY_SOCKETS/);
    // Another user is not affected.
    (await connectSocket(server, viewer)).close();
    open[0]!.close();
    const again = await eventually(() => connectSocket(server, user).catch(() => null), 5000);
    again.close();
    open.slice(1).forEach((s) => s.close());
  });
});
