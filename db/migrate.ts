import { Migrator, type Kysely, type Migration } from 'kysely';
import { migrations } from './migrations/index.js';

/**
 * Migrations are applied by name. `allowUnorderedMigrations`: some landed after others with higher
 * numbers (0020 after 0030–0051), so a database made in between has later ones applied and 0020
 * not; kysely would refuse it, instead 0020 is applied then. Migrations never depend on ones that
 * landed after them.
 */
export function createMigrator(db: Kysely<any>, list: Record<string, Migration> = migrations): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => list }, allowUnorderedMigrations: true });
}

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const { error, results } = await createMigrator(db).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${why}`);
  }
  return (results ?? []).map((r) => r.migrationName);
}

/** True when every known migration has been applied. */
export async function migrationsApplied(db: Kysely<any>): Promise<boolean> {
  const list = await createMigrator(db).getMigrations();
  return list.every((m) => m.executedAt !== undefined);
}
