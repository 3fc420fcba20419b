/**
 * The local image classifier: nsfwjs (its MobileNetV2 model ships inside the npm package, so it
 * runs offline) as an ONNX graph on onnxruntime-node's native CPU runtime, built at load from
 * nsfwjs's own files and checked against the original model's scores (nsfw-net.ts, nsfw-onnx.ts;
 * ~9–17 ms an image on this machine, quiet to busy); if that graph cannot be used, on TensorFlow.js's
 * WebAssembly backend with the batch norms folded (~35–100 ms), and the reason is logged once.
 * Only the generation job calls it, never a request handler.
 *
 * The model runs in one worker thread per process (nsfw-net.ts is the thread's code), so its
 * inference (synchronous native code or WebAssembly, on either runtime) never holds up this
 * thread's event loop: the events, queries and file
 * writes of other jobs go on meanwhile, on the other core. The thread starts lazily: on first use,
 * or in the background when the process starts running jobs (`warm`), so that the first job does
 * not wait about a second for the model; a web-only process (RUN_WORKER=false) never starts it. A
 * second server in the same process (the tests) shares it. If the thread cannot start or dies, the
 * requests it held fail (the job fails and is reported as any unexpected error) and the next one
 * starts a new thread; if it fails at start (a Node that cannot run it), the model is loaded in
 * this thread instead, as before. In Node the WebAssembly files are read from the installed package
 * (`setWasmPaths` to its dist/ directory), never fetched.
 *
 * Images are decoded and scaled to the model's 224×224 input with sharp here (libvips works off the
 * event loop). For an animated image (WebP, GIF) the first, middle and last frames are classified,
 * in one batch, and the highest unsafe score kept. An MP4 is not classified here (that needs ffmpeg
 * to decode frames): it gets no result, which the README says.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import type { Logger } from '../../log.js';
import { INPUT_SIZE, loadNsfwNet, THREAD_ROLE, type Engine, type ThreadMessage, type ThreadRequest } from './nsfw-net.js';

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

const require = createRequire(import.meta.url);

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

const versions = new Map<Engine, string>();
/**
 * Stored with every result: the model and what ran it. The same model gives the same scores on
 * either runtime, to within 1e-4 (nsfw-net.ts checks it before onnxruntime is used).
 */
const modelVersion = (engine: Engine) => {
  let v = versions.get(engine);
  if (!v) {
    const runtime = engine === 'onnxruntime' ? `onnxruntime-node ${packageVersion('onnxruntime-node')}` : `tfjs-backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm')}`;
    v = `nsfwjs ${packageVersion('nsfwjs')} MobileNetV2 (${runtime})`;
    versions.set(engine, v);
  }
  return v;
};

/** Runs a batch of 224×224 RGB images through the model: in the worker thread, or in this one. */
interface Run {
  (images: Uint8Array[]): Promise<Record<string, number>[]>;
  engine: Engine;
}

let loading: Promise<Run> | null = null;
let loads = 0;
let where: 'thread' | 'in-process' | null = null;
let engineInUse: Engine | null = null;

/** How many times this process loaded the model (the tests check it is once). */
export const modelLoads = () => loads;
/** Where the model runs in this process, once loaded. */
export const classifierRunsIn = () => where;
/** What runs the model in this process, once loaded: onnxruntime-node unless its graph could not be used. */
export const classifierEngine = () => engineInUse;

/** Why onnxruntime-node is not used in this process (logged once, by the first classifier told of it). */
let fallbackReason: string | undefined;
let fallbackLogged = false;

