import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, signUp, startTestServer, trpcClient, type TestServer } from '../testing/harness.js';
import { collectUserData } from './privacy.js';
import { runRetention } from './retention.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'));
});
afterAll(async () => {
  await server?.stop();
});

describe('usage log', () => {
  it('logs requests and errors without contents, with the device and the network only', async () => {
    const user = await signUp(server);
    const api = trpcClient(server, user);
    await api.generation.list.query({});
    await api.generation.create.mutate({ prompt: 'a secret prompt that must not be logged' }).catch(() => {});
    await api.generation.create.mutate({ prompt: '' }).catch(() => {});
    // Entries are written when each response has finished.
    const rows = await eventually(async () => {
      const r = await server.deps.db.selectFrom('usage_log').selectAll().where('user_id', '=', user.id).orderBy('at').execute();
      return r.length >= 3 ? r : null;
    });
    const routes = rows.map((r) => [r.route, r.status, r.error_code]);
    expect(routes).toEqual(expect.arrayContaining([['trpc:generation.list', 200, null], ['trpc:generation.create', 400, 'INVALID_INPUT']]));
    for (const r of rows) expect(r.ip_network).toBe('127.0.0.0/24');
    const all = JSON.stringify(rows);
    expect(all).not.toContain('secret prompt');
    expect(all).not.toContain('127.0.0.1');
    // It is in the export.
    const data = await collectUserData(server.deps, user.id);
    expect(data.usageLog.length).toBe(rows.length);
  });

  it('is purged after its retention period, like analytics events; billing and audit records stay', async () => {
    const user = await signUp(server);
    await trpcClient(server, user).generation.list.query({});
    await eventually(async () => (await server.deps.db.selectFrom('usage_log').select('id').where('user_id', '=', user.id).execute()).length > 0);
    await server.deps.db.insertInto('analytics_event').values({ user_id: user.id, name: 'page_view', path: '/' }).execute();
    await server.deps.db.insertInto('audit_log').values({ user_id: user.id, action: 'export.requested', detail: '{}' }).execute();
    const count = async (t: string) => (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(t)} where user_id = ${user.id}`.execute(server.deps.db)).rows[0]!.n;
    expect(await count('usage_log')).toBeGreaterThan(0);
    const auditBefore = await count('audit_log');
    await runRetention(server.deps, new Date(Date.now() + 89 * 86_400_000));
    expect(await count('usage_log')).toBeGreaterThan(0); // not yet
    await runRetention(server.deps, new Date(Date.now() + 366 * 86_400_000));
    expect(await count('usage_log')).toBe(0);
    expect(await count('analytics_event')).toBe(0);
    expect(await count('audit_log')).toBe(auditBefore);
    expect(auditBefore).toBeGreaterThanOrEqual(2); // the sign-in and the entry added above
    expect(await count('credit_ledger')).toBe(1);
  });
});
