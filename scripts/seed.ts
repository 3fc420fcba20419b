/**
 * `npm run seed -- --assets 100000 [--email you@example.com] [--password …]`
 *
 * Makes a large library to measure and try the product with: signs up the account (or reuses it),
 * then fills its personal workspace with `--assets` generated images in generations of four,
 * spread over the past year (scripts/seed-library.ts: batched inserts, a few real image files
 * shared through hard links). Uses the same database and storage as `npm start` (DATABASE_URL and
 * STORAGE_DIR, or the embedded ones under DATA_DIR); stop the server first when it is embedded.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { createMailer } from '../server/mail/index.js';
import { createAuth } from '../server/auth/index.js';
import { createDb, createPool } from '../db/index.js';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { migrateToLatest } from '../db/migrate.js';
import { seedLibrary } from './seed-library.js';

const { values } = parseArgs({
  options: {
    assets: { type: 'string', default: '1000' },
    email: { type: 'string', default: 'seed@flux-klein.local' },
    password: { type: 'string', default: 'violet harbour kettle 42' },
  },
});
const assets = Number(values.assets);
if (!Number.isInteger(assets) || assets < 1 || assets > 2_000_000) {
  process.stderr.write('--assets must be a whole number between 1 and 2000000\n');
  process.exit(2);
}

const config = loadConfig();
const log = createLogger('warn');
const embedded = config.databaseUrl ? null : await startEmbeddedPostgres({ dir: path.join(config.dataDir, 'pg'), port: config.embeddedPgPort });
const db = createDb(createPool(config.databaseUrl ?? embedded!.url, 4));
try {
  await migrateToLatest(db);
  let user = await db.selectFrom('user').select(['id']).where('email', '=', values.email!.toLowerCase()).executeTakeFirst();
  if (!user) {
    const auth = createAuth({ config, db, log, mailer: createMailer(config, log) });
    await auth.api.signUpEmail({ body: { email: values.email!, password: values.password!, name: 'Sample Library' } });
    await db.updateTable('user').set({ emailVerified: true }).where('email', '=', values.email!.toLowerCase()).execute();
    user = await db.selectFrom('user').select(['id']).where('email', '=', values.email!.toLowerCase()).executeTakeFirstOrThrow();
    process.stdout.write(`Signed up ${values.email} (password: ${values.password})\n`);
  }
  const ws = await db
    .selectFrom('membership')
    .innerJoin('workspace', 'workspace.id', 'membership.workspace_id')
    .select('workspace.id')
    .where('membership.user_id', '=', user.id)
    .where('workspace.kind', '=', 'personal')
    .executeTakeFirstOrThrow();
  let last = 0;
  const res = await seedLibrary(db, {
    workspaceId: ws.id,
    userId: user.id,
    assets,
    storageDir: config.storageDir,
    onProgress: (n) => {
      if (n - last >= 10_000 || n === assets) process.stdout.write(`  ${n} / ${assets}\n`);
      if (n - last >= 10_000) last = n;
    },
  });
  const total = await sql<{ n: number }>`select count(*)::int as n from asset where workspace_id = ${ws.id} and deleted_at is null`.execute(db);
  process.stdout.write(`Added ${res.assets} items in ${res.generations} generations in ${(res.ms / 1000).toFixed(1)} s; the library of ${values.email} now holds ${total.rows[0]!.n}.\n`);
} finally {
  await db.destroy();
  await embedded?.stop();
}
