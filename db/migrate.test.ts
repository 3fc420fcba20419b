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
