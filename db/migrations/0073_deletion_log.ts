import { type Kysely, sql } from 'kysely';

/**
 * Completed account deletions, by pseudonym only (`deleted-<hash of the user id>`, as kept audit and
 * billing records carry): a restore of an older backup replays them. Not backed up and not replaced
 * by a restore; pruned once every backup that could hold the account has expired.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('deletion_log')
    .addColumn('subject', 'text', (c) => c.primaryKey())
    .addColumn('deleted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}
