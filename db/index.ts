import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';

export type Database = Kysely<DB>;

// bigint counts come back as strings by default; ours fit in a JS number.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * A pool whose idle connections may be dropped (a database restart, a network blip) without taking
 * the process down: pg emits 'error' on the pool for an idle client, and an unhandled 'error' event
 * would crash Node. The broken client is discarded by the pool; the next query opens a new one.
 */
export function createPool(connectionString: string, max = 10, onError: (err: Error) => void = () => {}): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, idleTimeoutMillis: 30_000 });
  pool.on('error', onError);
  return pool;
}

export function createDb(pool: pg.Pool): Database {
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
