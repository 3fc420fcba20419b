import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, createPool } from '../../db/index.js';
import { migrateToLatest } from '../../db/migrate.js';
import { connectSocket, createTestDatabase, signUp, startTestServer, trpcClient, waitForEvent, type TestServer } from '../testing/harness.js';
import { createBackup, restoreBackup } from './backup.js';
import { purgeOldBackups } from './retention.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'));
});
afterAll(async () => {
  await server?.stop();
});

const counts = async (db: typeof server.deps.db) => {
  const out: Record<string, number> = {};
  for (const t of ['user', 'account', 'workspace', 'membership', 'generation', 'asset', 'credit_ledger', 'consent_record', 'policy_acceptance']) {
    out[t] = (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(t)}`.execute(db)).rows[0]!.n;
  }
  return out;
};

describe('backups', () => {
  it('writes a backup to storage and restores it into a fresh database, row for row', async () => {
    const user = await signUp(server, 'Backed Up');
    const socket = await connectSocket(server, user);
    const gen = await trpcClient(server, user).generation.create.mutate({ prompt: 'kept safe', seed: 3 });
    await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded');
    socket.close();
    const before = await counts(server.deps.db);
    const backup = await createBackup(server.deps);
    expect(backup.rows).toBeGreaterThan(10);
    expect(await server.deps.storage.stat(backup.key)).not.toBeNull();

    const fresh = createDb(createPool(await createTestDatabase(inject('pgAdminUrl')), 2));
    try {
      await migrateToLatest(fresh);
      const restored = await restoreBackup(fresh, await server.deps.storage.read(backup.key));
      expect(restored.rows).toBe(backup.rows);
      expect(await counts(fresh)).toEqual(before);
      const g = await fresh.selectFrom('generation').select(['prompt', 'params', 'user_id']).where('id', '=', gen.id).executeTakeFirstOrThrow();
      expect(g).toMatchObject({ prompt: 'kept safe', user_id: user.id, params: expect.objectContaining({ seed: 3 }) });
    } finally {
      await fresh.destroy();
    }
  });

  it('is scheduled daily and old backups are removed by retention', async () => {
    const schedules = await server.boss.getSchedules();
    expect(schedules.map((s: { name: string }) => s.name)).toContain('backup');
    const b = await createBackup(server.deps, new Date(Date.now() - 1000));
    await purgeOldBackups(server.deps, new Date(Date.now() + 15 * 86_400_000));
    expect(await server.deps.storage.stat(b.key)).toBeNull();
    expect(await server.deps.db.selectFrom('backup').select('id').where('storage_key', '=', b.key).execute()).toEqual([]);
  });
});
