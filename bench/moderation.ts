/**
 * What the local image classifier adds to each generation (server/services/moderation): the time
 * nsfwjs (MobileNetV2, on onnxruntime-node since ADR 0028) takes to classify a 1024 × 1024
 * image, against the time sharp takes to encode that image as PNG in the same run (work every
 * generation does anyway). Alternating runs (encode one, classify it), each run printed; medians.
 * The model load, paid once per process, is printed on its own.
 * Run: `npx tsx bench/moderation.ts` (part of `npm run bench`). BENCH_REPEATS, BENCH_CLASSIFY_IMAGES change the load.
 */
import sharp from 'sharp';
import { createNsfwClassifier } from '../server/services/moderation/classifier.js';
import { summarize, table } from './lib.js';

const RUNS = Number(process.env.BENCH_REPEATS ?? 3);
const PER_RUN = Number(process.env.BENCH_CLASSIFY_IMAGES ?? 20);
const SIZE = 1024;

export async function run() {
  // Each image differs (new noise), so nothing is answered from the classifier's small cache.
  const image = (i: number) =>
    sharp({ create: { width: SIZE, height: SIZE, channels: 3, background: { r: (i * 37) % 256, g: 120, b: 200 }, noise: { type: 'gaussian', mean: 100 + (i % 50), sigma: 30 } } })
      .raw()
      .toBuffer();
  let t = performance.now();
  await createNsfwClassifier().classify(await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } }).png().toBuffer(), 'image/png');
  console.log(`model load and first classification: ${(performance.now() - t).toFixed(0)} ms (once per process)`);

  const rows: (string | number)[][] = [['run', 'images', 'encode PNG p50', 'classify p50', 'classify p95', 'classify / encode']];
  const ratios: number[] = [];
  let n = 0;
  for (let r = 1; r <= RUNS; r++) {
    const enc: number[] = [];
    const cls: number[] = [];
    for (let i = 0; i < PER_RUN; i++) {
      const raw = await image(n++);
      // alternate: encode the image, then classify what was encoded
      t = performance.now();
      const png = await sharp(raw, { raw: { width: SIZE, height: SIZE, channels: 3 } }).png({ compressionLevel: 6 }).toBuffer();
      enc.push(performance.now() - t);
      const classifier = createNsfwClassifier(); // a fresh cache, the same loaded model
      t = performance.now();
      await classifier.classify(png, 'image/png');
      cls.push(performance.now() - t);
    }
    const e = summarize(enc);
    const c = summarize(cls);
    ratios.push(c.p50 / e.p50);
    rows.push([r, PER_RUN, `${e.p50.toFixed(1)} ms`, `${c.p50.toFixed(1)} ms`, `${c.p95.toFixed(1)} ms`, `${(c.p50 / e.p50).toFixed(2)} ×`]);
  }
  ratios.sort((a, b) => a - b);
  rows.push(['median', '', '', '', '', `${ratios[Math.floor(ratios.length / 2)]!.toFixed(2)} ×`]);
  table(rows);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
