/**
 * Issue 19, goal 3: a data export of 100 MB and of 1 GB of files, against Debian's `zip` on the
 * same files.
 *
 * The files are random (incompressible, as images are), 2 MB each, in one user's storage with an
 * asset row each. Each export is the real job (`runExport`: data.json + every file, streamed into
 * a ZIP in storage) in a child process of its own (bench/export-child.ts), so its peak RSS is its
 * own; `zip -0 -r` (store, the same work: the export stores files without deflating them) runs on
 * the same folder, under /usr/bin/time for its peak RSS. RUNS alternating runs of each, each
 * printed; medians.
 * Goals: peak RSS at 1 GB ≤ 1.1 × at 100 MB (streamed, never buffered); throughput ≥ 0.8 × zip's.
 * The peak RSS is mostly the child's start (Node, tsx, the modules: 130–150 MB, varying by ~15 MB from
 * one start to the next); the column after it is how much the peak rose during the export itself.
 * Run: `npx tsx bench/export-scale.ts` (part of `npm run bench`). BENCH_EXPORT_SIZES_MB=100,1000 changes the sizes;
 * BENCH_REPEATS the runs; BENCH_EXPORT_CPU_PROF=<dir> writes a CPU profile of each export child there.
 */
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { createDb, createPool } from '../db/index.js';
import { migrateToLatest } from '../db/migrate.js';
import { createTestDatabase } from '../server/testing/harness.js';
import { table } from './lib.js';

