import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectSocket, signUp, startTestServer, trpcClient, waitForEvent, type TestServer } from '../testing/harness.js';
import { purgeUnsavedOutputs } from './retention.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'), { env: { UNSAVED_OUTPUT_RETENTION_DAYS: '7' } });
});
afterAll(async () => {
  await server?.stop();
});

describe('retention of outputs nobody kept', () => {
  it('removes exactly the expired unsaved outputs and their files, and is idempotent', async () => {
    const user = await signUp(server);
    const api = trpcClient(server, user);
    const socket = await connectSocket(server, user);
    const gen = await api.generation.create.mutate({ prompt: 'four of a kind', count: 4 });
    const done = await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded');
    const [kept, fresh, old1, old2] = done.assetIds!;
    await api.asset.setSaved.mutate({ ids: [kept!], saved: true });
    // Age three of them past the period; one unsaved stays young.
    await sql`update asset set created_at = now() - interval '8 days' where id in (${kept}, ${old1}, ${old2})`.execute(server.deps.db);
    const keys = Object.fromEntries(
      (await server.deps.db.selectFrom('asset').select(['id', 'storage_key']).where('generation_id', '=', gen.id).execute()).map((r) => [r.id, r.storage_key]),
    );
    await fetch(`${server.url}/files/${old1}?thumb=1`, { headers: { cookie: user.cookie } }); // makes a thumbnail too

    const first = await purgeUnsavedOutputs(server.deps);
    expect(first.removed).toBeGreaterThanOrEqual(2);
    const left = (await api.asset.list.query({})).items.map((a) => a.id).sort();
    expect(left).toEqual([kept, fresh].sort());
    expect(await server.deps.storage.stat(keys[old1!]!)).toBeNull();
    expect(await server.deps.storage.stat(keys[old2!]!)).toBeNull();
    expect(await server.deps.storage.stat(`thumbs/${old1}.webp`)).toBeNull();
    expect(await server.deps.storage.stat(keys[kept!]!)).not.toBeNull();
    expect(await server.deps.storage.stat(keys[fresh!]!)).not.toBeNull();

    const second = await purgeUnsavedOutputs(server.deps);
    expect(second.removed).toBe(0);
    // Time moves on: the young one expires too, the kept one never does.
    await purgeUnsavedOutputs(server.deps, new Date(Date.now() + 8 * 86_400_000));
    expect((await api.asset.list.query({})).items.map((a) => a.id)).toEqual([kept]);
    socket.close();
  });

  it('is scheduled with pg-boss', async () => {
    const schedules = await server.boss.getSchedules();
    expect(schedules.map((s: { name: string; cron: string }) => [s.name, s.cron])).toContainEqual(['retention', '17 3 * * *']);
  });
});

describe('retention of files no row points at', () => {
  it('removes outputs of an attempt killed between storage and commit, once old enough, and keeps files rows point at and outputs of running generations', async () => {
    const { purgeOrphanFiles } = await import('./retention.js');
    const user = await signUp(server);
    const api = trpcClient(server, user);
    const socket = await connectSocket(server, user);
    const gen = await api.generation.create.mutate({ prompt: 'kept file' });
    const done = await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded');
    socket.close();
    const asset = await server.deps.db.selectFrom('asset').select(['storage_key', 'workspace_id']).where('id', '=', done.assetIds![0]!).executeTakeFirstOrThrow();
    const ws = asset.workspace_id;
    const failed = await server.deps.db
      .insertInto('generation')
      .values({ workspace_id: ws, user_id: user.id, kind: 'image', mode: 'text', prompt: 'killed', params: JSON.stringify({ model: 'm', aspectRatio: '1:1', width: 8, height: 8, seed: 1 }), provider: 'local', status: 'failed' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const running = await server.deps.db
      .insertInto('generation')
      .values({ workspace_id: ws, user_id: user.id, kind: 'image', mode: 'text', prompt: 'rendering', params: JSON.stringify({ model: 'm', aspectRatio: '1:1', width: 8, height: 8, seed: 1 }), provider: 'local', status: 'running' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const orphan = `ws/${ws}/out/${failed.id}-0badf00d-0.png`;
    const inFlight = `ws/${ws}/out/${running.id}-0badf00d-0.png`;
    await server.deps.storage.put(orphan, Buffer.from('never committed'));
    await server.deps.storage.put(inFlight, Buffer.from('about to commit'));
    // Too young: an attempt may still be about to commit its rows.
    await purgeOrphanFiles(server.deps);
    expect(await server.deps.storage.stat(orphan)).not.toBeNull();
    const later = new Date(Date.now() + 2 * 86_400_000);
    const r = await purgeOrphanFiles(server.deps, later);
    expect(r.removed).toBeGreaterThanOrEqual(1);
    expect(await server.deps.storage.stat(orphan)).toBeNull();
    expect(await server.deps.storage.stat(inFlight)).not.toBeNull();
    expect(await server.deps.storage.stat(asset.storage_key)).not.toBeNull();
  });
});
