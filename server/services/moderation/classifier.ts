/**
 * The local image classifier: nsfwjs (its MobileNetV2 model ships inside the npm package, so it
 * runs offline) on TensorFlow.js's WebAssembly backend (about 70 ms an image here; the pure-JS CPU
 * backend takes about a second). Only the generation job calls it, never a request handler.
 *
 * The model is loaded once per process, lazily: on first use, or in the background when the
 * process starts running jobs (`warm`), so that the first job does not wait about a second for it;
 * a web-only process (RUN_WORKER=false) never loads it. TensorFlow.js's backend is process-wide
 * state anyway, and a second server in the same process (the tests) shares the loaded model. In
 * Node the WebAssembly files are read from the installed package (`setWasmPaths` to its dist/
 * directory), never fetched.
 *
 * Images are decoded and scaled to the model's 224×224 input with sharp. For an animated image
 * (WebP, GIF) the first, middle and last frames are classified and the highest unsafe score kept.
 * An MP4 is not classified here (that needs ffmpeg to decode frames): it gets no result, which the
 * README says.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';

export interface Classification {
  /** The class probabilities: Drawing, Hentai, Neutral, Porn, Sexy (sum ≈ 1). */
  scores: Record<string, number>;
  /** Which classifier and model gave them, stored with the asset. */
  model: string;
}

export interface ImageClassifier {
  /** The class scores of an image (or the worst frame of an animated one); null for media it cannot read (MP4). */
  classify(data: Buffer, mime: string): Promise<Classification | null>;
  /** Starts loading the model (a process that runs jobs calls it as its workers start, without waiting); settles when loaded or failed, never rejects. */
  warm(): Promise<void>;
}

/** The probability that an image is sexual or suggestive: what the threshold is compared with. */
export const unsafeScore = (scores: Record<string, number>) => (scores.Porn ?? 0) + (scores.Hentai ?? 0) + (scores.Sexy ?? 0);

const INPUT_SIZE = 224;
const require = createRequire(import.meta.url);

type Model = { classify(img: unknown, topk?: number): Promise<{ className: string; probability: number }[]> };
type Tf = typeof import('@tensorflow/tfjs');
let loading: Promise<{ tf: Tf; model: Model; version: string }> | null = null;
let loads = 0;

/** How many times this process loaded the model (the tests check it is once). */
export const modelLoads = () => loads;

/** An installed package's version, from its package.json (found above its entry point: not every package exports it). */
function packageVersion(name: string): string {
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name && pkg.version) return pkg.version;
    }
    const up = path.dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

function loadModel() {
  loading ??= (async () => {
    loads++;
    const tf = await import('@tensorflow/tfjs');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    wasm.setWasmPaths(dist);
    if (!(await tf.setBackend('wasm'))) throw new Error('the TensorFlow.js WebAssembly backend did not start');
    await tf.ready();
    const nsfwjs = await import('nsfwjs');
    // nsfwjs prints a notice through console.info when it loads a bundled model; the model is named here on purpose.
    const info = console.info;
    console.info = () => {};
    let model: Model;
    try {
      model = (await nsfwjs.load('MobileNetV2')) as unknown as Model;
    } finally {
      console.info = info;
    }
    const version = `nsfwjs ${packageVersion('nsfwjs')} MobileNetV2 (tfjs-backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm')})`;
    return { tf, model, version };
  })().catch((err) => {
    loading = null; // a failed load is tried again by the next job
    throw err;
  });
  return loading;
}

async function pixels(data: Buffer, page?: number) {
  return sharp(data, page === undefined ? {} : { page }).resize(INPUT_SIZE, INPUT_SIZE, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
}

/** Results for the last images classified, by content hash: the same bytes (a retried job, a re-run with the same seed) are not classified twice. */
const CACHE_SIZE = 256;

export function createNsfwClassifier(): ImageClassifier {
  const recent = new Map<string, Classification>();
  return {
    warm() {
      return loadModel().then(
        () => undefined,
        () => undefined, // a failure is reported by the first classification, which tries again
      );
    },
    async classify(data, mime) {
      if (!mime.startsWith('image/')) return null;
      const hash = createHash('sha256').update(data).digest('hex');
      const known = recent.get(hash);
      if (known) return known;
      const { tf, model, version } = await loadModel();
      const meta = await sharp(data).metadata();
      const pages = meta.pages && meta.pages > 1 ? [...new Set([0, Math.floor(meta.pages / 2), meta.pages - 1])] : [undefined];
      let worst: Record<string, number> | null = null;
      for (const page of pages) {
        const { data: raw, info } = await pixels(data, page);
        const input = tf.tensor3d(new Uint8Array(raw), [info.height, info.width, 3], 'int32');
        try {
          const predictions = await model.classify(input, 5);
          const scores = Object.fromEntries(predictions.map((p) => [p.className, Math.round(p.probability * 1e6) / 1e6]));
          if (!worst || unsafeScore(scores) > unsafeScore(worst)) worst = scores;
        } finally {
          input.dispose();
        }
      }
      const result = { scores: worst!, model: version };
      recent.set(hash, result);
      if (recent.size > CACHE_SIZE) recent.delete(recent.keys().next().value!);
      return result;
    },
  };
}
