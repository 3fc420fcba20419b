/**
 * What AI marking adds to each generated image (server/provenance): time to put the XMP mark into a
 * 1024 × 1024 file of each format, against the time the image takes to encode with sharp in the
 * same run (the work every generation does anyway). Alternating runs, each printed; medians.
 * Run: `npx tsx bench/marking.ts` (part of `npm run bench`).
 */
import sharp, { type Sharp } from 'sharp';
import { markFor, markOutput } from '../server/provenance/index.js';
import { summarize, table } from './lib.js';

const RUNS = Number(process.env.BENCH_REPEATS ?? 3);
const PER_RUN = Number(process.env.BENCH_MARK_IMAGES ?? 30);

export async function run() {
  const mark = markFor({ provider: 'fal', modelLabel: 'FLUX.2 [klein] 4B', createdAt: new Date() });
  const base = sharp({ create: { width: 1024, height: 1024, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: 'gaussian', mean: 128, sigma: 40 } } });
  const raw = await base.raw().toBuffer();
  const formats = [
    { mime: 'image/png', encode: (s: Sharp) => s.png({ compressionLevel: 6 }) },
    { mime: 'image/jpeg', encode: (s: Sharp) => s.jpeg({ quality: 90 }) },
    { mime: 'image/webp', encode: (s: Sharp) => s.webp({ quality: 85 }) },
  ];
  const rows: (string | number)[][] = [['format', 'run', 'encode p50', 'mark p50', 'mark p99', 'mark / encode']];
  for (const f of formats) {
    const medians: number[] = [];
    for (let r = 1; r <= RUNS; r++) {
      const enc: number[] = [];
      const mk: number[] = [];
      for (let i = 0; i < PER_RUN; i++) {
        // alternate: one encode, then marking what it made
        let t = performance.now();
        const data = await f.encode(sharp(raw, { raw: { width: 1024, height: 1024, channels: 3 } })).toBuffer();
        enc.push(performance.now() - t);
        t = performance.now();
        markOutput({ data, mime: f.mime, width: 1024, height: 1024 }, mark);
        mk.push(performance.now() - t);
      }
      const e = summarize(enc);
      const m = summarize(mk);
      medians.push(m.p50 / e.p50);
      rows.push([f.mime, r, `${e.p50.toFixed(2)} ms`, `${m.p50.toFixed(3)} ms`, `${m.p99.toFixed(3)} ms`, `${((m.p50 / e.p50) * 100).toFixed(2)} %`]);
    }
    medians.sort((a, b) => a - b);
    rows.push([f.mime, 'median', '', '', '', `${(medians[Math.floor(medians.length / 2)]! * 100).toFixed(2)} %`]);
  }
  table(rows);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
