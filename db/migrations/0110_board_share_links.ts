import { sql, type Kysely } from 'kysely';

/**
 * Share links (issue 17, ADR 0017): view-only links to one board for people without an account.
 *
 * - `board_share_link`: one link; only the SHA-256 of its random 128-bit token is stored, so a
 *   database copy cannot open boards. A label, an optional expiry, whether members' names are shown
 *   to its holders, who made and who revoked it. Revoked links stay (the audit log refers to them).
 * - `workspace.allow_share_links`: the owner/admin switch; off, every link of the workspace stops
 *   working (and starts again when it is switched back on, unless revoked or expired meanwhile).
 * - `report.via = 'link'` with `share_link_id`: a report sent by a link holder (no reporter account).
 *   One open report per link and subject.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('board_share_link')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('board_id', 'uuid', (c) => c.notNull().references('board.id').onDelete('cascade'))
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspace.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('show_names', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_by', 'text', (c) => c.references('user.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_by', 'text', (c) => c.references('user.id').onDelete('set null'))
    .execute();
  await sql`create index board_share_link_board_idx on board_share_link (board_id, created_at desc)`.execute(db);
  await sql`alter table workspace add column allow_share_links boolean not null default true`.execute(db);

  await sql`alter table report drop constraint if exists report_via_check`.execute(db);
  await sql`alter table report add constraint report_via_check check (via in ('member', 'link'))`.execute(db);
  await sql`alter table report add column share_link_id uuid references board_share_link(id) on delete set null`.execute(db);
  await sql`create unique index report_once_link_asset on report (share_link_id, asset_id) where status = 'open' and via = 'link' and asset_id is not null and item_id is null`.execute(db);
  await sql`create unique index report_once_link_item on report (share_link_id, board_id, item_id) where status = 'open' and via = 'link' and item_id is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists report_once_link_item`.execute(db);
  await sql`drop index if exists report_once_link_asset`.execute(db);
  await sql`alter table report drop column share_link_id`.execute(db);
  await sql`alter table report drop constraint if exists report_via_check`.execute(db);
  await sql`alter table report add constraint report_via_check check (via in ('member'))`.execute(db);
  await sql`alter table workspace drop column allow_share_links`.execute(db);
  await db.schema.dropTable('board_share_link').execute();
}
