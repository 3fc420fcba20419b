import { spawnSync } from 'node:child_process';

/** `npm run bench`: every benchmark in turn. Each prints its figures against a baseline measured in the same run. */
const benches: { name: string; load?: () => Promise<{ run(): Promise<void> }>; script?: string }[] = [
  { name: 'JavaScript shipped per route (issue 19, goal 5)', load: () => import('./js-per-route.js') },
  { name: 'Lighthouse against the Remix template (issue 19, goal 1)', load: () => import('./lighthouse.js') },
  { name: 'tRPC procedure against an Express route (issue 19, goal 4)', load: () => import('./trpc-overhead.js') },
  { name: 'generation latency (issue 19, goal 6: 200 idle users, 500 at once)', load: () => import('./generation-latency.js') },
  { name: 'AI marking per image (against encoding it)', load: () => import('./marking.js') },
  { name: 'metrics overhead (tRPC requests/s, metrics on against off)', load: () => import('./metrics-overhead.js') },
  { name: 'image classifier per image (against encoding it)', load: () => import('./moderation.js') },
  { name: 'image classifier inference: onnxruntime-node against tfjs-wasm', load: () => import('./classifier-engines.js') },
  { name: 'board comments: sent → heard by another member (against a read)', load: () => import('./board-comments.js') },
  { name: 'library at 100 000 items against 1 000 (issue 19 goal 2) and bytes per library page', load: () => import('./library-scale.js') },
  { name: 'data export of 100 MB and 1 GB against zip (issue 19 goal 3)', load: () => import('./export-scale.js') },
  // A standalone script (it owns its process and exits when done).
  { name: 'live boards against Hocuspocus (issue 14: fan-out, commit, 500 boards, memory, 5 000 items in Chromium)', script: 'bench/boards.ts' },
];

// The page benchmarks read the production build: make it from the current sources first.
const built = spawnSync(process.execPath, ['node_modules/@remix-run/dev/dist/cli.js', 'build'], { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
if (built.status !== 0) console.error('remix build failed: the page benchmarks measure an older build, or none');

for (const b of benches) {
  console.log(`\n=== ${b.name} ===`);
  if (b.load) await (await b.load()).run();
  else if (b.script) spawnSync(process.execPath, ['--import', 'tsx', b.script], { stdio: 'inherit' });
}
process.exit(0);
