import { type Kysely, sql } from 'kysely';

/** Large Socket.io broadcasts between processes go through this table (@socket.io/postgres-adapter). */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table if not exists socket_io_attachments (
    id bigserial unique,
    created_at timestamptz default now(),
    payload bytea
  )`.execute(db);
}
