import { sql } from 'kysely';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { io as ioClient } from 'socket.io-client';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BoardClient } from '../../app/lib/board-client.js';
import { putItem, readItems } from '../shared/board.js';
import { connectSocket, eventually, signUp, startTestServer, trpcClient, trpcErrorCode, waitForEvent, type TestServer, type TestSocket, type TestUser } from '../testing/harness.js';
import { loadBoardDoc } from '../boards/store.js';
import { addMember, openBoard, snapshotJson, waitForDoc, waitSaved, withDeadline } from '../testing/teams.js';
import { hashToken } from '../services/share-links.js';
import { collectUserData, requestDeletion, runDeletion } from '../services/privacy.js';

let server: TestServer;
let owner: TestUser;
let editor: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let workspaceId: string;

beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'), { env: { SHARE_LINK_JOINS_PER_MINUTE: '1000' } });
  owner = await signUp(server, 'Olivia Owner');
  editor = await signUp(server, 'Eddie Editor');
  viewer = await signUp(server, 'Vera Viewer');
  outsider = await signUp(server, 'Oscar Outsider');
  workspaceId = (await trpcClient(server, owner).workspace.create.mutate({ name: 'Share team' })).id;
  await addMember(server.deps.db, workspaceId, editor.id, 'editor');
  await addMember(server.deps.db, workspaceId, viewer.id, 'viewer');
});
afterAll(async () => {
  await server?.stop();
});

const anon = () => trpcClient(server);
const newBoard = async (name = 'Shared board', ws = workspaceId, user = owner) => (await trpcClient(server, user).board.create.mutate({ workspaceId: ws, name })).id;
const makeLink = async (boardId: string, opts: { showNames?: boolean; expiresInDays?: 0 | 1 | 7 | 30; user?: TestUser } = {}) =>
  trpcClient(server, opts.user ?? editor).share.create.mutate({ boardId, label: 'For the client', showNames: opts.showNames ?? false, expiresInDays: opts.expiresInDays ?? 0 });
const storedUpdates = async (boardId: string) => Number((await sql<{ n: number }>`select count(*)::int as n from board_update where board_id = ${boardId}`.execute(server.deps.db)).rows[0]!.n);
const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return trpcErrorCode(err).appCode;
  }
};

/** A socket opened with a share link (no cookie): resolves once connected, rejects with the handshake's refusal. */
function linkSocket(token: string): Promise<TestSocket> {
  const socket: TestSocket = ioClient(server.url, { path: '/socket.io', transports: ['websocket'], reconnection: false, auth: { share: token }, extraHeaders: { origin: server.config.baseUrl } });
  const history: { event: string; args: unknown[] }[] = [];
  socket.onAny((event: string, ...args: unknown[]) => history.push({ event, args }));
  (socket as TestSocket & { history?: typeof history }).history = history;
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}
const refusal = async (token: string) => linkSocket(token).then((s) => (s.close(), 'connected'), (err: Error) => err.message);
async function openAsLink(token: string, boardId: string) {
  const socket = await linkSocket(token);
  const client = new BoardClient(socket as never, boardId);
  const join = await client.start();
  if (join.ok) await withDeadline(client.synced(), 10_000, 'first sync');
  return { socket, client, join, close: () => (client.destroy(), socket.close()) };
}
const note = (doc: Y.Doc, id: string, text: string) => doc.transact(() => void putItem(doc, { id, type: 'note', x: 10, y: 10, w: 160, h: 120, z: 1, text }));
const disconnected = (s: TestSocket) => new Promise<string>((r) => (s.disconnected ? r('already') : s.once('disconnect', (reason) => r(reason))));

