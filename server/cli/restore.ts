import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { createDiskStorage } from '../storage/index.js';
import { createLogger } from '../log.js';
import { restoreFromBackup } from '../services/backup.js';
import { createDb, createPool } from '../../db/index.js';
import { startEmbeddedPostgres } from '../../db/embedded.js';
import { migrateToLatest } from '../../db/migrate.js';

/**
 * `npm run db:restore -- <backup key or file>`: loads a backup into DATABASE_URL (or the embedded
 * database), after migrating it. The database's data is replaced: stop the server first.
 */
const arg = process.argv[2];
if (!arg) {
  process.stderr.write('Usage: npm run db:restore -- backups/<name>.jsonl.gz   (a key in storage, or a file path)\n');
  process.exit(2);
}
const config = loadConfig();
const embedded = config.databaseUrl ? null : await startEmbeddedPostgres({ dir: path.join(config.dataDir, 'pg'), port: config.embeddedPgPort });
const db = createDb(createPool(config.databaseUrl ?? embedded!.url, 2));
try {
  await migrateToLatest(db);
  const storage = createDiskStorage(config.storageDir);
  const input = fs.existsSync(arg) ? fs.createReadStream(arg) : await storage.read(arg);
  // Accounts deleted since the backup was taken are erased again (the deletion log survives the restore).
  const { rows, deletionsReplayed } = await restoreFromBackup({ db, storage, log: createLogger(config.logLevel) }, input);
  process.stdout.write(`Restored ${rows} rows from ${arg}; erased again ${deletionsReplayed} account(s) deleted since.\n`);
} finally {
  await db.destroy();
  await embedded?.stop();
}
