import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectSocket, signUp, startTestServer, waitForEvent, type TestServer } from '../testing/harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'));
});
afterAll(async () => {
  await server?.stop();
});

const api = (path: string, body?: unknown, cookie = '') =>
  fetch(`${server.url}/api${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', origin: server.config.baseUrl, ...(cookie ? { cookie } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const consentCookie = (res: Response) => res.headers.getSetCookie().find((c) => c.startsWith('fk_consent='))!.split(';')[0]!;
const events = async () => (await sql<{ n: number }>`select count(*)::int as n from analytics_event`.execute(server.deps.db)).rows[0]!.n;

describe('consent', () => {
  it('records no analytics event without consent, and does with it', async () => {
    const before = await events();
    expect(await (await api('/analytics', { name: 'page_view', path: '/' })).json()).toEqual({ recorded: false });
    const rejected = consentCookie(await api('/consent', { choice: { preferences: false, analytics: false }, source: 'banner' }));
    expect(await (await api('/analytics', { name: 'page_view', path: '/' }, rejected)).json()).toEqual({ recorded: false });
    expect(await events()).toBe(before);
    const accepted = consentCookie(await api('/consent', { choice: { preferences: true, analytics: true }, source: 'banner' }));
    expect(await (await api('/analytics', { name: 'page_view', path: '/pricing' }, accepted)).json()).toEqual({ recorded: true });
    expect(await events()).toBe(before + 1);
    const row = await server.deps.db.selectFrom('analytics_event').selectAll().orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    expect(Object.keys(row).sort()).toEqual(['created_at', 'id', 'name', 'path', 'user_id']); // no address column at all
  });

  it('refuses unknown categories and stores nothing', async () => {
    const user = await signUp(server);
    const before = await server.deps.db.selectFrom('consent_record').select('id').where('user_id', '=', user.id).execute();
    const res = await api('/consent', { choice: { preferences: true, analytics: true, marketing: true }, source: 'banner' }, user.cookie);
    expect(res.status).toBe(400);
    expect(await server.deps.db.selectFrom('consent_record').select('id').where('user_id', '=', user.id).execute()).toEqual(before);
  });

  it('merges a visitor’s choice into the account on sign-in; the latest choice wins; changes reach every tab', async () => {
    const visitor = consentCookie(await api('/consent', { choice: { preferences: true, analytics: false }, source: 'banner' }));
    const user = await signUp(server);
    const withCookie = `${user.cookie}; ${visitor}`;
    expect(await (await api('/consent', undefined, withCookie)).json()).toMatchObject({ decided: true, preferences: true, analytics: false });
    const rows = await server.deps.db.selectFrom('consent_record').select(['source', 'preferences', 'analytics', 'ip_network']).where('user_id', '=', user.id).execute();
    expect(rows).toEqual([{ source: 'visitor-cookie', preferences: true, analytics: false, ip_network: '127.0.0.0/24' }]);
    const socket = await connectSocket(server, user);
    await api('/consent', { choice: { preferences: false, analytics: true }, source: 'settings' }, user.cookie);
    expect(await waitForEvent(socket, 'consent:changed', () => true)).toEqual({ preferences: false, analytics: true });
    // The older visitor cookie does not win over the newer record.
    expect(await (await api('/consent', undefined, withCookie)).json()).toMatchObject({ preferences: false, analytics: true });
    expect(await server.deps.db.selectFrom('consent_record').select('id').where('user_id', '=', user.id).execute()).toHaveLength(2);
    socket.close();
  });
});
