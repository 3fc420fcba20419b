import { type Kysely, sql } from 'kysely';

/** Generation studio: parameters, references, credits, library search, favourites and tags. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('generation')
    .addColumn('credit_cost', 'integer', (c) => c.notNull().defaultTo(0).check(sql`credit_cost >= 0`))
    .addColumn('board_id', 'uuid')
    .addColumn('rerun_of', 'uuid', (c) => c.references('generation.id').onDelete('set null'))
    .execute();
  await sql`create index generation_prompt_fts_idx on generation using gin (to_tsvector('english', prompt))`.execute(db);
  await db.schema.createIndex('generation_status_idx').on('generation').columns(['workspace_id', 'status']).execute();

  await db.schema
    .createTable('generation_reference')
    .addColumn('generation_id', 'uuid', (c) => c.notNull().references('generation.id').onDelete('cascade'))
    .addColumn('asset_id', 'uuid', (c) => c.notNull().references('asset.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull().check(sql`position between 0 and 7`))
    .addPrimaryKeyConstraint('generation_reference_pk', ['generation_id', 'position'])
    .execute();
  await db.schema.createIndex('generation_reference_asset_idx').on('generation_reference').column('asset_id').execute();

  await db.schema
    .alterTable('asset')
    .addColumn('tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('original_name', 'text')
    .execute();
  // The same file uploaded twice is stored once per workspace.
  await sql`create unique index asset_upload_sha256_idx on asset (workspace_id, sha256) where source = 'upload'`.execute(db);
  await sql`create index asset_tags_idx on asset using gin (tags)`.execute(db);
  await db.schema.createIndex('asset_unsaved_idx').on('asset').columns(['saved', 'created_at']).execute();

  // Append-only: a balance is the sum of its rows; (reason, ref) makes each charge, release or grant happen once.
  await db.schema
    .createTable('credit_ledger')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspace.id').onDelete('cascade'))
    .addColumn('user_id', 'text')
    .addColumn('delta', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('credit_ledger_reason_ref_key', ['reason', 'ref'])
    .execute();
  await db.schema.createIndex('credit_ledger_workspace_idx').on('credit_ledger').column('workspace_id').execute();
}
