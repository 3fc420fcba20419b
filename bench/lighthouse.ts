import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import express from 'express';
import { createRequestHandler } from '@remix-run/express';
import type { ServerBuild } from '@remix-run/node';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import sharp from 'sharp';
import { startEmbeddedPostgres } from '../db/embedded.js';
import type { ModelProvider } from '../server/providers/types.js';
import { eventually, signUp, startTestServer, trpcClient, type TestServer } from '../server/testing/harness.js';
import { table } from './lib.js';

/**
 * Lighthouse (its default mobile preset: a mid-range phone, simulated slow 4G) on four product
 * pages, against the stock Remix template's index page (bench/fixtures/remix-template, built with
 * the product's Remix version and served by the same kind of Express server: the Remix request
 * handler behind `express.static` for /build and public/) in the same run. Pages: sign-in (signed
 * out), studio, the library with 200 items and a board with 200 items (signed in; the items come
 * from real generations by an instant renderer). Runs alternate template / page, LH_RUNS times
 * (default 3); prints every run and the medians, and the goals of issue 19: performance ≥ 95 and
 * ≥ 1.0× the template, accessibility 100, best practices ≥ 95.
 * A measurement: it exits 0 whatever the numbers. Needs `npx remix build` first and
 * Chromium (CHROME_PATH, default /usr/bin/chromium). LH_KEEP=<dir> keeps each run's report and trace
 * there (NN-<page>.json, NN-<page>.trace.json: open the trace in Chrome's Performance panel); with
 * LH_PROFILE=1 the traces also hold V8's CPU profile (not for scores: profiling slows the page).
 */
const RUNS = Number(process.env.LH_RUNS ?? 3);
const ITEMS = Number(process.env.LH_ITEMS ?? 200);
const TEMPLATE_PORT = Number(process.env.LH_TEMPLATE_PORT ?? 4401);
const CHROME_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium';
/** A folder to keep each run's Lighthouse report (JSON) and its trace in, to read what held the main thread. */
const KEEP = process.env.LH_KEEP ? path.resolve(process.env.LH_KEEP) : undefined;
const TEMPLATE_DIR = path.resolve('bench/fixtures/remix-template');
const CATEGORIES = ['performance', 'accessibility', 'best-practices'] as const;
type Category = (typeof CATEGORIES)[number];
type Scores = Record<Category, number>;

