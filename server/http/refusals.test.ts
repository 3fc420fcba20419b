import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectSocket, signUp, startTestServer, trpcClient, trpcErrorCode, type TestServer } from '../testing/harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'));
});
afterAll(async () => {
  await server?.stop();
});

const generationCount = async () => Number((await sql<{ n: number }>`select count(*)::int as n from generation`.execute(server.deps.db)).rows[0]!.n);
const jobCount = async () => Number((await sql<{ n: number }>`select count(*)::int as n from pgboss.job where name = 'generation'`.execute(server.deps.db)).rows[0]!.n);

describe('refusals at the edge', () => {
  it('answers UNAUTHORIZED to tRPC calls without a session and stores nothing', async () => {
    const before = [await generationCount(), await jobCount()];
    const api = trpcClient(server);
    for (const call of [() => api.generation.create.mutate({ prompt: 'hi' }), () => api.generation.list.query({}), () => api.asset.list.query({})]) {
      expect(trpcErrorCode(await call().catch((e: unknown) => e))).toMatchObject({ httpStatus: 401, appCode: 'UNAUTHORIZED' });
    }
    expect([await generationCount(), await jobCount()]).toEqual(before);
    expect(await api.me.get.query()).toBeNull();
  });

  it('refuses a tRPC mutation from a foreign Origin and stores nothing', async () => {
    const user = await signUp(server);
    const before = [await generationCount(), await jobCount()];
    const err = await trpcClient(server, user, 'https://evil.example').generation.create.mutate({ prompt: 'csrf' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const raw = await fetch(`${server.url}/trpc/generation.create`, {
      method: 'POST',
      headers: { cookie: user.cookie, origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ json: { prompt: 'csrf' } }),
    });
    expect(raw.status).toBe(403);
    expect(await raw.json()).toMatchObject({ error: { code: 'FOREIGN_ORIGIN' } });
    // A browser that says the request is cross-site is refused even without an Origin header.
    const crossSite = await fetch(`${server.url}/trpc/generation.create`, {
      method: 'POST',
      headers: { cookie: user.cookie, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
      body: JSON.stringify({ json: { prompt: 'csrf' } }),
    });
    expect(crossSite.status).toBe(403);
    expect([await generationCount(), await jobCount()]).toEqual(before);
    // The same call from our own origin works.
    const ok = await trpcClient(server, user).generation.create.mutate({ prompt: 'fine' });
    expect(ok.status).toBe('queued');
  });

  it('refuses a Socket.io connection without a session', async () => {
    await expect(connectSocket(server)).rejects.toThrow('UNAUTHORIZED');
  });

  it('refuses a Socket.io connection with a forged session cookie', async () => {
    await expect(connectSocket(server, { id: 'x', email: 'x@example.test', cookie: 'better-auth.session_token=forged.value' })).rejects.toThrow('UNAUTHORIZED');
  });

  it('refuses a Socket.io connection from a foreign Origin, even with a valid session', async () => {
    const user = await signUp(server);
    await expect(connectSocket(server, user, 'https://evil.example')).rejects.toThrow('FOREIGN_ORIGIN');
    const ok = await connectSocket(server, user);
    expect(ok.connected).toBe(true);
    ok.close();
  });

  it('serves files only to a signed-in member', async () => {
    const anon = await fetch(`${server.url}/files/00000000-0000-4000-8000-000000000000`);
    expect(anon.status).toBe(401);
    const user = await signUp(server);
    const bad = await fetch(`${server.url}/files/not-a-uuid`, { headers: { cookie: user.cookie } });
    expect(bad.status).toBe(404);
  });

  it('reports health and readiness as JSON', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    // Model providers are listed, not required: here only the offline preview renderer (ADR 0016).
    expect(await ready.json()).toEqual({
      ok: true,
      checks: { database: true, migrations: true, jobs: true },
      providers: [{ name: 'local', state: 'closed', models: ['offline-preview', 'local-motion'] }],
    });
  });
});

describe('size caps and roles', () => {
  it('refuses an oversized tRPC body and an oversized socket message, changing nothing', async () => {
    const user = await signUp(server);
    const before = await generationCount();
    const big = await fetch(`${server.url}/trpc/generation.create`, {
      method: 'POST',
      headers: { cookie: user.cookie, origin: server.config.baseUrl, 'content-type': 'application/json' },
      body: JSON.stringify({ json: { prompt: 'x'.repeat(300 * 1024) } }),
    });
    expect(big.status).toBe(413);
    expect(await generationCount()).toBe(before);
    const socket = await connectSocket(server, user);
    const closed = new Promise<string>((r) => socket.once('disconnect', (reason) => r(reason)));
    (socket as unknown as { emit(event: string, data: string): void }).emit('noise', 'y'.repeat(200 * 1024));
    expect(await closed).toBe('transport close');
  });

  it('lets a viewer read but not generate, delete or change anything', async () => {
    const owner = await signUp(server);
    const viewer = await signUp(server);
    const ownerApi = trpcClient(server, owner);
    const ws = (await ownerApi.me.get.query())!.workspaces[0]!.id;
    await server.deps.db.insertInto('membership').values({ workspace_id: ws, user_id: viewer.id, role: 'viewer' }).execute();
    const socket = await connectSocket(server, owner);
    const gen = await ownerApi.generation.create.mutate({ prompt: 'shared picture' });
    const { waitForEvent } = await import('../testing/harness.js');
    const done = await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded');
    const assetId = done.assetIds![0]!;
    const api = trpcClient(server, viewer);
    expect((await api.asset.list.query({ workspaceId: ws })).items.map((i) => i.id)).toContain(assetId);
    expect((await fetch(`${server.url}/files/${assetId}`, { headers: { cookie: viewer.cookie } })).status).toBe(200);
    for (const call of [
      () => api.generation.create.mutate({ prompt: 'not allowed', workspaceId: ws }),
      () => api.generation.cancel.mutate({ id: gen.id }),
      () => api.asset.delete.mutate({ id: assetId }),
      () => api.asset.setFavorite.mutate({ id: assetId, favorite: true }),
      () => api.asset.setTags.mutate({ id: assetId, tags: ['x'] }),
      () => api.asset.setSaved.mutate({ ids: [assetId], saved: true }),
    ]) {
      // The refusal says why, in the same words the UI shows next to the disabled button (server/shared/permissions.ts).
      expect(trpcErrorCode(await call().catch((e: unknown) => e))).toMatchObject({ httpStatus: 403, appCode: 'FORBIDDEN', message: expect.stringMatching(/^Only editors, admins and the owner can .+\. You are a viewer in this workspace\.$/) });
    }
    const after = await ownerApi.asset.get.query({ id: assetId });
    expect(after).toMatchObject({ favorite: false, tags: [], saved: false });
    socket.close();
  });
});
