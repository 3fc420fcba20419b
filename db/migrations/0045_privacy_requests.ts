import { type Kysely, sql } from 'kysely';

/** Requests a person makes about their data that self-service does not cover, with their handling status. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('privacy_request')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'text', (c) => c.references('user.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('access', 'correction', 'deletion', 'portability', 'objection')`))
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status in ('open', 'in_progress', 'done', 'rejected')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('privacy_request_status_idx').on('privacy_request').columns(['status', 'created_at']).execute();
}
