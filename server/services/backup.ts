import { PassThrough, Readable } from 'node:stream';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Deps } from './deps.js';

/**
 * Database backups that need no external tool (the embedded PostgreSQL ships no pg_dump): every
 * table of the application schema, row by row, as gzipped JSON lines in storage. Restoring loads
 * them into a database migrated to the same version (docs/operations.md). Job queues are not backed
 * up: they are transient.
 */
const BATCH = 1000;

async function tablesOf(db: Kysely<any>): Promise<string[]> {
  const r = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not in ('kysely_migration', 'kysely_migration_lock', 'backup', 'socket_io_attachments', 'board_live') order by table_name`.execute(db);
  return r.rows.map((x) => x.table_name);
}

export async function createBackup(deps: Pick<Deps, 'db' | 'storage' | 'log'>, now = new Date()) {
  const key = `backups/${now.toISOString().replace(/[:.]/g, '-')}.jsonl.gz`;
  const gz = zlib.createGzip();
  const out = new PassThrough();
  gz.pipe(out);
  const writing = deps.storage.putStream(key, out);
  const tables = await tablesOf(deps.db);
  let rows = 0;
  for (const table of tables) {
    for (let offset = 0; ; offset += BATCH) {
      const batch = await sql<{ r: unknown }>`select to_jsonb(t) as r from ${sql.table(table)} t order by ctid limit ${BATCH} offset ${offset}`.execute(deps.db);
      for (const { r } of batch.rows) {
        if (!gz.write(`${JSON.stringify({ t: table, r })}\n`)) await new Promise((res) => gz.once('drain', res));
        rows++;
      }
      if (batch.rows.length < BATCH) break;
    }
  }
  gz.end();
  const size = await writing;
  await deps.db.insertInto('backup').values({ storage_key: key, size_bytes: size, tables: tables.length, rows }).execute();
  deps.log.info('backup written', { key, tables: tables.length, rows, bytes: size });
  return { key, tables: tables.length, rows, sizeBytes: size };
}

/**
 * Loads a backup into `db`, which must be migrated to the same version and hold no data of its
 * own (the tables are emptied first). Foreign keys are checked at commit, so the order of the
 * lines does not matter. Runs in one transaction: all or nothing.
 */
export async function restoreBackup(db: Kysely<DB>, gzipped: Readable): Promise<{ rows: number }> {
  return db.transaction().execute(async (trx) => {
    const tables = await tablesOf(trx);
    await sql`set constraints all deferred`.execute(trx);
    await sql`truncate ${sql.join(tables.map((t) => sql.table(t)))} cascade`.execute(trx);
    // Foreign keys are created NOT DEFERRABLE; load parents first by retrying rows whose parent is not there yet.
    const pending: { t: string; r: Record<string, unknown> }[] = [];
    const lines = readline.createInterface({ input: gzipped.pipe(zlib.createGunzip()), crlfDelay: Infinity });
    for await (const line of lines) if (line.trim()) pending.push(JSON.parse(line) as { t: string; r: Record<string, unknown> });
    let rows = 0;
    for (let pass = 0; pending.length > 0; pass++) {
      if (pass > 20) throw new Error(`backup restore could not place ${pending.length} rows (first in ${pending[0]!.t})`);
      const next: typeof pending = [];
      for (const item of pending) {
        await sql`savepoint row_insert`.execute(trx);
        try {
          await sql`insert into ${sql.table(item.t)} select * from jsonb_populate_record(null::${sql.table(item.t)}, ${JSON.stringify(item.r)}::jsonb)`.execute(trx);
          await sql`release savepoint row_insert`.execute(trx);
          rows++;
        } catch {
          await sql`rollback to savepoint row_insert`.execute(trx);
          next.push(item);
        }
      }
      if (next.length === pending.length) throw new Error(`backup restore is stuck on ${next.length} rows (first in ${next[0]!.t})`);
      pending.splice(0, pending.length, ...next);
    }
    return { rows };
  });
}
