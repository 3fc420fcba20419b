/**
 * One data export in a process of its own (bench/export-scale.ts starts it): runs the real export
 * job (`runExport`) against the database and storage it is given, then prints its wall time and
 * the process's peak RSS as JSON. Not a test; not run on its own.
 */
import { createDb, createPool } from '../db/index.js';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { runExport } from '../server/services/privacy.js';
import { createDiskStorage } from '../server/storage/index.js';
import type { Deps } from '../server/services/deps.js';

const [databaseUrl, storageDir, exportId] = process.argv.slice(2) as [string, string, string];
const config = loadConfig({ LOG_LEVEL: 'silent' }, { databaseUrl, storageDir, dataDir: storageDir });
const db = createDb(createPool(databaseUrl, 2));
const deps = {
  config,
  db,
  storage: createDiskStorage(storageDir),
  notifier: { emit() {} },
  mailer: { async send() {} },
  log: createLogger('silent'),
} as unknown as Deps;
const rssBefore = process.resourceUsage().maxRSS;
const start = performance.now();
await runExport(deps, exportId);
const ms = performance.now() - start;
const row = await db.selectFrom('data_export').select(['status', 'size_bytes']).where('id', '=', exportId).executeTakeFirstOrThrow();
await db.destroy();
process.stdout.write(JSON.stringify({ ms, bytes: row.size_bytes, status: row.status, peakRssKb: process.resourceUsage().maxRSS, rssAtStartKb: rssBefore }) + '\n');
process.exit(0);