/** Builds the template (when its build is missing or older than its sources) and serves it like the product serves itself. */
async function startTemplate(): Promise<{ url: string; close(): Promise<void> }> {
  const built = path.join(TEMPLATE_DIR, 'build/index.js');
  const newest = Math.max(...['app/root.tsx', 'app/routes/_index.tsx', 'remix.config.js'].map((f) => fs.statSync(path.join(TEMPLATE_DIR, f)).mtimeMs));
  if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < newest) {
    const r = spawnSync(path.resolve('node_modules/.bin/remix'), ['build'], { cwd: TEMPLATE_DIR, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
    if (r.status !== 0) throw new Error('building the Remix template failed');
  }
  const build = (await import(pathToFileURL(built).href)) as ServerBuild;
  const app = express();
  app.disable('x-powered-by');
  app.use('/build', express.static(path.join(TEMPLATE_DIR, 'public/build'), { immutable: true, maxAge: '1y' }));
  app.use(express.static(path.join(TEMPLATE_DIR, 'public'), { maxAge: '1h' }));
  app.all('*', createRequestHandler({ build, mode: 'production' }));
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(TEMPLATE_PORT, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${TEMPLATE_PORT}/`, close: () => new Promise((r) => server.close(() => r())) };
}

/** A renderer that answers at once with a real 512×512 picture (a different colour per job). */
async function instantProvider(): Promise<ModelProvider> {
  const pngs = await Promise.all(
    ['#4a6fa5', '#a55a4a', '#4aa56f', '#8a4aa5'].map((c) => sharp({ create: { width: 512, height: 512, channels: 3, background: c } }).png().toBuffer()),
  );
  let n = 0;
  return {
    name: 'local',
    async generate(req) {
      return Array.from({ length: req.count }, () => ({ data: pngs[n++ % pngs.length]!, mime: 'image/png', width: 512, height: 512 }));
    },
  };
}

/** `ITEMS` images through real generations, 4 per job; with a board, they land on it. */
async function generate(server: TestServer, api: ReturnType<typeof trpcClient>, boardId?: string) {
  const jobs = Math.ceil(ITEMS / 4);
  const ids: string[] = [];
  for (let i = 0; i < jobs; i++) ids.push((await api.generation.create.mutate({ prompt: `lighthouse ${boardId ? 'board' : 'library'} ${i}`, count: 4, ...(boardId ? { boardId } : {}) })).id);
  await eventually(
    async () => {
      const rows = await server.deps.db.selectFrom('generation').select('status').where('id', 'in', ids).execute();
      return rows.every((r) => r.status === 'succeeded' || r.status === 'failed');
    },
    600_000,
    500,
  );
}

let kept = 0;
async function audit(url: string, port: number, cookie?: string, attempt = 1): Promise<Scores> {
  const result = await lighthouse(url, {
    port,
    output: 'json',
    logLevel: 'error',
    onlyCategories: [...CATEGORIES],
    ...(cookie ? { extraHeaders: { Cookie: cookie } } : {}),
    // LH_PROFILE=1 records V8's sampling profiler in the kept trace (which functions held the main thread); it slows the page a little, so not for scores.
    ...(process.env.LH_PROFILE ? { additionalTraceCategories: 'disabled-by-default-v8.cpu_profiler' } : {}),
  });
  if (!result) throw new Error(`lighthouse returned nothing for ${url}`);
  const lhr = result.lhr;
  // A trace that failed to record (NO_NAVSTART, NO_FCP on a starved machine) says nothing about the page: once more.
  if (lhr.runtimeError && attempt < 3) {
    console.log(`    ${url}: ${lhr.runtimeError.code}, running it again`);
    return audit(url, port, cookie, attempt + 1);
  }
  if (lhr.runtimeError) throw new Error(`lighthouse on ${url}: ${lhr.runtimeError.message}`);
  if (KEEP) {
    fs.mkdirSync(KEEP, { recursive: true });
    const name = `${String(++kept).padStart(2, '0')}-${new URL(url).pathname.split('/')[1] || 'template'}`;
    fs.writeFileSync(path.join(KEEP, `${name}.json`), JSON.stringify(lhr));
    const trace = (result.artifacts as { Trace?: unknown }).Trace;
    if (trace) fs.writeFileSync(path.join(KEEP, `${name}.trace.json`), JSON.stringify(trace));
  }
  const scores = Object.fromEntries(CATEGORIES.map((c) => [c, Math.round((lhr.categories[c]?.score ?? 0) * 100)])) as Scores;
  // What pulled each category down, for the log and the ADR.
  const failing = Object.values(lhr.audits)
    .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== 'informative' && a.scoreDisplayMode !== 'manual' && a.scoreDisplayMode !== 'notApplicable')
    .map((a) => `${a.id}${a.displayValue ? ` (${a.displayValue})` : ''}`);
  const m = (id: string) => lhr.audits[id]?.displayValue ?? '—';
  const load = os.loadavg()[0]!.toFixed(2);
  console.log(`    ${url.replace(/^http:\/\/[^/]+/, '')}: perf ${scores.performance}, a11y ${scores.accessibility}, bp ${scores['best-practices']} · FCP ${m('first-contentful-paint')}, LCP ${m('largest-contentful-paint')}, TBT ${m('total-blocking-time')}, CLS ${m('cumulative-layout-shift')} · load ${load}`);
  if (failing.length) console.log(`      below 0.9: ${failing.join(', ')}`);
  // Accessibility and best-practice failures name their elements: the first few of each.
  for (const c of ['accessibility', 'best-practices'] as const) {
    for (const ref of lhr.categories[c]?.auditRefs ?? []) {
      const a = lhr.audits[ref.id];
      if (!a || a.score === null || a.score >= 1 || ref.weight === 0) continue;
      const items = ((a.details as { items?: { node?: { snippet?: string; nodeLabel?: string }; description?: string; source?: { url?: string } }[] } | undefined)?.items ?? []).slice(0, 3);
      console.log(`      ${c} · ${a.id}: ${items.map((i) => i.node?.snippet ?? i.description ?? i.source?.url ?? '').join(' | ').slice(0, 400)}`);
    }
  }
  return scores;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run() {
  if (!fs.existsSync(path.resolve('build/index.js'))) throw new Error('no Remix build: run `npx remix build` first');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-bench-lh-'));
  fs.chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), database: 'postgres', persistent: false });
  let server: TestServer | undefined;
  let template: Awaited<ReturnType<typeof startTemplate>> | undefined;
  let chrome: chromeLauncher.LaunchedChrome | undefined;
  try {
    template = await startTemplate();
    server = await startTestServer(pg.url, {
      env: { NODE_ENV: 'production', LOG_LEVEL: 'error', SIGNUP_CREDITS: '100000', WORKER_CONCURRENCY: '4', GENERATION_RATE_PER_MINUTE: '100000', GENERATION_MAX_IN_FLIGHT: '100000', GENERATION_MAX_IN_FLIGHT_PER_WORKSPACE: '100000' },
      start: { ui: true, providers: [await instantProvider()] },
    });
    const user = await signUp(server, 'Lighthouse');
    const api = trpcClient(server, user);
    const me = await api.me.get.query();
    const workspaceId = me!.workspaces[0]!.id;
    const board = await api.board.create.mutate({ workspaceId, name: 'Lighthouse board' });
    console.log(`  seeding ${ITEMS} library items and ${ITEMS} board items…`);
    await generate(server, api);
    await generate(server, api, board.id);
    // The visitor has made the cookie choice (as the e2e fixtures do), so the banner does not cover the pages.
    const cookie = `${user.cookie}; fk_consent=2026-11-24.00.${Date.now()}`;
    const pages: { name: string; url: string; cookie?: string }[] = [
      { name: 'sign-in', url: `${server.url}/sign-in` },
      { name: 'studio', url: `${server.url}/studio`, cookie },
      { name: `library (${ITEMS} items)`, url: `${server.url}/library`, cookie },
      { name: `board (${ITEMS} items)`, url: `${server.url}/boards/${board.id}`, cookie },
    ];

    chrome = await chromeLauncher.launch({
      chromePath: CHROME_PATH,
      chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const results = new Map<string, Scores[]>([['template', []], ...pages.map((p) => [p.name, []] as [string, Scores[]])]);
    for (let i = 0; i < RUNS; i++) {
      console.log(`  run ${i + 1} of ${RUNS}`);
      for (const p of pages) {
        // Template and page one after the other, in alternating order, so machine load hits both alike.
        const order = i % 2 === 0 ? ['template', p.name] : [p.name, 'template'];
        for (const which of order) {
          if (which === 'template') results.get('template')!.push(await audit(template.url, chrome.port));
          else results.get(p.name)!.push(await audit(p.url, chrome.port, p.cookie));
        }
      }
    }
    const med = (name: string, c: Category) => median(results.get(name)!.map((s) => s[c]));
    const tPerf = med('template', 'performance');
    console.log(`\nLighthouse, mobile preset (medians of ${RUNS} runs; template runs: ${results.get('template')!.length})`);
    const rows: (string | number)[][] = [['page', 'performance', '× template', 'accessibility', 'best practices', 'goals']];
    rows.push(['Remix template index', tPerf, '1.00', med('template', 'accessibility'), med('template', 'best-practices'), '(baseline)']);
    for (const p of pages) {
      const perf = med(p.name, 'performance');
      const ok = perf >= 95 && perf >= tPerf && med(p.name, 'accessibility') === 100 && med(p.name, 'best-practices') >= 95;
      rows.push([p.name, perf, (perf / tPerf).toFixed(2), med(p.name, 'accessibility'), med(p.name, 'best-practices'), ok ? 'PASS' : 'FAIL']);
    }
    table(rows);
    console.log('goals: performance ≥ 95 and ≥ 1.0× the template; accessibility 100; best practices ≥ 95');
  } catch (err) {
    console.error('benchmark failed:', err);
  } finally {
    chrome?.kill();
    await template?.close().catch(() => {});
    await server?.stop().catch(() => {});
    await pg.stop().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
  process.exit(0);
}
