/**
 * The image classifier's inference per image on each runtime, in one process: nsfwjs's MobileNetV2
 * as the folded graph on TensorFlow.js's WebAssembly backend (what ran before ADR 0028, now the
 * fallback) against the ONNX graph on onnxruntime-node with one and with two intra-op threads.
 * One image at a time and batches of four, the engines taking turns within each run (A/B/C, A/B/C…)
 * so a busy machine weighs on all alike; each run printed with the load average; medians.
 * Also how long each takes to load, and how long the event loop is held during one ORT inference
 * in this thread (why the model still runs in a worker thread).
 * Run: `npx tsx bench/classifier-engines.ts` (part of `npm run bench`). BENCH_REPEATS (3),
 * BENCH_CLASSIFY_IMAGES (20) change the load.
 */
import os from 'node:os';
import { INPUT_BYTES, loadNsfwNet, type NsfwNet } from '../server/services/moderation/nsfw-net.js';
import { ms, summarize, table } from './lib.js';

const RUNS = Number(process.env.BENCH_REPEATS ?? 3);
const PER_RUN = Number(process.env.BENCH_CLASSIFY_IMAGES ?? 20);

function picture(seed: number): Uint8Array {
  const px = new Uint8Array(INPUT_BYTES);
  let s = seed * 2654435761 || 1;
  for (let i = 0; i < px.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    px[i] = (s >>> 0) & 255;
  }
  return px;
}

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

export async function run() {
  const engines: { name: string; net: NsfwNet; loadMs: number }[] = [];
  for (const [name, opts] of [
    ['tfjs-wasm (folded)', { engine: 'tfjs' as const }],
    ['onnxruntime, 1 thread', { threads: 1 }],
    ['onnxruntime, 2 threads', { threads: 2 }],
  ] as const) {
    const t = performance.now();
    const net = await loadNsfwNet(opts);
    engines.push({ name, net, loadMs: performance.now() - t });
    if (name.startsWith('onnx') && net.engine !== 'onnxruntime') throw new Error(`onnxruntime did not load: ${net.fallback}`);
  }
  console.log(`load (first of each in this process): ${engines.map((e) => `${e.name} ${e.loadMs.toFixed(0)} ms`).join(', ')}`);
  // Warm each (first runs allocate).
  for (const e of engines) for (let i = 0; i < 3; i++) await e.net.classify([picture(i + 1)]);

  const single = new Map(engines.map((e) => [e.name, [] as number[]]));
  const batch = new Map(engines.map((e) => [e.name, [] as number[]]));
  let n = 100;
  for (let r = 1; r <= RUNS; r++) {
    const perRun = new Map(engines.map((e) => [e.name, [] as number[]]));
    for (let i = 0; i < PER_RUN; i++) {
      const img = picture(n++);
      for (const e of engines) {
        const t = performance.now();
        await e.net.classify([img]);
        const d = performance.now() - t;
        perRun.get(e.name)!.push(d);
        single.get(e.name)!.push(d);
      }
    }
    for (let i = 0; i < PER_RUN / 4; i++) {
      const imgs = [picture(n++), picture(n++), picture(n++), picture(n++)];
      for (const e of engines) {
        const t = performance.now();
        await e.net.classify(imgs);
        batch.get(e.name)!.push((performance.now() - t) / 4);
      }
    }
    console.log(`run ${r} (load average ${load()}): one image p50 ${engines.map((e) => `${e.name} ${ms(summarize(perRun.get(e.name)!).p50)}`).join(', ')}`);
  }

  // How long one ORT inference holds the calling thread's event loop (it is synchronous native code).
  const ort = engines[1]!.net;
  let longest = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  for (let i = 0; i < 10; i++) await ort.classify([picture(i + 500)]);
  clearInterval(timer);

  const base = summarize(single.get(engines[0]!.name)!).p50;
  console.log(`\nClassifier inference per 224×224 image, ${RUNS} runs × ${PER_RUN} images (load average now ${load()})`);
  table([
    ['runtime', 'one image p50', 'one image p95', 'in batches of 4, per image p50', 'one image, against tfjs-wasm'],
    ...engines.map((e) => {
      const s = summarize(single.get(e.name)!);
      return [e.name, ms(s.p50), ms(s.p95), ms(summarize(batch.get(e.name)!).p50), `${(s.p50 / base).toFixed(2)}×`];
    }),
  ]);
  console.log(`onnxruntime (1 thread) in the calling thread holds its event loop up to ${ms(longest)} per inference: the model stays in a worker thread.`);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
