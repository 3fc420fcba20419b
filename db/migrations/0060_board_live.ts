import type { Kysely } from 'kysely';

/**
 * Which processes hold a board live (docs/decisions/0005-board-sync.md): a process announces a
 * stored board change on the channel only when another process holds that board, so a single
 * process (the default) sends no NOTIFY for board changes. Rows expire unless renewed, so a process
 * that died stops counting within minutes. Transient: not backed up.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('board_live')
    .addColumn('board_id', 'uuid', (c) => c.notNull().references('board.id').onDelete('cascade'))
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('board_live_pk', ['board_id', 'origin'])
    .execute();
  await db.schema.createIndex('board_live_origin_idx').on('board_live').column('origin').execute();
}
