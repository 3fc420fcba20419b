import { sql, type Kysely } from 'kysely';

/**
 * Versions of a board (issue 17): the board's whole Yjs state at one moment, encoded
 * (`Y.encodeStateAsUpdate`), with who made it, when, how many items it held and its size.
 * Named versions are made by editors and kept; automatic ones are made at most once per ten
 * minutes of activity and before every restore, and thinned after 30 days (server/boards/versions.ts).
 * Versions count towards the board's size limit and go with the board (cascade).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('board_version')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('board_id', 'uuid', (c) => c.notNull().references('board.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('named', 'auto')`))
    .addColumn('name', 'text')
    .addColumn('state', 'bytea', (c) => c.notNull())
    .addColumn('item_count', 'integer', (c) => c.notNull())
    .addColumn('bytes', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('user.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('board_version_named_has_name', sql`kind <> 'named' or name is not null`)
    .execute();
  await db.schema.createIndex('board_version_board_idx').on('board_version').columns(['board_id', 'created_at desc']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('board_version').execute();
}
