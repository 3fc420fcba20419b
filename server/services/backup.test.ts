import { randomUUID } from 'node:crypto';
import zlib from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, createPool } from '../../db/index.js';
import { migrateToLatest } from '../../db/migrate.js';
import { connectSocket, createTestDatabase, eventually, signUp, startTestServer, trpcClient, waitForEvent, type TestServer } from '../testing/harness.js';
import { createBackup, restoreBackup, restoreFromBackup } from './backup.js';
import { DELETION_LOG_MARGIN_DAYS, pseudonym, requestDeletion, runDeletion } from './privacy.js';
import { purgeOldBackups, runRetention } from './retention.js';

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

describe('backup consistency', () => {
  it('is one snapshot: a backup taken while writes go on restores to a consistent database', async () => {
    const user = await signUp(server, 'Invariant');
    const ws = (await server.deps.db.selectFrom('membership').select('workspace_id').where('user_id', '=', user.id).executeTakeFirstOrThrow()).workspace_id;
    // The writer keeps an invariant across two tables: every generation has its ledger charge, in one transaction.
    let writes = 0;
    const write = () =>
      server.deps.db.transaction().execute(async (trx) => {
        const g = await trx
          .insertInto('generation')
          .values({ workspace_id: ws, user_id: user.id, kind: 'image', mode: 'text', prompt: 'invariant', params: JSON.stringify({ model: 'm', aspectRatio: '1:1', width: 8, height: 8, seed: 1 }), provider: 'local', credit_cost: 1 })
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx.insertInto('credit_ledger').values({ workspace_id: ws, user_id: user.id, delta: -1, reason: 'invariant-test', ref: g.id }).execute();
        writes++;
      });
    await write();
    // Writes land between the backup's reads of each table (and a writer keeps going meanwhile).
    let stop = false;
    const background = (async () => {
      while (!stop) await write();
    })();
    let backup: Awaited<ReturnType<typeof createBackup>>;
    try {
      backup = await createBackup(server.deps, new Date(), { afterTable: async () => void (await write()) });
    } finally {
      stop = true;
      await background;
    }
    expect(writes).toBeGreaterThan(5);
    const fresh = createDb(createPool(await createTestDatabase(inject('pgAdminUrl')), 2));
    try {
      await migrateToLatest(fresh);
      await restoreBackup(fresh, await server.deps.storage.read(backup.key));
      const broken = await sql<{ n: number }>`
        select count(*)::int as n from generation g full join (select ref from credit_ledger where reason = 'invariant-test') l on l.ref = g.id::text
        where (g.prompt = 'invariant' or g.id is null) and (l.ref is null or g.id is null)`.execute(fresh);
      expect(broken.rows[0]!.n).toBe(0);
      const kept = await sql<{ n: number }>`select count(*)::int as n from generation where prompt = 'invariant'`.execute(fresh);
      expect(kept.rows[0]!.n).toBeGreaterThan(0);
    } finally {
      await fresh.destroy();
    }
  });
});

