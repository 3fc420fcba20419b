import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { putItem, readItems } from '../shared/board.js';
import { connectSocket, eventually, signUp, startTestServer, trpcClient, trpcErrorCode, waitForEvent, type TestServer, type TestUser } from '../testing/harness.js';
import { compactBoard, loadBoardDoc } from './store.js';
import { purgeUnsavedOutputs } from '../services/retention.js';
import { openBoard, waitSaved } from '../testing/teams.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'), { env: { UNSAVED_OUTPUT_RETENTION_DAYS: '30' } });
});
afterAll(async () => {
  await server?.stop();
});

const later = () => new Date(Date.now() + 31 * 86_400_000);

async function generate(user: TestUser, input: { prompt: string; count?: number; boardId?: string; referenceAssetIds?: string[]; workspaceId?: string }) {
  const api = trpcClient(server, user);
  const socket = await connectSocket(server, user);
  const gen = await api.generation.create.mutate(input);
  const done = await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded', 20_000);
  socket.close();
  return done.assetIds!;
}

/** Places library images on a board the way the browser does: a client-side Yjs edit sent over the socket. */
async function placeOnBoard(user: TestUser, boardId: string, assetIds: string[]) {
  const b = await openBoard(server, user, boardId);
  const doc = b.client.doc;
  doc.transact(() => {
    assetIds.forEach((assetId, n) => putItem(doc, { id: `img-${assetId}`, type: 'image', x: 40 + n * 220, y: 40, w: 200, h: 200, z: n + 1, assetId, url: `/files/${assetId}` }));
  });
  await waitSaved(b.client);
  return b;
}

const exists = async (id: string) => Boolean(await server.deps.db.selectFrom('asset').select('id').where('id', '=', id).executeTakeFirst());

describe('retention keeps what is in use', () => {
  it('keeps outputs on a board (placed by a client or by a board generation), favourites and references; removes the rest', async () => {
    const user = await signUp(server);
    const api = trpcClient(server, user);
    const ws = (await api.me.get.query())!.workspaces[0]!.id;
    const boardId = (await api.board.create.mutate({ workspaceId: ws, name: 'Moodboard' })).id;
    const [placed, favourite, reference, plain, removedAgain] = [...(await generate(user, { prompt: 'five of a kind', count: 4 })), ...(await generate(user, { prompt: 'the fifth' }))];
    const [fromBoard] = await generate(user, { prompt: 'made on the board', boardId });
    const [usesReference] = await generate(user, { prompt: 'from a reference', referenceAssetIds: [reference!] });
    await api.asset.setSaved.mutate({ ids: [usesReference!], saved: true });
    await api.asset.setFavorite.mutate({ id: favourite!, favorite: true });
    const b = await placeOnBoard(user, boardId, [placed!, removedAgain!]);
    // One of the two is taken off the board again; the board is compacted (as when everyone leaves).
    b.client.doc.transact(() => b.client.doc.getMap('items').delete(`img-${removedAgain}`));
    await waitSaved(b.client);
    b.close();
    await compactBoard(server.deps.db, boardId);
    expect(readItems(await loadBoardDoc(server.deps.db, boardId)).map((i) => i.assetId).sort()).toEqual([fromBoard, placed].sort());

    const result = await purgeUnsavedOutputs(server.deps, later());
    expect(result.removed).toBeGreaterThanOrEqual(2);
    for (const id of [placed, fromBoard, favourite, reference, usesReference]) expect(await exists(id!), id).toBe(true);
    expect(await exists(plain!)).toBe(false);
    expect(await exists(removedAgain!)).toBe(false);
    // The kept ones still have their files: the board shows them.
    const file = await fetch(`${server.url}/files/${placed}`, { headers: { cookie: user.cookie } });
    expect(file.status).toBe(200);
  });

  it('does not let an asset of another workspace be kept by placing it on a board', async () => {
    const user = await signUp(server);
    const stranger = await signUp(server);
    const api = trpcClient(server, user);
    const ws = (await api.me.get.query())!.workspaces[0]!.id;
    const boardId = (await api.board.create.mutate({ workspaceId: ws, name: 'Mine' })).id;
    const [theirs] = await generate(stranger, { prompt: 'not yours' });
    (await placeOnBoard(user, boardId, [theirs!])).close();
    expect(await server.deps.db.selectFrom('board_asset').select('asset_id').where('board_id', '=', boardId).execute()).toEqual([]);
  });
});

describe('deleting an image a board shows', () => {
  it('asks first (ASSET_IN_USE naming the boards) and changes nothing; confirmed, deletes it and the boards show it as removed', async () => {
    const user = await signUp(server);
    const api = trpcClient(server, user);
    const ws = (await api.me.get.query())!.workspaces[0]!.id;
    const mood = (await api.board.create.mutate({ workspaceId: ws, name: 'Moodboard' })).id;
    const launch = (await api.board.create.mutate({ workspaceId: ws, name: 'Launch' })).id;
    const [asset, unused] = await generate(user, { prompt: 'on two boards', count: 2 });
    (await placeOnBoard(user, mood, [asset!])).close();
    const watcher = await placeOnBoard(user, launch, [asset!]);

    const refused = trpcErrorCode(await api.asset.delete.mutate({ id: asset! }).catch((e: unknown) => e));
    expect(refused).toMatchObject({ httpStatus: 409, appCode: 'ASSET_IN_USE', message: 'This image is on 2 boards: Launch, Moodboard. Delete anyway?' });
    const many = trpcErrorCode(await api.asset.deleteMany.mutate({ ids: [asset!, unused!] }).catch((e: unknown) => e));
    expect(many).toMatchObject({ appCode: 'ASSET_IN_USE' });
    expect(await exists(asset!)).toBe(true);
    expect(await exists(unused!)).toBe(true);
    expect((await fetch(`${server.url}/files/${asset}`, { headers: { cookie: user.cookie } })).status).toBe(200);
    // An image on no board is deleted without asking.
    await api.asset.delete.mutate({ id: unused! });
    expect(await exists(unused!)).toBe(false);

    await api.asset.delete.mutate({ id: asset!, confirm: true });
    expect(await exists(asset!)).toBe(false);
    expect((await fetch(`${server.url}/files/${asset}`, { headers: { cookie: user.cookie } })).status).toBe(404);
    // Everyone on the board sees the item turn into a "removed" tile; the stored boards say so too.
    await eventually(async () => readItems(watcher.client.doc).find((i) => i.assetId === asset)?.status === 'removed');
    for (const id of [mood, launch]) expect(readItems(await loadBoardDoc(server.deps.db, id)).find((i) => i.assetId === asset)).toMatchObject({ type: 'image', status: 'removed' });
    expect(await sql<{ n: number }>`select count(*)::int as n from board_asset where asset_id = ${asset}`.execute(server.deps.db).then((r) => r.rows[0]!.n)).toBe(0);
    watcher.close();
  });
});
