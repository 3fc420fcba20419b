import { Kysely, PostgresDialect, type KyselyConfig } from 'kysely';
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
export interface PoolTimeouts {
  /** Longest wait for a new connection to open (a database that is down or unreachable fails within it). */
  connectTimeoutMs?: number;
  /**
   * Longest a statement may run: the server cancels it (statement_timeout), and the client gives up
   * a little later should the server not answer at all (a network that drops packets). Also the
   * longest a request waits for a free connection of the pool.
   */
  statementTimeoutMs?: number;
}

/**
 * pg-pool applies its one `connectionTimeoutMillis` both to opening a connection and to waiting
 * for a free one. Those differ: under a burst (every client of a crashed web process reconnecting
 * to this one at once) requests wait their turn for longer than a connection takes to open, and
 * failing them at the connect timeout refused healthy work ("timeout exceeded when trying to
 * connect"). So the pool's deadline is the wait (the statement timeout), and each connection is
 * opened with the connect timeout of its own.
 */
function clientWithConnectTimeout(connectTimeoutMs: number): typeof pg.Client {
  return class extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super({ ...(typeof config === 'string' ? { connectionString: config } : config), connectionTimeoutMillis: connectTimeoutMs });
    }
  };
}

/**
 * Every query this product runs is short and interactive (pages are keyset-bounded, searches
 * windowed): a parallel worker's start-up (about 20 ms here) costs more than it could save, and the
 * planner, misled by its fixed guess for prefix and number searches, chose parallel plans for
 * queries that read one row (a seed search: 0.05 ms serial, 22 ms parallel). Sessions of our pools
 * therefore run without parallel workers, unless the connection string sets `options` itself.
 */
const SESSION_OPTIONS = '-c max_parallel_workers_per_gather=0';

export function createPool(connectionString: string, max = 10, onError: (err: Error) => void = () => {}, timeouts: PoolTimeouts = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    ...(/[?&]options=/.test(connectionString) ? {} : { options: SESSION_OPTIONS }),
    idleTimeoutMillis: 30_000,
    ...(timeouts.connectTimeoutMs
      ? { Client: clientWithConnectTimeout(timeouts.connectTimeoutMs), connectionTimeoutMillis: Math.max(timeouts.connectTimeoutMs, timeouts.statementTimeoutMs ?? 0) }
      : {}),
    ...(timeouts.statementTimeoutMs ? { statement_timeout: timeouts.statementTimeoutMs, query_timeout: timeouts.statementTimeoutMs + 1000 } : {}),
  });
  pool.on('error', onError);
  // A client held outside a query (the Socket.io adapter's LISTEN connection) has no 'error'
  // listener of its own: when the database restarts its error event would crash the process.
  pool.on('connect', (client) => {
    client.on('error', onError);
    // A held client whose connection ends (the database restarted) goes back to the pool as broken,
    // so the pool discards it. The Socket.io adapter drops its LISTEN client on 'end' without
    // releasing it: each outage leaked one checkout, and pool.end() at shutdown then waited forever.
    client.on('end', () => {
      try {
        (client as pg.PoolClient).release?.(new Error('connection ended'));
      } catch {
        /* not checked out (an idle client), or released already */
      }
    });
  });
  return pool;
}

/**
 * Waits for the database at boot: a server or worker started while PostgreSQL is down (or still
 * starting) retries with exponential backoff, logging why, for up to `retrySeconds`, then throws
 * (the process exits non-zero).
 */
export async function waitForDatabase(pool: pg.Pool, opts: { retrySeconds: number; log: { warn(msg: string, data?: Record<string, unknown>): void } }): Promise<void> {
  const deadline = Date.now() + opts.retrySeconds * 1000;
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      await pool.query('select 1');
      return;
    } catch (err) {
      const reason = err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`The database is not reachable (${reason}); gave up after ${opts.retrySeconds} s (DB_STARTUP_RETRY_SECONDS).`);
      const wait = Math.min(delay, left);
      opts.log.warn('database not reachable, retrying', { attempt, reason, retryInMs: wait });
      await new Promise((r) => setTimeout(r, wait));
      delay = Math.min(delay * 2, 5000);
    }
  }
}

/** `log`: kysely's query hook; the server passes one that makes trace spans when traces are on (server/observability/spans.ts). */
export function createDb(pool: pg.Pool, opts: { log?: KyselyConfig['log'] } = {}): Database {
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }), ...(opts.log ? { log: opts.log } : {}) });
}
