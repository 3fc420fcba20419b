import type { Kysely } from 'kysely';

/** A board's job feed (server/boards/feed.ts) lists the generations started from it, newest first. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('generation_board_feed_idx').on('generation').columns(['board_id', 'created_at desc']).where('board_id', 'is not', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('generation_board_feed_idx').execute();
}
