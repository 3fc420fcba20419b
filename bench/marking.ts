/**
 * What AI marking adds to each generated image (server/provenance), for a 1024 × 1024 file of each
 * format: the time to put the XMP mark in, the time to sign a C2PA manifest over the result (PNG
 * and JPEG; ES256 with a development chain), and the bytes both add, against the time the image
 * takes to encode with sharp in the same run (the work every generation does anyway). Alternating
 * runs, each printed; medians.
 * Run: `npx tsx bench/marking.ts` (part of `npm run bench`).
 */
import sharp, { type Sharp } from 'sharp';
import { canSignC2pa, markFor } from '../server/provenance/index.js';
import { signC2pa } from '../server/provenance/c2pa.js';
import { makeDevelopmentChain, signerFrom } from '../server/provenance/credentials.js';
import { embedXmp, xmpPacket } from '../server/provenance/xmp.js';
import { summarize, table } from './lib.js';

const RUNS = Number(process.env.BENCH_REPEATS ?? 3);
const PER_RUN = Number(process.env.BENCH_MARK_IMAGES ?? 30);

export async function run() {
  const mark = markFor({ provider: 'fal', modelLabel: 'FLUX.2 [klein] 4B', createdAt: new Date() });
  const chain = await makeDevelopmentChain();
  const signer = signerFrom(chain.keyPem, chain.chainPem);
  const base = sharp({ create: { width: 1024, height: 1024, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } });
  const raw = await base.raw().toBuffer();
  const formats = [
    { mime: 'image/png', encode: (s: Sharp) => s.png({ compressionLevel: 6 }) },
    { mime: 'image/jpeg', encode: (s: Sharp) => s.jpeg({ quality: 90 }) },
    { mime: 'image/webp', encode: (s: Sharp) => s.webp({ quality: 85 }) },
  ];
  const ms = (v: number, digits = 2) => `${v.toFixed(digits)} ms`;
  const rows: (string | number)[][] = [['format', 'run', 'size', 'encode p50', 'XMP p50', 'C2PA sign p50', 'C2PA sign p99', 'bytes added', 'marking / encode']];
  for (const f of formats) {
    const signs = canSignC2pa(f.mime);
    const ratios: number[] = [];
    for (let r = 1; r <= RUNS; r++) {
      const enc: number[] = [];
      const xmp: number[] = [];
      const c2pa: number[] = [];
      let size = 0;
      let added = 0;
      for (let i = 0; i < PER_RUN; i++) {
        // alternate: one encode, then marking what it made
        let t = performance.now();
        const data = await f.encode(sharp(raw, { raw: { width: 1024, height: 1024, channels: 3 } })).toBuffer();
        enc.push(performance.now() - t);
        t = performance.now();
        const withXmp = embedXmp(data, f.mime, xmpPacket(mark));
        xmp.push(performance.now() - t);
        let final = withXmp;
        if (signs) {
          t = performance.now();
          final = await signC2pa(withXmp, f.mime, mark, signer);
          c2pa.push(performance.now() - t);
        }
        size = data.length;
        added = final.length - data.length;
      }
      const e = summarize(enc);
      const x = summarize(xmp);
      const c = signs ? summarize(c2pa) : null;
      const ratio = (x.p50 + (c?.p50 ?? 0)) / e.p50;
      ratios.push(ratio);
      rows.push([
        f.mime,
        r,
        `${(size / 1024).toFixed(0)} KiB`,
        ms(e.p50),
        ms(x.p50, 3),
        c ? ms(c.p50) : 'not written',
        c ? ms(c.p99) : '',
        `${added} B (${((added / size) * 100).toFixed(2)} %)`,
        `${(ratio * 100).toFixed(2)} %`,
      ]);
    }
    ratios.sort((a, b) => a - b);
    rows.push([f.mime, 'median', '', '', '', '', '', '', `${(ratios[Math.floor(ratios.length / 2)]! * 100).toFixed(2)} %`]);
  }
  table(rows);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
