import { spawnSync } from 'node:child_process';

/** `npm run bench`: every benchmark in turn. Each prints its figures against a baseline measured in the same run. */
const benches: { name: string; load?: () => Promise<{ run(): Promise<void> }>; script?: string }[] = [
  { name: 'generation latency', load: () => import('./generation-latency.js') },
  { name: 'AI marking per image (against encoding it)', load: () => import('./marking.js') },
  { name: 'metrics overhead (tRPC requests/s, metrics on against off)', load: () => import('./metrics-overhead.js') },
  { name: 'image classifier per image (against encoding it)', load: () => import('./moderation.js') },
  { name: 'board comments: sent → heard by another member (against a read)', load: () => import('./board-comments.js') },
  { name: 'library at 100 000 items against 1 000 (issue 19 goal 2) and bytes per library page', load: () => import('./library-scale.js') },
  { name: 'data export of 100 MB and 1 GB against zip (issue 19 goal 3)', load: () => import('./export-scale.js') },
  // A standalone script (it owns its process and exits when done).
  { name: 'live boards against Hocuspocus (issue 14: fan-out, commit, 500 boards, memory, 5 000 items in Chromium)', script: 'bench/boards.ts' },
];

for (const b of benches) {
  console.log(`\n=== ${b.name} ===`);
  if (b.load) await (await b.load()).run();
  else if (b.script) spawnSync(process.execPath, ['--import', 'tsx', b.script], { stdio: 'inherit' });
}
process.exit(0);
