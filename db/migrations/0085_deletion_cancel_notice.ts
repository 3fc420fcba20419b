import { type Kysely, sql } from 'kysely';

/**
 * A deletion cancelled by signing in during the grace period is told to the person once, on the
 * first page after that sign-in (server/services/privacy.ts `takeDeletionCancelNotice`):
 * `sign_in_notice` is set when the sign-in cancels it and cleared when the notice is shown.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table deletion_request add column sign_in_notice boolean not null default false`.execute(db);
  await sql`create index deletion_request_sign_in_notice on deletion_request (user_id) where sign_in_notice`.execute(db);
}
