/**
 * Issue 19, goal 2: the library at 100 000 items against the same queries at 1 000.
 *
 * One database, two workspaces seeded by scripts/seed-library.ts (the seed script's code): a small
 * one (1 000 items) and a large one (100 000). Each query runs through the library service
 * (`listAssets`, what the tRPC procedure and the page call), alternating small and large, RUNS runs
 * of ITER calls each; every run is printed, then the medians of the runs and the ratio.
 * Cases: first page; a page 40 pages deep (keyset cursor: must cost what the first does); a
 * full-text search with many matches ("lighthouse", ≈ 5 %); one with few ("misty lighthouse
 * night"); a seed.
 * Also prints the plan of the large workspace's search (`EXPLAIN`): it must use asset_search_idx.
 *
 * Then bytes per library page (the "Also" item): one page of 24 items, fetched over HTTP as the
 * grid does it: full-size originals (a grid without thumbnails), the 512 px WebP the grid used
 * before this change (made on first request), and the 256 px WebP it uses now at 1× (made when the
 * output is stored); plus the page's HTML, plain against brotli.
 * Run: `npx tsx bench/library-scale.ts` (part of `npm run bench`). BENCH_LIBRARY_LARGE changes the size.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { sql } from 'kysely';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { seedLibrary } from '../scripts/seed-library.js';
import { listAssets } from '../server/services/assets.js';
import { signUp, startTestServer, type TestServer } from '../server/testing/harness.js';
import { ms, summarize, table } from './lib.js';

const SMALL = 1000;
const LARGE = Number(process.env.BENCH_LIBRARY_LARGE ?? 100_000);
const RUNS = Number(process.env.BENCH_REPEATS ?? 3);
const ITER = Number(process.env.BENCH_LIBRARY_ITER ?? 200);

async function personalWorkspace(server: TestServer, userId: string) {
  return (await server.deps.db.selectFrom('membership').select('workspace_id').where('user_id', '=', userId).where('role', '=', 'owner').executeTakeFirstOrThrow()).workspace_id;
}

export async function run() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-bench-lib-'));
  fs.chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), database: 'postgres', persistent: false });
  let server: TestServer | null = null;
  try {
    server = await startTestServer(pg.url, { env: { LOG_LEVEL: 'error', RUN_WORKER: 'false' }, start: { ui: true } });
    const small = await signUp(server, 'Small Library');
    const large = await signUp(server, 'Large Library');
    const ws = { small: await personalWorkspace(server, small.id), large: await personalWorkspace(server, large.id) };
    const storageDir = server.config.storageDir;
    const t0 = performance.now();
    await seedLibrary(server.deps.db, { workspaceId: ws.small, userId: small.id, assets: SMALL, storageDir });
    const s = await seedLibrary(server.deps.db, { workspaceId: ws.large, userId: large.id, assets: LARGE, storageDir, linkFiles: false });
    console.log(`seeded ${SMALL} + ${LARGE} items in ${((performance.now() - t0) / 1000).toFixed(1)} s (the large one: ${(s.ms / 1000).toFixed(1)} s)`);

    const actor = { small: { userId: small.id }, large: { userId: large.id } };
    // A cursor 40 pages deep, found by walking (as a person scrolling does).
    const deepCursor = async (who: 'small' | 'large') => {
      let cursor: string | undefined;
      for (let i = 0; i < 40; i++) cursor = (await listAssets(server!.deps, actor[who], { workspaceId: ws[who], limit: 24, cursor })).nextCursor ?? undefined;
      return cursor;
    };
    const cursors = { small: await deepCursor('small'), large: await deepCursor('large') };
    const cases: { name: string; input: (who: 'small' | 'large') => Parameters<typeof listAssets>[2]; goal: number }[] = [
      { name: 'first page (24, newest first)', input: (who) => ({ workspaceId: ws[who], limit: 24 }), goal: 50 },
      { name: 'page 41 (keyset cursor)', input: (who) => ({ workspaceId: ws[who], limit: 24, cursor: cursors[who] }), goal: 50 },
      { name: 'search "lighthouse" (≈5 % match)', input: (who) => ({ workspaceId: ws[who], limit: 24, q: 'lighthouse' }), goal: 100 },
      { name: 'search "misty lighthouse night" (rare)', input: (who) => ({ workspaceId: ws[who], limit: 24, q: 'misty lighthouse night' }), goal: 100 },
      { name: 'search by seed', input: (who) => ({ workspaceId: ws[who], limit: 24, q: String(10_000 + 4 * 123 + 1) }), goal: 100 },
    ];
    const rows: (string | number)[][] = [['case', 'run', `${SMALL} p50`, `${SMALL} p99`, `${LARGE} p50`, `${LARGE} p99`, 'p99 ratio']];
    const verdicts: string[] = [];
    for (const c of cases) {
      const p99s = { small: [] as number[], large: [] as number[] };
      const p50s = { small: [] as number[], large: [] as number[] };
      for (let r = 1; r <= RUNS; r++) {
        const t = { small: [] as number[], large: [] as number[] };
        for (let i = 0; i < ITER; i++) {
          // alternate which size goes first
          for (const who of i % 2 ? (['small', 'large'] as const) : (['large', 'small'] as const)) {
            const start = performance.now();
            await listAssets(server.deps, actor[who], c.input(who));
            t[who].push(performance.now() - start);
          }
        }
        const a = summarize(t.small);
        const b = summarize(t.large);
        p99s.small.push(a.p99);
        p99s.large.push(b.p99);
        p50s.small.push(a.p50);
        p50s.large.push(b.p50);
        rows.push([c.name, r, ms(a.p50), ms(a.p99), ms(b.p50), ms(b.p99), (b.p99 / a.p99).toFixed(2)]);
      }
      const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
      const ratio = med(p99s.large) / med(p99s.small);
      rows.push([c.name, 'median', ms(med(p50s.small)), ms(med(p99s.small)), ms(med(p50s.large)), ms(med(p99s.large)), ratio.toFixed(2)]);
      const ok = med(p99s.large) <= c.goal && (c.goal > 50 || ratio <= 1.5);
      verdicts.push(`goal: ${c.name} at ${LARGE}: p99 ≤ ${c.goal} ms${c.goal === 50 ? ' and ≤ 1.5× the small one' : ''} → ${ok ? 'PASS' : `FAIL (by ${(med(p99s.large) - c.goal).toFixed(1)} ms / ratio ${ratio.toFixed(2)})`} (${ms(med(p99s.large))}, ${ratio.toFixed(2)}×)`);
    }
    console.log(`\nLibrary list and search, ${SMALL} against ${LARGE} items (${RUNS} runs × ${ITER} calls each, alternating)`);
    table(rows);
    for (const v of verdicts) console.log(v);

    // The plan the large workspace's search gets, as the planner chooses it.
    const plan = await sql<{ 'QUERY PLAN': string }>`explain (analyze, buffers off, timing off, summary on)
      select asset.id from asset inner join workspace on workspace.id = asset.workspace_id left join generation on generation.id = asset.generation_id
      where asset.deleted_at is null and asset.hidden_at is null and asset.workspace_id = ${ws.large}
        and (asset.search @@ websearch_to_tsquery('english', 'misty lighthouse night') or asset.search @@ to_tsquery('simple', 'misty:* & lighthouse:* & night:*'))
      order by asset.created_at desc, asset.id desc limit 25`.execute(server.deps.db);
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    console.log(`\nEXPLAIN of the rare search at ${LARGE}:\n${text}`);
    console.log(`goal: full-text search uses its index → ${text.includes('asset_search_idx') ? 'PASS' : 'FAIL (no asset_search_idx in the plan)'}`);

    await bytesPerPage(server, small, ws.small);
  } catch (err) {
    console.error('benchmark failed:', err);
  } finally {
    await server?.stop().catch(() => {});
    await pg.stop().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function bytesPerPage(server: TestServer, user: { id: string; cookie: string }, workspaceId: string) {
  const page = await listAssets(server.deps, { userId: user.id }, { workspaceId, limit: 24 });
  // node:http, not fetch: fetch decodes brotli, and the bytes on the wire are what is measured.
  const http = await import('node:http');
  const get = (url: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; bytes: number; ms: number; encoding: string | null }>((resolve, reject) => {
      const start = performance.now();
      http
        .get(`${server.url}${url}`, { headers: { cookie: user.cookie, ...headers } }, (res) => {
          let bytes = 0;
          res.on('data', (c: Buffer) => (bytes += c.length));
          res.on('end', () => resolve({ status: res.statusCode!, bytes, ms: performance.now() - start, encoding: (res.headers['content-encoding'] as string | undefined) ?? null }));
        })
        .on('error', reject);
    });
  // The 512 px thumbnails as before: made on the first request (removed first, as they were not made at store time).
  for (const a of page.items) await fs.promises.rm(path.join(server.config.storageDir, 'thumbs', `${a.id}.webp`), { force: true });
  const sum = async (suffix: string) => {
    let bytes = 0;
    const times: number[] = [];
    for (const a of page.items) {
      const r = await get(`${a.url}${suffix}`);
      if (r.status !== 200) throw new Error(`${a.url}${suffix}: ${r.status}`);
      bytes += r.bytes;
      times.push(r.ms);
    }
    return { bytes, p50: summarize(times).p50 };
  };
  const originals = await sum('');
  const before = await sum('?thumb=512');
  const after = await sum('?thumb=256');
  const after2x = await sum('?thumb=512');
  const revalidate = await get(`${page.items[0]!.url}?thumb=256`, { 'if-none-match': (await fetch(`${server.url}${page.items[0]!.url}?thumb=256`, { headers: { cookie: user.cookie } })).headers.get('etag') ?? '' });
  const html = await get('/library', { 'accept-encoding': 'identity' });
  const htmlBr = await get('/library', { 'accept-encoding': 'br, gzip' });
  const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
  console.log(`\nBytes per library page (24 items, 1024 × 1024 PNG outputs), over HTTP`);
  table([
    ['what the grid downloads', 'bytes', 'per item', 'p50 per request', 'vs full size'],
    ['full-size originals (no thumbnails)', kb(originals.bytes), kb(originals.bytes / 24), ms(originals.p50), '1.00'],
    ['before: 512 px WebP, made on first request', kb(before.bytes), kb(before.bytes / 24), ms(before.p50), (before.bytes / originals.bytes).toFixed(3)],
    ['now at 1×: 256 px WebP, made at store time', kb(after.bytes), kb(after.bytes / 24), ms(after.p50), (after.bytes / originals.bytes).toFixed(3)],
    ['now at 2× (srcset): 512 px WebP, stored', kb(after2x.bytes), kb(after2x.bytes / 24), ms(after2x.p50), (after2x.bytes / originals.bytes).toFixed(3)],
  ]);
  console.log(`a repeat view: the browser keeps each file a year (immutable); a revalidation answers ${revalidate.status} with ${revalidate.bytes} bytes`);
  console.log(`the page's HTML: ${kb(html.bytes)} plain, ${kb(htmlBr.bytes)} with ${htmlBr.encoding ?? 'no encoding'} (${(htmlBr.bytes / html.bytes).toFixed(2)}×)`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
  process.exit(0);
}
