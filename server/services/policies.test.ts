import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { POLICY_NAMES } from '../shared/policies.js';
import { signUp, startTestServer, type TestServer } from '../testing/harness.js';
import { pendingPolicies } from './policies.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'));
});
afterAll(async () => {
  await server?.stop();
});

describe('versioned policies', () => {
  it('records acceptance at sign-up; a new version is pending until the person reads it', async () => {
    const user = await signUp(server);
    const rows = await server.deps.db.selectFrom('policy_acceptance').select(['policy', 'method']).where('user_id', '=', user.id).execute();
    expect(rows.map((r) => r.policy).sort()).toEqual([...POLICY_NAMES].sort());
    expect(new Set(rows.map((r) => r.method))).toEqual(new Set(['sign-up']));
    expect(await pendingPolicies(server.deps.db, user.id)).toEqual([]);
    // Publishing a new privacy version = the accepted one no longer matches.
    await server.deps.db.updateTable('policy_acceptance').set({ version: '2000-01-01' }).where('user_id', '=', user.id).where('policy', '=', 'privacy').execute();
    expect((await pendingPolicies(server.deps.db, user.id)).map((p) => p.policy)).toEqual(['privacy']);
    const res = await fetch(`${server.url}/api/policies/accept`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.config.baseUrl, cookie: user.cookie }, body: '{}' });
    expect(res.status).toBe(200);
    expect(await pendingPolicies(server.deps.db, user.id)).toEqual([]);
    const clicked = await server.deps.db.selectFrom('policy_acceptance').select('method').where('user_id', '=', user.id).where('policy', '=', 'privacy').where('method', '=', 'clicked').execute();
    expect(clicked).toHaveLength(1);
    expect((await fetch(`${server.url}/api/policies/accept`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.config.baseUrl }, body: '{}' })).status).toBe(401);
  });

  it('audits sign-ins and consent changes (no contents, network only)', async () => {
    const user = await signUp(server);
    await fetch(`${server.url}/api/consent`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.config.baseUrl, cookie: user.cookie }, body: JSON.stringify({ choice: { preferences: true, analytics: false }, source: 'settings' }) });
    const rows = await server.deps.db.selectFrom('audit_log').select(['action', 'detail']).where('user_id', '=', user.id).orderBy('created_at').execute();
    expect(rows.map((r) => r.action)).toEqual(['sign-in', 'consent.changed']);
    expect(rows[0]!.detail).toEqual({ network: '127.0.0.0/24' });
  });
});
