import { sql, type Kysely } from 'kysely';

/**
 * Indexes for the generation rate limits (server/services/generation-limits.ts): a user's
 * generations of the last minute, and a user's generations still queued or running. The
 * workspace's in-flight count uses generation_status_idx (workspace_id, status).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('generation_user_created_idx').on('generation').columns(['user_id', 'created_at']).execute();
  await sql`create index generation_user_in_flight_idx on generation (user_id) where status in ('queued', 'running')`.execute(db);
}
