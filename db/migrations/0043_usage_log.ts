import { type Kysely, sql } from 'kysely';

/** Usage log of requests and errors (no contents): kept for a limited period, then purged. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('usage_log')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'text', (c) => c.references('user.id').onDelete('cascade'))
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('device', 'text')
    .addColumn('ip_network', 'text')
    .execute();
  await db.schema.createIndex('usage_log_user_idx').on('usage_log').columns(['user_id', 'at']).execute();
  await db.schema.createIndex('usage_log_at_idx').on('usage_log').column('at').execute();
}