/** Starts the thread; resolves once its model is loaded. Rejects if it cannot start (then `inProcess` is used). */
function startThread(): Promise<Run> {
  return new Promise<Run>((resolve, reject) => {
    const worker = new Worker(new URL('./nsfw-net.ts', import.meta.url), { workerData: { role: THREAD_ROLE } });
    // The thread never keeps the process alive: a job waiting for an answer does.
    worker.unref();
    const pending = new Map<number, { resolve(v: Record<string, number>[]): void; reject(e: Error): void }>();
    let next = 1;
    let ready = false;
    const fail = (err: Error) => {
      for (const p of pending.values()) p.reject(err);
      pending.clear();
      if (ready) loading = null; // the next classification starts a new thread
      else reject(err);
    };
    worker.on('message', (m: ThreadMessage) => {
      if (m.type === 'ready') {
        ready = true;
        fallbackReason = m.fallback;
        const run = (images: Uint8Array[]) =>
          new Promise<Record<string, number>[]>((res, rej) => {
            const id = next++;
            pending.set(id, { resolve: res, reject: rej });
            const req: ThreadRequest = { id, images };
            worker.postMessage(req, images.map((i) => i.buffer as ArrayBuffer));
          });
        resolve(Object.assign(run, { engine: m.engine }));
      } else if (m.type === 'failed') {
        void worker.terminate();
        fail(new Error(`the image classifier did not load: ${m.message}`));
      } else {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.type === 'result') p?.resolve(m.scores);
        else p?.reject(new Error(`the image classifier failed: ${m.message}`));
      }
    });
    worker.on('error', (err) => fail(err));
    worker.on('exit', (code) => fail(new Error(`the image classifier's thread stopped (exit code ${code})`)));
  });
}

async function inProcess(): Promise<Run> {
  const net = await loadNsfwNet();
  fallbackReason = net.fallback;
  return Object.assign((images: Uint8Array[]) => net.classify(images), { engine: net.engine });
}

function loadModel(): Promise<Run> {
  loading ??= (async () => {
    loads++;
    try {
      const run = await startThread();
      where = 'thread';
      engineInUse = run.engine;
      return run;
    } catch {
      // A thread that cannot start (or load the model) here: the model runs in this thread, as it did before threads.
      const run = await inProcess();
      where = 'in-process';
      engineInUse = run.engine;
      return run;
    }
  })().catch((err: unknown) => {
    loading = null; // a failed load is tried again by the next job
    throw err;
  });
  return loading;
}

async function pixels(data: Buffer, page?: number): Promise<Uint8Array> {
  const { data: raw } = await sharp(data, page === undefined ? {} : { page }).resize(INPUT_SIZE, INPUT_SIZE, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  // A copy of its own, so it can be handed to the thread (transferred, not copied again).
  return new Uint8Array(raw);
}

/** Results for the last images classified, by content hash: the same bytes (a retried job, a re-run with the same seed) are not classified twice. */
const CACHE_SIZE = 256;

export function createNsfwClassifier(opts: { log?: Pick<Logger, 'warn'> } = {}): ImageClassifier {
  const recent = new Map<string, Classification>();
  const loaded = async () => {
    const run = await loadModel();
    if (fallbackReason && !fallbackLogged) {
      // The classifier still works, on TensorFlow.js's WebAssembly backend, about five times slower.
      fallbackLogged = true;
      (opts.log ?? { warn: (msg: string, f: object) => console.warn(msg, f) }).warn('image classifier runs on TensorFlow.js, not onnxruntime-node', { reason: fallbackReason });
    }
    return run;
  };
  return {
    warm() {
      return loaded().then(
        () => undefined,
        () => undefined, // a failure is reported by the first classification, which tries again
      );
    },
    async classify(data, mime) {
      if (!mime.startsWith('image/')) return null;
      const hash = createHash('sha256').update(data).digest('hex');
      const known = recent.get(hash);
      if (known) return known;
      const run = loaded();
      run.catch(() => {}); // awaited below, after decoding: a load failing meanwhile is not an unhandled rejection
      const meta = await sharp(data).metadata();
      const pages = meta.pages && meta.pages > 1 ? [...new Set([0, Math.floor(meta.pages / 2), meta.pages - 1])] : [undefined];
      const inputs = await Promise.all(pages.map((page) => pixels(data, page)));
      const model = await run;
      const frames = await model(inputs);
      let worst: Record<string, number> | null = null;
      for (const scores of frames) if (!worst || unsafeScore(scores) > unsafeScore(worst)) worst = scores;
      const result = { scores: worst!, model: modelVersion(model.engine) };
      recent.set(hash, result);
      if (recent.size > CACHE_SIZE) recent.delete(recent.keys().next().value!);
      return result;
    },
  };
}
