import { type Kysely, sql } from 'kysely';

/**
 * The library's first page and every next page at any size.
 *
 * The library orders by `(created_at desc, id desc)` and pages with the row comparison
 * `(created_at, id) < (cursor)`. The index from 0003 is `(workspace_id, created_at desc, id asc)`:
 * its id order is the opposite, so with many assets sharing a second (a bulk import, a batch of
 * outputs) Postgres had to sort each tie group, and it could not start a page from the cursor
 * inside the index. This one matches the order exactly; the old one stays until it is shown unused.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index if not exists asset_workspace_keyset_idx on asset (workspace_id, created_at desc, id desc) where deleted_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists asset_workspace_keyset_idx`.execute(db);
}
