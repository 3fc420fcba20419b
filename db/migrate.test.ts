import { sql } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../server/testing/harness.js';
import { createDb, createPool } from './index.js';
import { createMigrator, migrateToLatest, migrationsApplied } from './migrate.js';
import { migrations } from './migrations/index.js';

describe('migrations', () => {
  it('bring a database made before 0020 landed (with 0030–0051 applied) up to date', async () => {
    const db = createDb(createPool(await createTestDatabase(inject('pgAdminUrl')), 2));
    try {
      // The state of a database created while main had 0001–0051 but not 0020_teams_boards.
      const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0052' && name !== '0020_teams_boards'));
      const first = await createMigrator(db, before).migrateToLatest();
      expect(first.error).toBeUndefined();
      expect(await migrationsApplied(db)).toBe(false);
      const later = Object.keys(migrations).filter((name) => name > '0052');
      expect(await migrateToLatest(db)).toEqual(['0020_teams_boards', ...later]);
      expect(await migrationsApplied(db)).toBe(true);
      const boards = await sql<{ n: number }>`select count(*)::int as n from board`.execute(db);
      expect(boards.rows[0]!.n).toBe(0);
      expect(await migrateToLatest(db)).toEqual([]);
    } finally {
      await db.destroy();
    }
  });
});

describe('0140: one standing record', () => {
  it('moves active automatic suspensions and their appeals into account_standing / appeal, keeps an operator’s decision, and drops the old table', async () => {
    const db = createDb(createPool(await createTestDatabase(inject('pgAdminUrl')), 2));
    try {
      const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0140'));
      expect((await createMigrator(db, before).migrateToLatest()).error).toBeUndefined();
      const user = async (id: string) => sql`insert into "user" (id, name, email, "emailVerified", "createdAt", "updatedAt") values (${id}, ${id}, ${`${id}@example.test`}, true, now(), now())`.execute(db);
      for (const id of ['active', 'appealed', 'lifted', 'ran-out', 'operator-too']) await user(id);
      await sql`insert into moderation_suspension (user_id, reason, until, created_at, appeal, appealed_at, lifted_at, lifted_by) values
        ('active', '4 prompts were refused within 60 minutes.', now() + interval '20 hours', now() - interval '4 hours', null, null, null, null),
        ('appealed', '5 prompts were refused within 60 minutes.', now() + interval '2 hours', now() - interval '22 hours', 'I was testing the filter.', now() - interval '1 hour', null, null),
        ('lifted', '4 prompts were refused.', now() + interval '10 hours', now() - interval '14 hours', 'Please look again.', now() - interval '13 hours', now() - interval '12 hours', 'active'),
        ('ran-out', '4 prompts were refused.', now() - interval '1 hour', now() - interval '25 hours', 'It was a mistake.', now() - interval '24 hours', null, null),
        ('operator-too', '4 prompts were refused.', now() + interval '5 hours', now() - interval '1 hour', null, null, null, null)`.execute(db);
      await sql`insert into account_standing (user_id, status, reason, note) values ('operator-too', 'banned', 'spam', 'Ads everywhere.')`.execute(db);

      expect(await migrateToLatest(db)).toContain('0140_one_standing_record');

      const standing = await sql<{ user_id: string; status: string; reason: string; note: string | null; source: string; ends: boolean }>`
        select user_id, status, reason, note, source, until is not null as ends from account_standing order by user_id`.execute(db);
      expect(standing.rows).toEqual([
        { user_id: 'active', status: 'suspended', reason: 'refused_prompts', note: '4 prompts were refused within 60 minutes.', source: 'moderation', ends: true },
        { user_id: 'appealed', status: 'suspended', reason: 'refused_prompts', note: '5 prompts were refused within 60 minutes.', source: 'moderation', ends: true },
        { user_id: 'operator-too', status: 'banned', reason: 'spam', note: 'Ads everywhere.', source: 'operator', ends: false },
      ]);
      const active = await sql<{ user_id: string }>`select user_id from active_standing order by user_id`.execute(db);
      expect(active.rows.map((r) => r.user_id)).toEqual(['active', 'appealed', 'operator-too']);
      const appeals = await sql<{ user_id: string; message: string; status: string; asset_id: string | null }>`select user_id, message, status, asset_id from appeal order by user_id`.execute(db);
      expect(appeals.rows).toEqual([
        { user_id: 'appealed', message: 'I was testing the filter.', status: 'open', asset_id: null },
        { user_id: 'lifted', message: 'Please look again.', status: 'granted', asset_id: null },
        { user_id: 'ran-out', message: 'It was a mistake.', status: 'ended', asset_id: null },
      ]);
      const table = await sql<{ t: string | null }>`select to_regclass('moderation_suspension')::text as t`.execute(db);
      expect(table.rows[0]!.t).toBeNull();
      // A ban has no end (the record says so, not just the code).
      await expect(sql`update account_standing set until = now() + interval '1 day' where user_id = 'operator-too'`.execute(db)).rejects.toThrow(/account_standing_ban_has_no_end/);
    } finally {
      await db.destroy();
    }
  });
});
