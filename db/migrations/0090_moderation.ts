import { sql, type Kysely } from 'kysely';

/**
 * Moderation, ours (issue 15; docs/decisions/0012-moderation.md):
 * - `moderation_term`: the operators' additions to the shipped prompt term list, each with a category.
 * - `moderation_refusal`: one row per refused prompt (who, where, which category, how it was caught;
 *   never the prompt), counted for the abuse limits.
 * - `moderation_suspension`: a user whose refusals crossed the limit may not generate until `until`
 *   (or until an operator lifts it); `appeal` is what they wrote back, if they did.
 * - `workspace.image_policy`: an owner's stricter choice for flagged images (null: the operator default).
 * - the image classifier's result on each asset: its scores, the model that gave them, when, and
 *   whether they cross the threshold (`nsfw_flagged`); null while not classified.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('moderation_term')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('term', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('added_by', 'text', (c) => c.references('user.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index moderation_term_unique on moderation_term (lower(term))`.execute(db);

  await db.schema
    .createTable('moderation_refusal')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'text', (c) => c.notNull().references('user.id').onDelete('cascade'))
    .addColumn('workspace_id', 'uuid', (c) => c.references('workspace.id').onDelete('set null'))
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('terms', 'api')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('moderation_refusal_user_at').on('moderation_refusal').columns(['user_id', 'created_at']).execute();

  await db.schema
    .createTable('moderation_suspension')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'text', (c) => c.notNull().references('user.id').onDelete('cascade'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('until', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('appeal', 'text')
    .addColumn('appealed_at', 'timestamptz')
    .addColumn('lifted_at', 'timestamptz')
    .addColumn('lifted_by', 'text', (c) => c.references('user.id').onDelete('set null'))
    .execute();
  await db.schema.createIndex('moderation_suspension_user').on('moderation_suspension').columns(['user_id', 'until']).execute();

  await sql`alter table workspace add column image_policy text check (image_policy in ('blur', 'block'))`.execute(db);

  await db.schema
    .alterTable('asset')
    .addColumn('nsfw_scores', 'jsonb')
    .addColumn('nsfw_model', 'text')
    .addColumn('nsfw_flagged', 'boolean')
    .addColumn('classified_at', 'timestamptz')
    .execute();
}
