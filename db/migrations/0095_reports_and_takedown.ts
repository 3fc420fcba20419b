import { sql, type Kysely } from 'kysely';

/**
 * Reports and takedown (issue 15, ADR 0013):
 *
 * - `report`: a member's report of an asset or a board item, for the operators' queue. Who reported
 *   is recorded by `via` and `reporter_id`: 'member' today (a signed-in member of the workspace);
 *   a share-link viewer can be added later as another `via` with its own reference, and
 *   `reporter_id` may then be null. One open report per reporter and subject (partial unique
 *   indexes), so a double click or a retry files once.
 * - `asset.hidden_at` / `hidden_reason`: an operator hid the asset everywhere (library, boards,
 *   /files, tRPC); restoring clears both. The row and its file stay, so a restore is exact.
 * - `account_standing`: a suspended or banned account (absent: in good standing). Suspended: may
 *   look and delete but not generate, upload or change boards; banned: may not sign in at all.
 * - `appeal`: the owner of a hidden asset, or a suspended member, asks the operators for a review
 *   (the asset, or the account when `asset_id` is null). Answered in the operator console.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('report')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('via', 'text', (c) => c.notNull().defaultTo('member').check(sql`via in ('member')`))
    .addColumn('reporter_id', 'text', (c) => c.references('user.id').onDelete('set null'))
    .addColumn('workspace_id', 'uuid', (c) => c.references('workspace.id').onDelete('set null'))
    .addColumn('asset_id', 'uuid', (c) => c.references('asset.id').onDelete('set null'))
    .addColumn('board_id', 'uuid', (c) => c.references('board.id').onDelete('set null'))
    .addColumn('item_id', 'text')
    // Who made what was reported (the asset's or the note's author), for the operator's actions.
    .addColumn('subject_user_id', 'text', (c) => c.references('user.id').onDelete('set null'))
    // A reported note's text as it was when reported (board documents change).
    .addColumn('excerpt', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status in ('open', 'actioned', 'dismissed')`))
    .addColumn('resolved_by', 'text', (c) => c.references('user.id').onDelete('set null'))
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('resolution', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index report_queue_idx on report (status, created_at)`.execute(db);
  await sql`create index report_asset_idx on report (asset_id) where asset_id is not null`.execute(db);
  await sql`create unique index report_once_asset on report (reporter_id, asset_id) where status = 'open' and asset_id is not null and item_id is null`.execute(db);
  await sql`create unique index report_once_item on report (reporter_id, board_id, item_id) where status = 'open' and item_id is not null`.execute(db);

  await sql`alter table asset add column hidden_at timestamptz, add column hidden_reason text`.execute(db);

  await db.schema
    .createTable('account_standing')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('user.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('suspended', 'banned')`))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('decided_by', 'text', (c) => c.references('user.id').onDelete('set null'))
    .addColumn('since', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // A banned account gets no new session by any path (sign-in refuses first, with words; this
  // closes the race of a sign-in already past that check while the ban commits).
  await sql`
    create function fk_refuse_banned_session() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from account_standing where user_id = new."userId" and status = 'banned') then
        raise exception 'account is banned' using errcode = 'P0001';
      end if;
      return new;
    end $$`.execute(db);
  await sql`create trigger session_refuse_banned before insert on session for each row execute function fk_refuse_banned_session()`.execute(db);

  await db.schema
    .createTable('appeal')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'text', (c) => c.notNull().references('user.id').onDelete('cascade'))
    .addColumn('asset_id', 'uuid', (c) => c.references('asset.id').onDelete('set null'))
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status in ('open', 'granted', 'refused')`))
    .addColumn('answer', 'text')
    .addColumn('answered_by', 'text', (c) => c.references('user.id').onDelete('set null'))
    .addColumn('answered_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index appeal_queue_idx on appeal (status, created_at)`.execute(db);
  // One open appeal per person and subject.
  await sql`create unique index appeal_once on appeal (user_id, coalesce(asset_id, '00000000-0000-0000-0000-000000000000'::uuid)) where status = 'open'`.execute(db);
}