const RUNS = Number(process.env.BENCH_REPEATS ?? 3);
const SIZES_MB = (process.env.BENCH_EXPORT_SIZES_MB ?? '100,1000').split(',').map(Number);
const FILE_MB = 2;
// BENCH_EXPORT_CPU_PROF=<dir>: each export child writes a V8 CPU profile there (open it in Chrome's DevTools, or sum self times by function).
const CPU_PROF = process.env.BENCH_EXPORT_CPU_PROF;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run() {
  if (!fs.existsSync('/usr/bin/zip')) {
    console.log('skipped: Debian zip is not installed (apt-get install -y zip)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-bench-export-'));
  fs.chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), database: 'postgres', persistent: false });
  try {
    const url = await createTestDatabase(pg.url);
    const db = createDb(createPool(url, 2));
    await migrateToLatest(db);
    const results: { mb: number; ours: { ms: number; rss: number; grew: number; bytes: number }[]; zip: { ms: number; rss: number; bytes: number }[] }[] = [];
    const rows: (string | number)[][] = [['files', 'run', 'export time', 'export MB/s', 'export peak RSS', '(of it, during the export)', 'zip -0 time', 'zip MB/s', 'zip peak RSS', 'throughput / zip']];
    for (const mb of SIZES_MB) {
      // One user per size, with its files under its own workspace folder.
      const userId = `bench-export-${mb}`;
      await sql`insert into "user" (id, name, email, "emailVerified", "createdAt", "updatedAt") values (${userId}, 'Export Bench', ${`${userId}@example.test`}, true, now(), now())`.execute(db);
      const ws = await sql<{ id: string }>`insert into workspace (name, kind) values ('Export bench', 'personal') returning id`.execute(db);
      const wsId = ws.rows[0]!.id;
      await sql`insert into membership (workspace_id, user_id, role) values (${wsId}, ${userId}, 'owner')`.execute(db);
      const storageDir = path.join(dir, `storage-${mb}`);
      const folder = path.join(storageDir, 'ws', wsId, 'up');
      fs.mkdirSync(folder, { recursive: true });
      const count = Math.round(mb / FILE_MB);
      const buf = Buffer.alloc(FILE_MB * 1024 * 1024);
      const keys: string[] = [];
      for (let i = 0; i < count; i++) {
        randomFillSync(buf);
        const key = `ws/${wsId}/up/${String(i).padStart(5, '0')}.png`;
        fs.writeFileSync(path.join(storageDir, key), buf);
        keys.push(key);
      }
      await sql`insert into asset (workspace_id, user_id, source, media, storage_key, mime, size_bytes, sha256, original_name)
        select ${wsId}, ${userId}, 'upload', 'image', k, 'image/png', ${buf.length}, md5(k), 'file.png' from unnest(${keys}::text[]) k`.execute(db);
      const r = { mb, ours: [] as { ms: number; rss: number; grew: number; bytes: number }[], zip: [] as { ms: number; rss: number; bytes: number }[] };
      for (let i = 1; i <= RUNS; i++) {
        const order = i % 2 ? (['ours', 'zip'] as const) : (['zip', 'ours'] as const);
        for (const which of order) {
          if (which === 'ours') {
            const exp = await sql<{ id: string }>`insert into data_export (user_id) values (${userId}) returning id`.execute(db);
            const child = spawnSync(process.execPath, [...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(CPU_PROF)] : []), '--import', 'tsx', 'bench/export-child.ts', url, storageDir, exp.rows[0]!.id], { encoding: 'utf8', maxBuffer: 1 << 20 });
            const line = child.stdout.trim().split('\n').pop() ?? '';
            if (child.status !== 0 || !line.startsWith('{')) throw new Error(`export child failed: ${child.stderr}`);
            const out = JSON.parse(line) as { ms: number; bytes: number; status: string; peakRssKb: number; rssAtStartKb: number };
            if (out.status !== 'ready') throw new Error(`export ended ${out.status}`);
            r.ours.push({ ms: out.ms, rss: out.peakRssKb / 1024, grew: (out.peakRssKb - out.rssAtStartKb) / 1024, bytes: out.bytes });
            fs.rmSync(path.join(storageDir, 'exports'), { recursive: true, force: true });
          } else {
            const zipFile = path.join(dir, `baseline-${mb}.zip`);
            fs.rmSync(zipFile, { force: true });
            const start = performance.now();
            const z = spawnSync('/usr/bin/time', ['-f', '%M', '/usr/bin/zip', '-0', '-q', '-r', zipFile, '.'], { cwd: folder, encoding: 'utf8' });
            const ms = performance.now() - start;
            if (z.status !== 0) throw new Error(`zip failed: ${z.stderr}`);
            r.zip.push({ ms, rss: Number(z.stderr.trim().split('\n').pop()) / 1024, bytes: fs.statSync(zipFile).size });
            fs.rmSync(zipFile, { force: true });
          }
        }
        const o = r.ours.at(-1)!;
        const z = r.zip.at(-1)!;
        const mbps = (x: { ms: number; bytes: number }) => x.bytes / 1024 / 1024 / (x.ms / 1000);
        rows.push([`${mb} MB (${count} files)`, i, `${(o.ms / 1000).toFixed(2)} s`, mbps(o).toFixed(0), `${o.rss.toFixed(0)} MB`, `+${o.grew.toFixed(0)} MB`, `${(z.ms / 1000).toFixed(2)} s`, mbps(z).toFixed(0), `${z.rss.toFixed(1)} MB`, (mbps(o) / mbps(z)).toFixed(2)]);
      }
      const mo = { ms: median(r.ours.map((x) => x.ms)), bytes: r.ours[0]!.bytes, rss: median(r.ours.map((x) => x.rss)), grew: median(r.ours.map((x) => x.grew)) };
      const mz = { ms: median(r.zip.map((x) => x.ms)), bytes: r.zip[0]!.bytes, rss: median(r.zip.map((x) => x.rss)) };
      const mbps = (x: { ms: number; bytes: number }) => x.bytes / 1024 / 1024 / (x.ms / 1000);
      rows.push([`${mb} MB (${count} files)`, 'median', `${(mo.ms / 1000).toFixed(2)} s`, mbps(mo).toFixed(0), `${mo.rss.toFixed(0)} MB`, `+${mo.grew.toFixed(0)} MB`, `${(mz.ms / 1000).toFixed(2)} s`, mbps(mz).toFixed(0), `${mz.rss.toFixed(1)} MB`, (mbps(mo) / mbps(mz)).toFixed(2)]);
      results.push(r);
      fs.rmSync(storageDir, { recursive: true, force: true });
    }
    await db.destroy();
    console.log(`\nData export (the export job in its own process) against zip -0 -r on the same files; ${RUNS} alternating runs each`);
    table(rows);
    if (results.length >= 2) {
      const small = results[0]!;
      const large = results[results.length - 1]!;
      const rssRatio = median(large.ours.map((x) => x.rss)) / median(small.ours.map((x) => x.rss));
      console.log(`goal: peak RSS ${large.mb} MB / ${small.mb} MB ≤ 1.10 → ${rssRatio <= 1.1 ? 'PASS' : `FAIL (by ${(rssRatio - 1.1).toFixed(2)})`} (${rssRatio.toFixed(2)})`);
    }
    for (const r of results) {
      const t = (xs: { ms: number; bytes: number }[]) => xs[0]!.bytes / median(xs.map((x) => x.ms));
      const ratio = t(r.ours) / t(r.zip);
      console.log(`goal: throughput at ${r.mb} MB ≥ 0.80 × zip → ${ratio >= 0.8 ? 'PASS' : `FAIL (by ${(0.8 - ratio).toFixed(2)})`} (${ratio.toFixed(2)})`);
    }
  } catch (err) {
    console.error('benchmark failed:', err);
  } finally {
    await pg.stop().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
  process.exit(0);
}