describe('backup restore', () => {
  it('streams the file: rows are loaded while the rest is still being read', async () => {
    const fresh = createDb(createPool(await createTestDatabase(inject('pgAdminUrl')), 2));
    try {
      await migrateToLatest(fresh);
      const gz = zlib.createGzip();
      const line = (i: number) => `${JSON.stringify({ t: 'analytics_event', r: { id: randomUUID(), user_id: null, name: `streamed-${i}`, path: '/', created_at: new Date().toISOString() } })}\n`;
      for (let i = 0; i < 2500; i++) gz.write(line(i));
      gz.flush();
      const restoring = restoreBackup(fresh, gz);
      // While the file is not finished, the restore has already put rows in the database.
      await eventually(async () => {
        const r = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and query like 'insert into restore_row%'`.execute(fresh);
        return r.rows[0]!.n > 0;
      });
      for (let i = 2500; i < 3000; i++) gz.write(line(i));
      gz.end();
      expect(await restoring).toEqual({ rows: 3000 });
      expect((await sql<{ n: number }>`select count(*)::int as n from analytics_event where name like 'streamed-%'`.execute(fresh)).rows[0]!.n).toBe(3000);
    } finally {
      await fresh.destroy();
    }
  });

  it('continues serial ids after the restored ones', async () => {
    const boardUser = await signUp(server, 'Serial');
    const ws = (await server.deps.db.selectFrom('membership').select('workspace_id').where('user_id', '=', boardUser.id).executeTakeFirstOrThrow()).workspace_id;
    const board = await server.deps.db.insertInto('board').values({ workspace_id: ws, name: 'b' }).returning('id').executeTakeFirstOrThrow();
    await server.deps.db.insertInto('board_update').values({ board_id: board.id, update: Buffer.from([0, 0]), user_id: null }).execute();
    const backup = await createBackup(server.deps);
    const fresh = createDb(createPool(await createTestDatabase(inject('pgAdminUrl')), 2));
    try {
      await migrateToLatest(fresh);
      await restoreBackup(fresh, await server.deps.storage.read(backup.key));
      await fresh.insertInto('board_update').values({ board_id: board.id, update: Buffer.from([0, 0]), user_id: null }).execute();
      expect((await sql<{ n: number }>`select count(*)::int as n from board_update where board_id = ${board.id}`.execute(fresh)).rows[0]!.n).toBe(2);
    } finally {
      await fresh.destroy();
    }
  });
});

describe('backups and deleted accounts', () => {
  async function deletedAfterBackup() {
    const user = await signUp(server, 'Restored Away');
    const socket = await connectSocket(server, user);
    const gen = await trpcClient(server, user).generation.create.mutate({ prompt: 'gone for good', seed: 4 });
    await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded');
    socket.close();
    const older = await createBackup(server.deps, new Date(Date.now() - 10 * 86_400_000));
    const req = await requestDeletion(server.deps, { userId: user.id });
    await runDeletion(server.deps, req.id, new Date(Date.now() + 31 * 86_400_000));
    return { user, older };
  }

  it('restoring an older backup erases again the accounts deleted since (the deletion log survives a lost database and a restore)', async () => {
    const { user, older } = await deletedAfterBackup();
    const fresh = createDb(createPool(await createTestDatabase(inject('pgAdminUrl')), 2));
    try {
      await migrateToLatest(fresh);
      const deps = { db: fresh, storage: server.deps.storage, log: server.deps.log };
      // A lost database: the log comes from its mirror in storage.
      const r = await restoreFromBackup(deps, await server.deps.storage.read(older.key));
      expect(r.deletionsReplayed).toBe(1);
      expect(await fresh.selectFrom('user').select('id').where('id', '=', user.id).execute()).toEqual([]);
      expect(await fresh.selectFrom('generation').select('id').where('user_id', '=', user.id).execute()).toEqual([]);
      const hits = await sql<{ n: number }>`select count(*)::int as n from "user" u where u.email = ${user.email}`.execute(fresh);
      expect(hits.rows[0]!.n).toBe(0);
      // Restoring the same backup again into this database: the log is now in its table (which a restore keeps).
      expect(await fresh.selectFrom('deletion_log').select('subject').execute()).toEqual(expect.arrayContaining([{ subject: pseudonym(user.id) }]));
      const again = await restoreFromBackup({ ...deps, storage: { ...server.deps.storage, list: async function* () {} } }, await server.deps.storage.read(older.key));
      expect(again.deletionsReplayed).toBe(1);
      expect(await fresh.selectFrom('user').select('id').where('id', '=', user.id).execute()).toEqual([]);
    } finally {
      await fresh.destroy();
    }
  });

  it('a deleted account is in no backup once BACKUP_RETENTION_DAYS have passed: every backup that held it has expired', async () => {
    const { user, older } = await deletedAfterBackup();
    const newer = await createBackup(server.deps, new Date(Date.now() + 86_400_000)); // the next day's backup
    const contents = async (key: string) => {
      const chunks: Buffer[] = [];
      for await (const c of (await server.deps.storage.read(key)).pipe(zlib.createGunzip())) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    };
    expect(await contents(older.key)).toContain(user.email);
    expect(await contents(newer.key)).not.toContain(user.id);
    // The retention job, BACKUP_RETENTION_DAYS after the deletion: every backup taken before it has expired.
    await runRetention(server.deps, new Date(Date.now() + server.config.retention.backupDays * 86_400_000 + 3_600_000));
    expect(await server.deps.storage.stat(older.key)).toBeNull();
    const left = await server.deps.db.selectFrom('backup').select('storage_key').execute();
    expect(left.map((b) => b.storage_key)).toContain(newer.key);
    for (const b of left) {
      if (!(await server.deps.storage.stat(b.storage_key))) continue;
      const text = await contents(b.storage_key);
      expect(text).not.toContain(user.id);
      expect(text).not.toContain(user.email);
    }
    // Once no backup can hold it, the deletion log forgets the pseudonym too (the deletion ran at "day 31").
    await runRetention(server.deps, new Date(Date.now() + (31 + server.config.retention.backupDays + DELETION_LOG_MARGIN_DAYS + 1) * 86_400_000));
    expect(await server.deps.db.selectFrom('deletion_log').select('subject').where('subject', '=', pseudonym(user.id)).execute()).toEqual([]);
    expect(await server.deps.storage.stat(`deletion-log/${pseudonym(user.id)}`)).toBeNull();
  });
});
