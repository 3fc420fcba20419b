import { type Kysely, sql } from 'kysely';
import * as Y from 'yjs';

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
  // Boards that exist already: read each document once (items: a Y.Map of Y.Maps with `assetId`).
  const boards = await db.selectFrom('board').select('id').execute();
  for (const { id } of boards) {
    const snap = await db.selectFrom('board_snapshot').select('state').where('board_id', '=', id).executeTakeFirst();
    const rows = await db.selectFrom('board_update').select('update').where('board_id', '=', id).orderBy('id').execute();
    const doc = new Y.Doc();
    for (const u of [...(snap ? [snap.state] : []), ...rows.map((r: { update: Uint8Array }) => r.update)]) Y.applyUpdate(doc, u);
    const ids = new Set<string>();
    doc.getMap('items').forEach((m) => {
      const assetId = m instanceof Y.Map ? m.get('assetId') : undefined;
      if (typeof assetId === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(assetId)) ids.add(assetId.toLowerCase());
    });
    doc.destroy();
    if (ids.size === 0) continue;
    await sql`insert into board_asset (board_id, asset_id)
      select b.id, a.id from board b join asset a on a.workspace_id = b.workspace_id
      where b.id = ${id} and a.id = any(${[...ids]}::uuid[]) on conflict do nothing`.execute(db);
  }
  await db.schema
    .alterTable('credit_purchase')
    .addColumn('refunded_cents', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`alter table deletion_request drop constraint if exists deletion_request_status_check`.execute(db);
  await sql`alter table deletion_request add constraint deletion_request_status_check check (status in ('pending', 'canceled', 'completed', 'failed'))`.execute(db);
}
