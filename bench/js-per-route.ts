import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { table } from './lib.js';

/**
 * JavaScript a first visit to each route downloads, from the Remix build manifest (public/build):
 * the entry, root and every route module on the way to the route, with all the chunks they import
 * statically (followed through the files themselves, so nothing the manifest leaves out is missed),
 * each file counted once. Dynamic `import()` chunks are left out: they load later, on demand.
 * Printed raw, gzip (level 6, what Express's `compression` sends) and brotli (quality 11, what a
 * precompressed asset is). The goal (issue 19) is on the studio and judged on gzip, the larger.
 * Also says which routes pull in Yjs (it must be only the board). Run `npx remix build` first;
 * `npm run bench` runs it after a build.
 */
const BUILD = path.resolve('public/build');
const STUDIO_GOAL_KB = 150;

interface ManifestRoute {
  id: string;
  parentId?: string;
  path?: string;
  index?: boolean;
  module: string;
  imports?: string[];
}
interface Manifest {
  entry: { module: string; imports: string[] };
  routes: Record<string, ManifestRoute>;
}

export function readManifest(buildDir = BUILD): Manifest {
  const file = fs.readdirSync(buildDir).find((f) => /^manifest-[A-Z0-9]+\.js$/.test(f));
  if (!file) throw new Error(`no Remix manifest in ${buildDir}: run \`npx remix build\` first`);
  const text = fs.readFileSync(path.join(buildDir, file), 'utf8');
  return JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)) as Manifest;
}

/** Static imports of one built file (`from"/build/…"` and bare `import"/build/…"`), not `import(…)`. */
function staticImports(source: string): string[] {
  const out: string[] = [];
  const re = /(?:from|import)\s*["'](\/build\/[^"']+\.js)["']/g;
  for (let m = re.exec(source); m; m = re.exec(source)) out.push(m[1]!);
  return out;
}

export interface RouteWeight {
  route: string;
  files: number;
  raw: number;
  gzip: number;
  brotli: number;
  yjs: boolean;
  /** zod is in it (page routes keep their schemas in .server modules or load them when used: ADR 0024). */
  zod: boolean;
}

/** Each route's first-load JavaScript; `compress: false` skips the gzip and brotli sizes (0), for a check of what is in it. */
export function weighRoutes(buildDir = BUILD, { compress = true } = {}): RouteWeight[] {
  const manifest = readManifest(buildDir);
  const publicDir = path.dirname(buildDir);
  const cache = new Map<string, { raw: number; gzip: number; brotli: number; yjs: boolean; zod: boolean; imports: string[] }>();
  const weigh = (url: string) => {
    let w = cache.get(url);
    if (!w) {
      const buf = fs.readFileSync(path.join(publicDir, url));
      const text = buf.toString('utf8');
      w = {
        raw: buf.length,
        gzip: compress ? zlib.gzipSync(buf, { level: 6 }).length : 0,
        brotli: compress ? zlib.brotliCompressSync(buf, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length : 0,
        // Yjs's own error text and its type names, present whenever the library is in a file.
        yjs: text.includes('Yjs was already imported'),
        // zod's core names its internals `_zod` and its error class ZodError.
        zod: text.includes('ZodError') || text.includes('._zod'),
        imports: staticImports(text),
      };
      cache.set(url, w);
    }
    return w;
  };
  const rows: RouteWeight[] = [];
  for (const route of Object.values(manifest.routes)) {
    if (route.id === 'root') continue;
    const chain: ManifestRoute[] = [];
    for (let r: ManifestRoute | undefined = route; r; r = r.parentId ? manifest.routes[r.parentId] : undefined) chain.unshift(r);
    const seen = new Set<string>();
    const queue = [manifest.entry.module, ...manifest.entry.imports, ...chain.flatMap((r) => [r.module, ...(r.imports ?? [])])];
    while (queue.length) {
      const url = queue.pop()!;
      if (seen.has(url)) continue;
      seen.add(url);
      queue.push(...weigh(url).imports);
    }
    const sum = { raw: 0, gzip: 0, brotli: 0, yjs: false, zod: false };
    for (const url of seen) {
      const w = weigh(url);
      sum.raw += w.raw;
      sum.gzip += w.gzip;
      sum.brotli += w.brotli;
      sum.yjs ||= w.yjs;
      sum.zod ||= w.zod;
    }
    rows.push({ route: route.id.replace(/^routes\//, ''), files: seen.size, ...sum });
  }
  return rows.sort((a, b) => a.route.localeCompare(b.route));
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;

export async function run() {
  const rows = weighRoutes();
  console.log('JavaScript shipped on a first visit, per route (entry + root + route chain + static chunks)');
  table([['route', 'files', 'raw', 'gzip', 'brotli', 'Yjs', 'zod'], ...rows.map((r) => [r.route, r.files, kb(r.raw), kb(r.gzip), kb(r.brotli), r.yjs ? 'yes' : '—', r.zod ? 'yes' : '—'])]);
  const studio = rows.find((r) => r.route === 'studio');
  if (!studio) throw new Error('no studio route in the manifest');
  const withYjs = rows.filter((r) => r.yjs).map((r) => r.route);
  // The board, for members and for share-link holders (s.$token renders the same canvas, read-only).
  const allowed = (r: string) => r.startsWith('boards.$boardId') || r === 's.$token';
  console.log(`\ngoal: studio ≤ ${STUDIO_GOAL_KB} kB compressed → ${studio.gzip <= STUDIO_GOAL_KB * 1024 ? 'PASS' : 'FAIL'} (${kb(studio.gzip)} gzip, ${kb(studio.brotli)} brotli)`);
  console.log(`goal: Yjs only on the board routes → ${withYjs.every(allowed) ? 'PASS' : 'FAIL'} (on: ${withYjs.join(', ') || 'none'})`);
  const withZod = rows.filter((r) => r.zod).map((r) => r.route);
  console.log(`zod on a first visit: ${withZod.join(', ') || 'no route'}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
}
