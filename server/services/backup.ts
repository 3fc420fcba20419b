import type { Readable } from 'node:stream';
import { PassThrough } from 'node:stream';
import zlib from 'node:zlib';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Deps } from './deps.js';
import { replayDeletions } from './privacy.js';

/**
 * Database backups that need no external tool (the embedded PostgreSQL ships no pg_dump): every
 * table of the application schema, row by row, as gzipped JSON lines in storage. Restoring loads
 * them into a database migrated to the same version (docs/operations.md). Job queues are not backed
 * up: they are transient.
 *
 * A backup is ONE snapshot: every table is read inside one REPEATABLE READ, read-only transaction,
 * so a transaction that writes two tables is in the backup entirely or not at all. Restoring
 * streams the file (bounded memory, whatever its size).
 */
const BATCH = 1000;

/**
 * Tables never backed up nor replaced by a restore: migration bookkeeping, the list of backups
 * itself, transient realtime state, and the deletion log (it must outlive a restore, which replays
 * it: see replayDeletions in privacy.ts).
 */
const NOT_BACKED_UP = ['kysely_migration', 'kysely_migration_lock', 'backup', 'socket_io_attachments', 'board_live', 'deletion_log'];

async function tablesOf(db: Kysely<any>): Promise<string[]> {
  const r = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> all(${NOT_BACKED_UP}) order by table_name`.execute(db);
  return r.rows.map((x) => x.table_name);
}

export interface BackupHooks {
  /** Called after each table was read (tests use it to write while a backup runs). */
  afterTable?: (table: string) => Promise<void>;
}

export async function createBackup(deps: Pick<Deps, 'db' | 'storage' | 'log'>, now = new Date(), hooks: BackupHooks = {}) {
  const key = `backups/${now.toISOString().replace(/[:.]/g, '-')}.jsonl.gz`;
  const gz = zlib.createGzip();
  const out = new PassThrough();
  gz.pipe(out);
  const writing = deps.storage.putStream(key, out);
  const { tables, rows } = await deps.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      await sql`set transaction read only`.execute(trx);
      const tables = await tablesOf(trx);
      let rows = 0;
      for (const table of tables) {
        // A cursor in the one snapshot: pages without OFFSET rescans, all as of the same moment.
        await sql`declare backup_rows no scroll cursor for select to_jsonb(t) as r from ${sql.table(table)} t`.execute(trx);
        for (;;) {
          const batch = await sql<{ r: unknown }>`fetch forward ${sql.lit(BATCH)} from backup_rows`.execute(trx);
          for (const { r } of batch.rows) {
            if (!gz.write(`${JSON.stringify({ t: table, r })}\n`)) await new Promise((res) => gz.once('drain', res));
            rows++;
          }
          if (batch.rows.length < BATCH) break;
        }
        await sql`close backup_rows`.execute(trx);
        await hooks.afterTable?.(table);
      }
      return { tables, rows };
    })
    .catch((err: unknown) => {
      gz.destroy(err as Error);
      throw err;
    });
  gz.end();
  const size = await writing;
  await deps.db.insertInto('backup').values({ storage_key: key, size_bytes: size, tables: tables.length, rows, created_at: now }).execute();
  deps.log.info('backup written', { key, tables: tables.length, rows, bytes: size });
  return { key, tables: tables.length, rows, sizeBytes: size };
}

/** The lines of a gzipped stream, read chunk by chunk (bounded memory, with back-pressure). */
async function* linesOf(gzipped: Readable): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of gzipped.pipe(zlib.createGunzip())) {
    const text = rest + (chunk as Buffer).toString('utf8');
    const parts = text.split('\n');
    rest = parts.pop()!;
    for (const p of parts) if (p.trim()) yield p;
  }
  if (rest.trim()) yield rest;
}

/** The tables in an order where every table comes after those its foreign keys point at. */
async function parentsFirst(trx: Transaction<DB>, tables: string[]): Promise<string[]> {
  const fks = await sql<{ child: string; parent: string }>`
    select c.conrelid::regclass::text as child, c.confrelid::regclass::text as parent
    from pg_constraint c where c.contype = 'f' and c.connamespace = 'public'::regnamespace`.execute(trx);
  const unquote = (t: string) => t.replace(/^"|"$/g, '');
  const parents = new Map<string, Set<string>>(tables.map((t) => [t, new Set()]));
  for (const fk of fks.rows) {
    const child = unquote(fk.child);
    const parent = unquote(fk.parent);
    if (child !== parent && parents.has(child) && parents.has(parent)) parents.get(child)!.add(parent);
  }
  const order: string[] = [];
  const placed = new Set<string>();
  while (order.length < tables.length) {
    const ready = tables.filter((t) => !placed.has(t) && [...parents.get(t)!].every((p) => placed.has(p)));
    if (ready.length === 0) throw new Error(`backup restore: foreign keys form a cycle among ${tables.filter((t) => !placed.has(t)).join(', ')}`);
    for (const t of ready) {
      placed.add(t);
      order.push(t);
    }
  }
  return order;
}

/**
 * Loads a backup into `db`, which must be migrated to the same version (its tables are emptied
 * first; the deletion log is kept). The file is streamed into a temporary staging table in batches,
 * so memory stays bounded; then each table is filled with one statement, parents before children
 * (a self-reference is checked at the end of its statement). Sequences continue after the restored
 * ids. Runs in one transaction: all or nothing.
 */
export async function restoreBackup(db: Kysely<DB>, gzipped: Readable): Promise<{ rows: number }> {
  return db.transaction().execute(async (trx) => {
    const tables = await tablesOf(trx);
    await sql`truncate ${sql.join(tables.map((t) => sql.table(t)))} cascade`.execute(trx);
    await sql`create temporary table restore_row (t text not null, r jsonb not null) on commit drop`.execute(trx);
    let batch: string[] = [];
    const stage = async () => {
      if (batch.length === 0) return;
      await sql`insert into restore_row (t, r) select x->>'t', x->'r' from jsonb_array_elements(${`[${batch.join(',')}]`}::jsonb) as x`.execute(trx);
      batch = [];
    };
    for await (const line of linesOf(gzipped)) {
      batch.push(line);
      if (batch.length >= BATCH) await stage();
    }
    await stage();
    const unknown = await sql<{ t: string }>`select distinct t from restore_row where t <> all(${tables})`.execute(trx);
    if (unknown.rows.length) throw new Error(`backup restore: the backup has tables this database does not: ${unknown.rows.map((u) => u.t).join(', ')}`);
    let rows = 0;
    for (const table of await parentsFirst(trx, tables)) {
      const res = await sql`insert into ${sql.table(table)} select (jsonb_populate_record(null::${sql.table(table)}, r)).* from restore_row where t = ${table}`.execute(trx);
      rows += Number(res.numAffectedRows ?? 0);
    }
    // Serial columns: the next id follows the restored ones.
    const seqs = await sql<{ table_name: string; column_name: string; seq: string }>`
      select table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), column_name) as seq
      from information_schema.columns where table_schema = 'public' and table_name = any(${tables}) and pg_get_serial_sequence(quote_ident(table_name), column_name) is not null`.execute(trx);
    for (const s of seqs.rows) {
      await sql`select setval(${s.seq}::regclass, coalesce((select max(${sql.ref(s.column_name)}) from ${sql.table(s.table_name)}), 0) + 1, false)`.execute(trx);
    }
    return { rows };
  });
}

/**
 * A restore as operators run it (npm run db:restore): loads the backup, then erases again every
 * account deleted since it was taken (the deletion log outlives the restore). Returns both counts.
 */
export async function restoreFromBackup(deps: Pick<Deps, 'db' | 'storage' | 'log'>, gzipped: Readable): Promise<{ rows: number; deletionsReplayed: number }> {
  const { rows } = await restoreBackup(deps.db, gzipped);
  const deletionsReplayed = await replayDeletions(deps);
  return { rows, deletionsReplayed };
}
