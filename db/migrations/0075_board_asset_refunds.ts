import { type Kysely, sql } from 'kysely';

/**
 * Two small additions for "nothing lost when things fail":
 * - board_asset: which boards show which assets. Kept up to date from every stored board update
 *   (and recomputed when a board is compacted), so retention keeps an asset a board shows and
 *   deleting one can say which boards use it, without decoding every board document.
 * - credit_purchase.refunded_cents: the highest cumulative refund applied to a purchase, so each
 *   partial refund takes back the credits for what it newly refunds, exactly once.
 * - deletion_request.status 'failed': a deletion whose job used up its retries (its dead letter).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('board_asset')
    .addColumn('board_id', 'uuid', (c) => c.notNull().references('board.id').onDelete('cascade'))
    .addColumn('asset_id', 'uuid', (c) => c.notNull().references('asset.id').onDelete('cascade'))
    .addColumn('added_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('board_asset_pk', ['board_id', 'asset_id'])
    .execute();
  await db.schema.createIndex('board_asset_asset_idx').on('board_asset').column('asset_id').execute();
  await db.schema
    .alterTable('credit_purchase')
    .addColumn('refunded_cents', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`alter table deletion_request drop constraint if exists deletion_request_status_check`.execute(db);
  await sql`alter table deletion_request add constraint deletion_request_status_check check (status in ('pending', 'canceled', 'completed', 'failed'))`.execute(db);
}
