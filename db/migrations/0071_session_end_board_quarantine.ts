import { sql, type Kysely } from 'kysely';

/**
 * Two defences of live sockets and boards:
 *
 * - `fk_session_end`: every deleted session row (sign-out, revocation, password reset, the deletion
 *   request, a deleted user's cascade, any future path) is announced on this channel when the
 *   deletion commits, so each process disconnects the sockets of that session
 *   (server/realtime/sessions.ts). A trigger is the one point every path goes through.
 * - `board_update_quarantine`: a stored board update that throws when applied is moved here when
 *   the board loads, so the board opens without it and the bytes are kept for inspection.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function fk_session_end() returns trigger language plpgsql as $$
    begin
      perform pg_notify('fk_session_end', json_build_object('s', old.id, 'u', old."userId")::text);
      return old;
    end $$`.execute(db);
  await sql`create trigger session_end after delete on session for each row execute function fk_session_end()`.execute(db);

  await db.schema
    .createTable('board_update_quarantine')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('board_id', 'uuid', (c) => c.notNull().references('board.id').onDelete('cascade'))
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('update', 'bytea', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.references('user.id').onDelete('set null'))
    .addColumn('error', 'text', (c) => c.notNull())
    .addColumn('quarantined_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('board_update_quarantine_board_idx').on('board_update_quarantine').column('board_id').execute();
}
