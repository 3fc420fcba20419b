import { sql, type Kysely } from 'kysely';

/**
 * Lineage, queue status lines, prompt history and style presets (issue 18).
 * - generation.parent_generation_id / parent_asset_id / lineage: where an output came from (a re-run,
 *   variations, an edit with it as a reference). No foreign keys on purpose: an ancestor deleted later
 *   leaves the ids behind, and the detail page shows that step as "removed" instead of losing the chain.
 * - generation.status_message: the provider's last human status line (fal's queue position, a log line).
 * - prompt_history: a person's recent prompts, kept on the server as part of their library.
 * - style_preset: text a workspace's members append to prompts (and a negative prompt), shared.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('generation')
    .addColumn('parent_generation_id', 'uuid')
    .addColumn('parent_asset_id', 'uuid')
    .addColumn('lineage', 'text', (c) => c.check(sql`lineage in ('rerun', 'variation', 'edit')`))
    .addColumn('status_message', 'text')
    .execute();
  await db.schema.createIndex('generation_parent_asset_idx').on('generation').column('parent_asset_id').where('parent_asset_id', 'is not', null).execute();
  await db.schema.createIndex('generation_parent_generation_idx').on('generation').column('parent_generation_id').where('parent_generation_id', 'is not', null).execute();

  await db.schema
    .createTable('prompt_history')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'text', (c) => c.notNull().references('user.id').onDelete('cascade'))
    .addColumn('prompt', 'text', (c) => c.notNull())
    .addColumn('negative_prompt', 'text')
    .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('last_used_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index prompt_history_user_prompt_uq on prompt_history (user_id, md5(prompt), md5(coalesce(negative_prompt, '')))`.execute(db);
  await db.schema.createIndex('prompt_history_recent_idx').on('prompt_history').columns(['user_id', 'last_used_at desc']).execute();

  await db.schema
    .createTable('style_preset')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspace.id').onDelete('cascade'))
    .addColumn('created_by', 'text', (c) => c.references('user.id').onDelete('set null'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prompt_suffix', 'text', (c) => c.notNull())
    .addColumn('negative_prompt', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index style_preset_name_uq on style_preset (workspace_id, lower(name))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('style_preset').execute();
  await db.schema.dropTable('prompt_history').execute();
  await db.schema.alterTable('generation').dropColumn('parent_generation_id').dropColumn('parent_asset_id').dropColumn('lineage').dropColumn('status_message').execute();
}
