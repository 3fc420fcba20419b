import { type Kysely, sql } from 'kysely';

/** Which version of each policy each person accepted, and how (at sign-up, by clicking, by continued use). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('policy_acceptance')
    .addColumn('user_id', 'text', (c) => c.notNull().references('user.id').onDelete('cascade'))
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull().check(sql`method in ('sign-up', 'clicked', 'continued-use')`))
    .addColumn('accepted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('policy_acceptance_pk', ['user_id', 'policy', 'version'])
    .execute();
}