describe('making and managing links', () => {
  it('gives the token once, stores only its hash, audits, and lists links without tokens', async () => {
    const boardId = await newBoard();
    const made = await makeLink(boardId);
    expect(made.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(made.path).toBe(`/s/${made.token}`);
    const row = await server.deps.db.selectFrom('board_share_link').selectAll().where('id', '=', made.link.id).executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(hashToken(made.token));
    expect(JSON.stringify(row)).not.toContain(made.token);
    const audit = await server.deps.db.selectFrom('audit_log').select(['user_id', 'detail']).where('action', '=', 'share-link.created').execute();
    expect(audit.some((a) => a.user_id === editor.id && JSON.stringify(a.detail).includes(made.link.id))).toBe(true);
    expect(audit.every((a) => !JSON.stringify(a.detail).includes(made.token))).toBe(true);
    const list = await trpcClient(server, editor).share.list.query({ boardId });
    expect(list.links.map((l) => [l.label, l.state, l.createdBy])).toEqual([['For the client', 'active', 'Eddie Editor']]);
    expect(JSON.stringify(list)).not.toContain(made.token);
  });

  it('refuses viewers (FORBIDDEN, in words) and non-members (NOT_FOUND); nothing is made', async () => {
    const boardId = await newBoard();
    expect(await codeOf(makeLink(boardId, { user: viewer }))).toBe('FORBIDDEN');
    expect(await codeOf(makeLink(boardId, { user: outsider }))).toBe('NOT_FOUND');
    expect(await codeOf(trpcClient(server, viewer).share.list.query({ boardId }))).toBe('FORBIDDEN');
    expect(await codeOf(trpcClient(server, outsider).share.list.query({ boardId }))).toBe('NOT_FOUND');
    const n = await server.deps.db.selectFrom('board_share_link').select((eb) => eb.fn.countAll<string>().as('n')).where('board_id', '=', boardId).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(0);
  });

  it('opens for anyone with the token; revoked and expired links are refused over HTTP', async () => {
    const boardId = await newBoard('Moodboard');
    const a = await makeLink(boardId);
    const b = await makeLink(boardId, { expiresInDays: 1 });
    expect(await anon().share.open.query({ token: a.token })).toMatchObject({ boardId, name: 'Moodboard', showNames: false });
    expect(await anon().share.open.query({ token: b.token })).toMatchObject({ boardId });
    await trpcClient(server, editor).share.revoke.mutate({ linkId: a.link.id });
    expect(await codeOf(anon().share.open.query({ token: a.token }))).toBe('SHARE_LINK_INVALID');
    await sql`update board_share_link set expires_at = now() - interval '1 second' where id = ${b.link.id}`.execute(server.deps.db);
    expect(await codeOf(anon().share.open.query({ token: b.token }))).toBe('SHARE_LINK_INVALID');
    // A token never made, and one of the wrong shape, answer the same.
    expect(await codeOf(anon().share.open.query({ token: 'A'.repeat(22) }))).toBe('SHARE_LINK_INVALID');
    const list = await trpcClient(server, editor).share.list.query({ boardId });
    expect(Object.fromEntries(list.links.map((l) => [l.id, l.state]))).toEqual({ [a.link.id]: 'revoked', [b.link.id]: 'expired' });
    expect((await server.deps.db.selectFrom('audit_log').select('id').where('action', '=', 'share-link.revoked').execute()).length).toBeGreaterThan(0);
  });

  it('stops every link of the workspace while "allow share links" is off (owners and admins only), and they work again when on', async () => {
    const ws = (await trpcClient(server, owner).workspace.create.mutate({ name: 'Switch team' })).id;
    await addMember(server.deps.db, ws, editor.id, 'editor');
    const boardId = await newBoard('Switch board', ws);
    const link = await makeLink(boardId);
    expect(await codeOf(trpcClient(server, editor).share.setAllowed.mutate({ workspaceId: ws, allow: false }))).toBe('FORBIDDEN');
    await trpcClient(server, owner).share.setAllowed.mutate({ workspaceId: ws, allow: false });
    expect(await codeOf(anon().share.open.query({ token: link.token }))).toBe('SHARE_LINK_INVALID');
    expect(await refusal(link.token)).toBe('SHARE_LINK_INVALID');
    expect(await codeOf(makeLink(boardId))).toBe('SHARE_LINKS_OFF');
    expect(await trpcClient(server, editor).share.list.query({ boardId })).toMatchObject({ allowed: false, canChangeSetting: false });
    await trpcClient(server, owner).share.setAllowed.mutate({ workspaceId: ws, allow: true });
    expect(await anon().share.open.query({ token: link.token })).toMatchObject({ boardId });
  });
});

describe('a link holder on the board', () => {
  it('sees the board and live edits, read-only: an update is refused and the stored document is unchanged', async () => {
    const boardId = await newBoard();
    const ed = await openBoard(server, editor, boardId);
    note(ed.client.doc, 'n1', 'before');
    await waitSaved(ed.client);
    const { token } = await makeLink(boardId);
    const holder = await openAsLink(token, boardId);
    expect(holder.join).toMatchObject({ ok: true, readOnly: true, role: 'viewer', workspaceId: '' });
    expect(readItems(holder.client.doc).map((i) => i.text)).toEqual(['before']);
    // A live edit arrives.
    note(ed.client.doc, 'n2', 'live');
    await waitForDoc(holder.client.doc, (d) => readItems(d).some((i) => i.text === 'live'));
    await waitSaved(ed.client);

    const before = snapshotJson(await loadBoardDoc(server.deps.db, boardId));
    const count = await storedUpdates(boardId);
    const sneaky = new Y.Doc();
    Y.applyUpdate(sneaky, Y.encodeStateAsUpdate(holder.client.doc));
    note(sneaky, 'n3', 'written through a link');
    const enc = encoding.createEncoder();
    syncProtocol.writeUpdate(enc, Y.encodeStateAsUpdate(sneaky, Y.encodeStateVector(holder.client.doc)));
    expect(await holder.client.sendRaw(encoding.toUint8Array(enc))).toMatchObject({ ok: false, code: 'BOARD_READ_ONLY' });
    const part = await new Promise((r) => holder.socket.emit('board:sync-part', boardId, { id: 'x', index: 0, total: 2 }, new Uint8Array(8), r));
    expect(part).toMatchObject({ ok: false, code: 'BOARD_READ_ONLY' });
    // The editor keeps editing; nothing of the link's reached the live document or the store.
    note(ed.client.doc, 'n4', 'after');
    await waitSaved(ed.client);
    const stored = await loadBoardDoc(server.deps.db, boardId);
    expect(readItems(stored).map((i) => i.text).sort()).toEqual(['after', 'before', 'live']);
    expect(await storedUpdates(boardId)).toBe(count + 1);
    expect(snapshotJson(stored)).not.toBe(before);
    expect(readItems(ed.client.doc).some((i) => i.text === 'written through a link')).toBe(false);
    holder.close();
    ed.close();
  });

  it('cannot open another board, not even one of the same workspace', async () => {
    const boardId = await newBoard();
    const other = await newBoard('Other board');
    const { token } = await makeLink(boardId);
    const socket = await linkSocket(token);
    const client = new BoardClient(socket as never, other);
    expect(await client.start()).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    socket.close();
  });

  it('cannot list members: no names over the socket unless the link says so, no account for tRPC', async () => {
    const boardId = await newBoard();
    const ed = await openBoard(server, editor, boardId);
    ed.client.awareness.setLocalStateField('user', { name: 'Eddie Editor', color: '#f00' });
    const { token } = await makeLink(boardId);
    const holder = await openAsLink(token, boardId);
    // The editor moves their cursor; a named link sees it, this one does not.
    const named = await openAsLink((await makeLink(boardId, { showNames: true })).token, boardId);
    ed.client.awareness.setLocalStateField('cursor', { x: 5, y: 5 });
    // Waits for the cursor move itself (not the snapshot sent at the join): by then the other link would have it too.
    await eventually(async () => [...named.client.awareness.getStates().values()].some((s) => (s.user as { name?: string } | undefined)?.name === 'Eddie Editor' && (s.cursor as { x?: number } | undefined)?.x === 5));
    const history = (holder.socket as TestSocket & { history: { event: string; args: unknown[] }[] }).history;
    expect(history.filter((h) => h.event === 'board:awareness')).toEqual([]);
    expect(JSON.stringify(history)).not.toMatch(/Eddie|Olivia|Vera|@example\.test/);
    expect(holder.client.awareness.getStates().size).toBe(1); // only its own (empty) state
    // Members' lists need an account; the link's page gets the board's name only.
    expect(await codeOf(anon().workspace.members.query({ workspaceId }))).toBe('UNAUTHORIZED');
    expect(Object.keys(await anon().share.open.query({ token })).sort()).toEqual(['boardId', 'expiresAt', 'name', 'showNames']);
    holder.close();
    named.close();
    ed.close();
  });

  it('shows members a count of anonymous viewers, never who', async () => {
    const boardId = await newBoard();
    const ed = await openBoard(server, editor, boardId);
    const { token } = await makeLink(boardId);
    const h1 = await openAsLink(token, boardId);
    await waitForEvent(ed.socket, 'board:viewers', (e) => e.boardId === boardId && e.anonymous === 1);
    const h2 = await openAsLink(token, boardId);
    await waitForEvent(ed.socket, 'board:viewers', (e) => e.boardId === boardId && e.anonymous === 2);
    h1.close();
    h2.close();
    await waitForEvent(ed.socket, 'board:viewers', (e) => e.boardId === boardId && e.anonymous === 0);
    // No presence state of a link holder ever reached the member.
    expect([...ed.client.awareness.getStates().keys()]).toEqual([ed.client.doc.clientID]);
    ed.close();
  });

  it('is disconnected at once when the link is revoked, and refused when it comes back (socket)', async () => {
    const boardId = await newBoard();
    const link = await makeLink(boardId);
    const holder = await openAsLink(link.token, boardId);
    const gone = disconnected(holder.socket);
    const told = waitForEvent(holder.socket, 'board:error', (e) => e.code === 'SHARE_LINK_INVALID');
    await trpcClient(server, editor).share.revoke.mutate({ linkId: link.link.id });
    expect(await withDeadline(gone, 5_000, 'disconnect')).toBe('io server disconnect');
    expect((await told).message).toMatch(/no longer valid/);
    expect(await refusal(link.token)).toBe('SHARE_LINK_INVALID');
    holder.client.destroy();
  });

  it('is disconnected when links are switched off, and when its link expires while connected', async () => {
    const ws = (await trpcClient(server, owner).workspace.create.mutate({ name: 'Expiry team' })).id;
    const boardId = await newBoard('Expiry board', ws);
    const a = await makeLink(boardId, { user: owner });
    const holder = await openAsLink(a.token, boardId);
    const gone = disconnected(holder.socket);
    await trpcClient(server, owner).share.setAllowed.mutate({ workspaceId: ws, allow: false });
    expect(await withDeadline(gone, 5_000, 'disconnect on switch-off')).toBe('io server disconnect');
    holder.client.destroy();
    await trpcClient(server, owner).share.setAllowed.mutate({ workspaceId: ws, allow: true });

    // Expires in a moment: the socket is ended when it does, and the link is refused afterwards.
    const b = await makeLink(boardId, { user: owner, expiresInDays: 1 });
    await sql`update board_share_link set expires_at = now() + interval '1500 milliseconds' where id = ${b.link.id}`.execute(server.deps.db);
    const h2 = await openAsLink(b.token, boardId);
    const gone2 = disconnected(h2.socket);
    // The expiry is read again at the join, so the shortened one applies.
    expect(await withDeadline(gone2, 8_000, 'disconnect on expiry')).toBe('io server disconnect');
    h2.client.destroy();
    expect(await refusal(b.token)).toBe('SHARE_LINK_INVALID');
  });
});

describe('the data export', () => {
  it('lists the links a person made, with their board and state, never a token; not links others made', async () => {
    const boardId = await newBoard('Exported board');
    const mine = await makeLink(boardId, { expiresInDays: 7 });
    const theirs = await makeLink(boardId, { user: owner });
    await trpcClient(server, editor).share.revoke.mutate({ linkId: mine.link.id });
    const data = await collectUserData(server.deps, editor.id);
    const exported = data.shareLinks.filter((l) => l.boardId === boardId);
    expect(exported).toEqual([expect.objectContaining({ id: mine.link.id, boardName: 'Exported board', workspaceId, label: 'For the client', showsNames: false })]);
    expect(exported[0]!.expiresAt).not.toBeNull();
    expect(exported[0]!.revokedAt).not.toBeNull();
    expect(data.shareLinks.some((l) => l.id === theirs.link.id)).toBe(false);
    expect(JSON.stringify(data)).not.toContain(mine.token);
    expect(JSON.stringify(data)).not.toContain(hashToken(mine.token));
  });
});

describe('a deleted account', () => {
  it('ends the links of its personal boards: a connected holder is disconnected, the link refused', async () => {
    const leaving = await signUp(server, 'Lea Leaving');
    const personal = (await trpcClient(server, leaving).me.get.query())!.workspaces[0]!.id;
    const boardId = await newBoard('Personal board', personal, leaving);
    const link = await makeLink(boardId, { user: leaving });
    const holder = await openAsLink(link.token, boardId);
    const gone = disconnected(holder.socket);
    const req = await requestDeletion(server.deps, { userId: leaving.id });
    await runDeletion(server.deps, req.id, new Date(Date.now() + 400 * 86_400_000));
    expect(await server.deps.db.selectFrom('user').select('id').where('id', '=', leaving.id).executeTakeFirst()).toBeUndefined();
    expect(await withDeadline(gone, 5_000, 'disconnect on account deletion')).toBe('io server disconnect');
    holder.client.destroy();
    expect(await refusal(link.token)).toBe('SHARE_LINK_INVALID');
  });
});

describe('images through a link', () => {
  it('serves an image on the shared board only: not another asset of the workspace, not one of another workspace, not a hidden one, not after revoking', async () => {
    const boardId = await newBoard('Images');
    const api = trpcClient(server, owner);
    const watcher = await connectSocket(server, owner);
    const gen = await api.generation.create.mutate({ workspaceId, prompt: 'two shared images', count: 2 });
    const done = await waitForEvent(watcher, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded', 20_000);
    const [onBoard, notOnBoard] = done.assetIds!;
    const personal = (await trpcClient(server, outsider).me.get.query())!.workspaces[0]!.id;
    const outsiderSocket = await connectSocket(server, outsider);
    const otherGen = await trpcClient(server, outsider).generation.create.mutate({ workspaceId: personal, prompt: 'someone else' });
    const [foreign] = (await waitForEvent(outsiderSocket, 'generation:update', (e) => e.id === otherGen.id && e.status === 'succeeded', 20_000)).assetIds!;
    watcher.close();
    outsiderSocket.close();
    const ed = await openBoard(server, owner, boardId);
    ed.client.doc.transact(() => void putItem(ed.client.doc, { id: 'img-1', type: 'image', x: 0, y: 0, w: 200, h: 200, z: 1, assetId: onBoard!, url: `/files/${onBoard}` }));
    await waitSaved(ed.client);
    ed.close();

    const link = await makeLink(boardId);
    const get = (id: string, q = '') => fetch(`${server.url}/s/${link.token}/files/${id}${q}`);
    const ok = await get(onBoard!);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^image\//);
    expect(ok.headers.get('cache-control')).toBe('private, no-store');
    expect(ok.headers.get('referrer-policy')).toBe('no-referrer');
    expect((await ok.arrayBuffer()).byteLength).toBeGreaterThan(100);
    expect((await get(onBoard!, '?thumb=1')).headers.get('content-type')).toBe('image/webp');
    expect((await get(notOnBoard!)).status).toBe(404);
    expect((await get(foreign!)).status).toBe(404);
    // Without the link the same file is for members only.
    expect((await fetch(`${server.url}/files/${onBoard}`)).status).toBe(401);
    await sql`update asset set hidden_at = now(), hidden_reason = 'other' where id = ${onBoard}`.execute(server.deps.db);
    expect((await get(onBoard!)).status).toBe(404);
    await sql`update asset set hidden_at = null, hidden_reason = null where id = ${onBoard}`.execute(server.deps.db);
    expect((await get(onBoard!)).status).toBe(200);
    await trpcClient(server, editor).share.revoke.mutate({ linkId: link.link.id });
    const revoked = await get(onBoard!);
    expect(revoked.status).toBe(410);
    expect(((await revoked.json()) as { code?: string; error?: { code?: string } }).error?.code ?? '').toBe('SHARE_LINK_INVALID');
  });

  it('limits requests per link (429 beyond the budget)', async () => {
    const limited = await startTestServer(inject('pgAdminUrl'), { env: { SHARE_LINK_REQUESTS_PER_MINUTE: '3', SHARE_LINK_JOINS_PER_MINUTE: '2' } });
    try {
      const u = await signUp(limited);
      const ws = (await trpcClient(limited, u).me.get.query())!.workspaces[0]!.id;
      const boardId = (await trpcClient(limited, u).board.create.mutate({ workspaceId: ws, name: 'Busy' })).id;
      const { token } = await trpcClient(limited, u).share.create.mutate({ boardId, label: 'Busy link' });
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await fetch(`${limited.url}/trpc/share.open?input=${encodeURIComponent(JSON.stringify({ json: { token } }))}`)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const connect = () =>
        new Promise<string>((resolve) => {
          const s = ioClient(limited.url, { path: '/socket.io', transports: ['websocket'], reconnection: false, auth: { share: token }, extraHeaders: { origin: limited.config.baseUrl } });
          s.once('connect', () => (s.close(), resolve('connected')));
          s.once('connect_error', (e) => (s.close(), resolve(e.message)));
        });
      expect([await connect(), await connect(), await connect()]).toEqual(['connected', 'connected', 'RATE_LIMITED']);
    } finally {
      await limited.stop();
    }
  });
});

describe('reports from link holders', () => {
  it('files a report without an account, only for an item on the shared board, once per link; refused after revoking', async () => {
    const boardId = await newBoard();
    const ed = await openBoard(server, editor, boardId);
    note(ed.client.doc, 'bad', 'something nasty');
    await waitSaved(ed.client);
    ed.close();
    const link = await makeLink(boardId);
    const first = await anon().share.report.mutate({ token: link.token, itemId: 'bad', reason: 'hate', note: 'seen via link' });
    expect(first.duplicate).toBe(false);
    const row = await server.deps.db.selectFrom('report').selectAll().where('id', '=', first.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ via: 'link', reporter_id: null, share_link_id: link.link.id, board_id: boardId, item_id: 'bad', excerpt: 'something nasty', reason: 'hate' });
    expect((await anon().share.report.mutate({ token: link.token, itemId: 'bad', reason: 'hate' })).duplicate).toBe(true);
    expect(await codeOf(anon().share.report.mutate({ token: link.token, itemId: 'not-there', reason: 'spam' }))).toBe('NOT_FOUND');
    await trpcClient(server, editor).share.revoke.mutate({ linkId: link.link.id });
    expect(await codeOf(anon().share.report.mutate({ token: link.token, itemId: 'bad', reason: 'spam' }))).toBe('SHARE_LINK_INVALID');
  });
});
