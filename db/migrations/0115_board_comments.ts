import { sql, type Kysely } from 'kysely';

/**
 * Comments on boards (issue 17): threads pinned to a board item (`item_id`) or a point on the canvas
 * (`x`, `y` in board coordinates; for an item, where it was when the thread was started), with
 * replies, resolved or open. Threads and comments go with their board (cascade); a deleted account's
 * comments stay without an author (`author_id` null: docs/decisions/0018-board-comments.md).
 * `workspace.viewers_may_comment` is the owner's or an admin's choice to let viewers comment.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('workspace').addColumn('viewers_may_comment', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
  await db.schema
    .createTable('board_comment_thread')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('board_id', 'uuid', (c) => c.notNull().references('board.id').onDelete('cascade'))
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspace.id').onDelete('cascade'))
    .addColumn('item_id', 'text', (c) => c.check(sql`char_length(item_id) between 1 and 100`))
    .addColumn('x', 'double precision', (c) => c.notNull())
    .addColumn('y', 'double precision', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('user.id').onDelete('set null'))
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('resolved_by', 'text', (c) => c.references('user.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('board_comment_thread_board_idx').on('board_comment_thread').columns(['board_id', 'created_at']).execute();
  await db.schema
    .createTable('board_comment')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('thread_id', 'uuid', (c) => c.notNull().references('board_comment_thread.id').onDelete('cascade'))
    .addColumn('author_id', 'text', (c) => c.references('user.id').onDelete('set null'))
    .addColumn('body', 'text', (c) => c.notNull().check(sql`char_length(body) <= 4000`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('edited_at', 'timestamptz')
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('board_comment_thread_idx').on('board_comment').columns(['thread_id', 'created_at']).execute();
  await db.schema.createIndex('board_comment_author_idx').on('board_comment').column('author_id').where('author_id', 'is not', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('board_comment').execute();
  await db.schema.dropTable('board_comment_thread').execute();
  await db.schema.alterTable('workspace').dropColumn('viewers_may_comment').execute();
}
