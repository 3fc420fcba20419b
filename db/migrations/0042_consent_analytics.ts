import { type Kysely, sql } from 'kysely';

/** Consent records (append-only; the latest wins) and first-party analytics events (no IP). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('consent_record')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'text', (c) => c.references('user.id').onDelete('cascade'))
    .addColumn('preferences', 'boolean', (c) => c.notNull())
    .addColumn('analytics', 'boolean', (c) => c.notNull())
    .addColumn('policy_version', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('banner', 'settings', 'visitor-cookie')`))
    .addColumn('ip_network', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .execute();
  await db.schema.createIndex('consent_record_user_idx').on('consent_record').columns(['user_id', 'created_at']).execute();
  await db.schema
    .createTable('analytics_event')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'text', (c) => c.references('user.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('path', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('analytics_event_created_idx').on('analytics_event').column('created_at').execute();
}
