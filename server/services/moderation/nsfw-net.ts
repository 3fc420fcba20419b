/**
 * nsfwjs's MobileNetV2, loaded once and run as a plain inference graph: as an ONNX graph on
 * onnxruntime-node (nsfw-onnx.ts builds it from nsfwjs's files; checked here before it is used),
 * or, if that cannot be used, on TensorFlow.js's WebAssembly backend as described below.
 * classifier.ts runs this file as a worker thread (its last lines are the thread's entry), so the
 * synchronous inference (onnxruntime's `run` is native code on the calling thread, ~9–17 ms an
 * image; tfjs-wasm ~35–100 ms) never holds up the event loop that sends other jobs' events; it can
 * also be loaded in the calling thread.
 *
 * The check: the ONNX graph's probabilities for two fixed pictures, in one batch, must be within
 * TOLERANCE (1e-4) of the layers model's. For the model this nsfwjs ships they are stored
 * (REFERENCE, with the model files' hash; nsfw-net.test.ts proves them); for any other model the
 * layers model is loaded on tfjs and asked. A graph that cannot be built or loaded, or answers
 * differently, is not used: `fallback` says why, and the tfjs path below runs.
 *
 * TensorFlow.js path (the fallback):
 * The model ships as a Keras layers model: every convolution is followed by its own
 * BatchNormalization layer and most by a ReLU(max 6), and a ZeroPadding2D layer sits before each
 * stride-2 "valid" convolution. Run layer by layer, the 52 batch norms alone took about as long as
 * the 52 convolutions (profiled: FusedBatchNorm 124 ms, FusedConv2D 101 ms of one 250 ms image on
 * this machine). At load the batch norms are folded into their convolution's kernel and bias (the
 * standard inference rewrite: s = γ/√(σ²+ε), kernel·s, bias (b−μ)·s+β), the ReLU6 and the zero
 * padding into the same fused kernel. The arithmetic is the model's own, only regrouped; before it
 * is used, the folded graph's answer on a fixed picture is compared with the layers model's, and
 * if they differ by more than 1e-4 (a future model with a layer this does not know, say) the
 * layers model is run as it is. The input is what nsfwjs feeds it: RGB scaled to [0, 1].
 *
 * Only package imports here (nsfw-onnx.ts is imported by its file URL) and only erasable
 * TypeScript: Node runs this file in the thread by stripping its types, whether or not the parent
 * process has a TypeScript loader.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type * as TfModule from '@tensorflow/tfjs';
import type * as OnnxModule from './nsfw-onnx.js';

type Tf = typeof TfModule;
type Tensor = TfModule.Tensor;
type Tensor4D = TfModule.Tensor4D;

/** The model's input: 224×224 RGB, one byte per channel. */
export const INPUT_SIZE = 224;
export const INPUT_BYTES = INPUT_SIZE * INPUT_SIZE * 3;
/** nsfwjs's class names, by output index. */
export const CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;

export interface NsfwNet {
  /** Class probabilities (rounded to 1e-6, most likely first, as nsfwjs's `classify` gives them) for each 224×224 RGB image. */
  classify(images: Uint8Array[]): Promise<Record<string, number>[]>;
  /** What runs the model. */
  engine: Engine;
  /** Why onnxruntime-node is not used, when it was tried and failed to load or to match. */
  fallback?: string;
}

const require = createRequire(import.meta.url);

let tfLoading: Promise<Tf> | null = null;
function loadTf(): Promise<Tf> {
  tfLoading ??= (async () => {
    const tf = await import('@tensorflow/tfjs');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the WebAssembly files are read from the installed package, never fetched.
    wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    if (!(await tf.setBackend('wasm'))) throw new Error('the TensorFlow.js WebAssembly backend did not start');
    await tf.ready();
    return tf;
  })().catch((err: unknown) => {
    tfLoading = null;
    throw err;
  });
  return tfLoading;
}

// The parts of tfjs-layers' objects read here (they are not in its public types).
interface KLayer {
  name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  getWeights(): Tensor[];
  inboundNodes: { inboundLayers: KLayer[] }[];
  gamma?: { read(): Tensor } | null;
  beta?: { read(): Tensor } | null;
  movingMean: { read(): Tensor };
  movingVariance: { read(): Tensor };
}
interface KModel {
  layers: KLayer[];
  outputLayers?: KLayer[];
  predict(x: Tensor): Tensor;
}

type Step = (tf: Tf, inputs: Tensor[]) => Tensor;
interface Node {
  name: string;
  inputs: string[];
  run: Step;
}

/** Why a model cannot be folded (then the layers model runs as it is). */
class NotFoldable extends Error {}

type Pad = [[number, number], [number, number]];

/**
 * Turns the layers model into a list of fused steps. Every weight made here is kept (it lives as
 * long as the model); throws NotFoldable for anything it does not know.
 */
function fold(tf: Tf, model: KModel): { nodes: Node[]; output: string } {
  const layers = model.layers;
  const consumers = new Map<string, KLayer[]>();
  const inputsOf = (l: KLayer) => {
    if (l.inboundNodes.length !== 1) throw new NotFoldable(`${l.name} is used more than once`);
    return l.inboundNodes[0]!.inboundLayers;
  };
  for (const l of layers) for (const from of inputsOf(l)) consumers.set(from.name, [...(consumers.get(from.name) ?? []), l]);
  const only = (l: KLayer) => {
    const c = consumers.get(l.name) ?? [];
    return c.length === 1 ? c[0]! : null;
  };
  const cfg = (l: KLayer) => l.getConfig();
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new NotFoldable(what);
  };
  const isRelu6 = (l: KLayer | null) => l !== null && l.getClassName() === 'ReLU' && cfg(l).maxValue === 6 && !cfg(l).negativeSlope && !cfg(l).threshold;
  const isPlainRelu = (l: KLayer | null) => l !== null && l.getClassName() === 'ReLU' && (cfg(l).maxValue === null || cfg(l).maxValue === undefined) && !cfg(l).negativeSlope && !cfg(l).threshold;

  const nodes: Node[] = [];
  // Layer name → the node that now produces its value (folded layers point at their convolution).
  const alias = new Map<string, string>();
  const src = (l: KLayer) => alias.get(l.name) ?? l.name;
  const absorbed = new Set<string>();
  const padsFor = new Map<string, Pad>();

  for (const l of layers) {
    if (absorbed.has(l.name)) continue;
    const kind = l.getClassName();
    const c = cfg(l);
    const ins = inputsOf(l);
    if (kind !== 'InputLayer') check(c.dataFormat === undefined || c.dataFormat === 'channelsLast', `${l.name}: channels first`);
    switch (kind) {
      case 'InputLayer':
        nodes.push({ name: l.name, inputs: [], run: (_tf, [x]) => x! });
        break;
      case 'ZeroPadding2D': {
        const pad = c.padding as Pad;
        const next = only(l);
        // Folded into the next convolution's explicit padding when that one pads nothing itself
        // (tfjs's depthwise convolution takes no explicit padding: it keeps its pad step).
        if (next && next.getClassName() === 'Conv2D' && cfg(next).padding === 'valid') {
          padsFor.set(next.name, pad);
          alias.set(l.name, src(ins[0]!));
        } else {
          nodes.push({ name: l.name, inputs: [src(ins[0]!)], run: (tf, [x]) => tf.pad(x!, [[0, 0], pad[0], pad[1], [0, 0]]) });
        }
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const depthwise = kind === 'DepthwiseConv2D';
        check(c.activation === 'linear' || c.activation === 'relu', `${l.name}: activation ${String(c.activation)}`);
        check(!depthwise || c.depthMultiplier === 1, `${l.name}: depth multiplier`);
        const weights = l.getWeights();
        let kernel = weights[0]!;
        let bias: Tensor | null = c.useBias ? weights[1]! : null;
        let activation: 'linear' | 'relu' | 'relu6' = c.activation as 'linear' | 'relu';
        let last: KLayer = l;
        const bn = c.activation === 'linear' ? only(l) : null;
        if (bn && bn.getClassName() === 'BatchNormalization') {
          const b = cfg(bn);
          check(b.axis === -1 || b.axis === 3, `${bn.name}: axis`);
          const folded = tf.tidy(() => {
            const variance = bn.movingVariance.read();
            const gamma = b.scale && bn.gamma ? bn.gamma.read() : tf.onesLike(variance);
            const beta = b.center && bn.beta ? bn.beta.read() : tf.zerosLike(variance);
            const s = gamma.div(variance.add(b.epsilon as number).sqrt());
            // Conv2D kernels are [h, w, in, out]; depthwise ones [h, w, channels, 1]: s scales the output channel.
            const k = depthwise ? kernel.mul(s.reshape([1, 1, -1, 1])) : kernel.mul(s);
            const bb = (bias ?? tf.zerosLike(s)).sub(bn.movingMean.read()).mul(s).add(beta);
            return [k, bb] as const;
          });
          kernel = folded[0];
          bias = folded[1];
          absorbed.add(bn.name);
          alias.set(bn.name, l.name);
          last = bn;
        } else {
          kernel = kernel.clone();
          bias = bias ? bias.clone() : null;
        }
        const act = activation === 'linear' ? only(last) : null;
        if (act && (isRelu6(act) || isPlainRelu(act))) {
          activation = isRelu6(act) ? 'relu6' : 'relu';
          absorbed.add(act.name);
          alias.set(act.name, l.name);
        }
        const strides = c.strides as [number, number];
        const dilations = c.dilationRate as [number, number];
        const explicit = padsFor.get(l.name);
        const padding = c.padding as 'valid' | 'same';
        const pad = explicit ? ([[0, 0], explicit[0], explicit[1], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]]) : padding;
        const filter = kernel as Tensor4D;
        const b = bias ?? undefined;
        nodes.push({
          name: l.name,
          inputs: [src(ins[0]!)],
          run: depthwise
            ? (tf, [x]) => tf.fused.depthwiseConv2d({ x: x as Tensor4D, filter, strides, pad: padding, dilations, bias: b, activation })
            : (tf, [x]) => tf.fused.conv2d({ x: x as Tensor4D, filter, strides, pad, dilations, bias: b, activation }),
        });
        break;
      }
      case 'BatchNormalization': {
        const b = cfg(l);
        const [mean, variance, gamma, beta] = [l.movingMean.read().clone(), l.movingVariance.read().clone(), b.scale && l.gamma ? l.gamma.read().clone() : undefined, b.center && l.beta ? l.beta.read().clone() : undefined];
        nodes.push({ name: l.name, inputs: [src(ins[0]!)], run: (tf, [x]) => tf.batchNorm(x!, mean, variance, beta, gamma, b.epsilon as number) });
        break;
      }
      case 'ReLU':
        check(isRelu6(l) || isPlainRelu(l), `${l.name}: ReLU options`);
        nodes.push({ name: l.name, inputs: [src(ins[0]!)], run: isRelu6(l) ? (tf, [x]) => tf.relu6(x!) : (tf, [x]) => tf.relu(x!) });
        break;
      case 'Add':
        nodes.push({ name: l.name, inputs: ins.map(src), run: (tf, xs) => tf.addN(xs) });
        break;
      case 'AveragePooling2D':
        nodes.push({ name: l.name, inputs: [src(ins[0]!)], run: (tf, [x]) => tf.avgPool(x as Tensor4D, c.poolSize as [number, number], c.strides as [number, number], c.padding as 'valid' | 'same') });
        break;
      case 'Flatten':
        nodes.push({ name: l.name, inputs: [src(ins[0]!)], run: (_tf, [x]) => x!.reshape([x!.shape[0]!, -1]) });
        break;
      case 'Dropout': // inference: the identity
        alias.set(l.name, src(ins[0]!));
        break;
      case 'Dense': {
        check(['linear', 'relu', 'softmax'].includes(c.activation as string), `${l.name}: activation ${String(c.activation)}`);
        const weights = l.getWeights();
        const kernel = weights[0]!.clone() as TfModule.Tensor2D;
        const bias = c.useBias ? weights[1]!.clone() : undefined;
        const softmax = c.activation === 'softmax';
        const activation = c.activation === 'relu' ? 'relu' : 'linear';
        nodes.push({
          name: l.name,
          inputs: [src(ins[0]!)],
          run: (tf, [x]) => {
            const y = tf.fused.matMul({ a: x as TfModule.Tensor2D, b: kernel, bias, activation });
            return softmax ? tf.softmax(y) : y;
          },
        });
        break;
      }
      default:
        throw new NotFoldable(`${l.name}: layer ${kind}`);
    }
  }
  const outs = model.outputLayers ?? [];
  check(outs.length === 1, 'one output');
  return { nodes, output: src(outs[0]!) };
}

function runNodes(tf: Tf, graph: { nodes: Node[]; output: string }, input: Tensor): Tensor {
  return tf.tidy(() => {
    const values = new Map<string, Tensor>();
    for (const n of graph.nodes) values.set(n.name, n.inputs.length === 0 ? input : n.run(tf, n.inputs.map((i) => values.get(i)!)));
    return values.get(graph.output)!;
  });
}

/** A fixed, busy test picture (gradients in each channel): the folded graph must answer as the layers model does on it. */
export function testPicture(): Uint8Array {
  const px = new Uint8Array(INPUT_BYTES);
  for (let y = 0; y < INPUT_SIZE; y++)
    for (let x = 0; x < INPUT_SIZE; x++) {
      const i = (y * INPUT_SIZE + x) * 3;
      px[i] = (x * 255) / INPUT_SIZE;
      px[i + 1] = (y * 255) / INPUT_SIZE;
      px[i + 2] = ((x ^ y) * 7) & 255;
    }
  return px;
}

/** A second fixed picture, flat and skin-coloured (the class scores differ from the first one's). */
export function flatPicture(): Uint8Array {
  const px = new Uint8Array(INPUT_BYTES);
  for (let i = 0; i < INPUT_BYTES; i += 3) px.set([224, 172, 140], i);
  return px;
}

/**
 * The layers model's own probabilities (nsfwjs 4.4.0's MobileNetV2 on TensorFlow.js, not folded)
 * for testPicture() and flatPicture(), and the hash of the model files they belong to
 * (nsfw-onnx.ts `readNsfwModel`). The ONNX graph is checked against them at load; nsfw-net.test.ts
 * checks they are what the layers model gives. A different model (another nsfwjs) has another
 * hash: the graph is then checked against the layers model itself, loaded once for the purpose.
 */
export const REFERENCE = {
  hash: '165d7f82de78b0bcc608e91b47d4b6b3c1b71c9731fa953705e8161207b3eb8a',
  scores: [
    [0.0016478461911901832, 0.00017804346862249076, 0.996735155582428, 0.0013599192025139928, 0.00007906705286586657],
    [0.8525861501693726, 0.02510611154139042, 0.11342830955982208, 0.007398761343210936, 0.0014806182589381933],
  ],
};

/** Engines, fastest first: the ONNX graph on onnxruntime-node, the folded graph on tfjs-wasm, the layers model on tfjs-wasm. */
export type Engine = 'onnxruntime' | 'tfjs-folded' | 'tfjs-layers';

/** The largest difference in any class probability the ONNX graph may show against the layers model. */
export const TOLERANCE = 1e-4;

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return Number.isNaN(d) ? Infinity : d;
};

/** Bytes of 224×224 RGB to the model's input: one float32 batch, NHWC, divided by 255 as nsfwjs's `infer` does. */
function inputOf(images: Uint8Array[]): Float32Array {
  const data = new Float32Array(images.length * INPUT_BYTES);
  images.forEach((img, i) => {
    if (img.length !== INPUT_BYTES) throw new Error(`expected ${INPUT_BYTES} bytes of RGB, got ${img.length}`);
    const at = i * INPUT_BYTES;
    for (let j = 0; j < INPUT_BYTES; j++) data[at + j] = img[j]! / 255;
  });
  return data;
}

/** Class probabilities for a batch, one row of CLASSES.length per image. */
type Probs = (images: Uint8Array[]) => Promise<Float32Array>;

/** Loads TensorFlow.js and the model (once per thread is the caller's business) and folds it unless told not to. */
async function loadTfProbs(opts: { fold?: boolean }): Promise<{ probs: Probs; engine: Engine }> {
  const tf = await loadTf();
  const nsfwjs = await import('nsfwjs');
  // nsfwjs prints a notice through console.info when it loads a bundled model; the model is named on purpose.
  const info = console.info;
  console.info = () => {};
  let model: KModel;
  try {
    model = (((await nsfwjs.load('MobileNetV2')) as unknown) as { model: KModel }).model;
  } finally {
    console.info = info;
  }
  // As nsfwjs's own `infer`: bytes to floats, divided by 255.
  const batchOf = (images: Uint8Array[]) => tf.tensor4d(inputOf(images), [images.length, INPUT_SIZE, INPUT_SIZE, 3]);
  const layered = (x: Tensor) => tf.tidy(() => model.predict(x));
  let forward = layered;
  let engine: Engine = 'tfjs-layers';
  if (opts.fold !== false) {
    try {
      const graph = fold(tf, model);
      const x = batchOf([testPicture()]);
      const a = layered(x);
      const b = runNodes(tf, graph, x);
      const diff = tf.tidy(() => a.sub(b).abs().max().dataSync()[0]!);
      tf.dispose([x, a, b]);
      if (diff <= TOLERANCE) {
        forward = (t) => runNodes(tf, graph, t);
        engine = 'tfjs-folded';
      }
    } catch (err) {
      if (!(err instanceof NotFoldable)) throw err;
    }
  }
  return {
    engine,
    probs: async (images) => {
      const x = batchOf(images);
      const y = forward(x);
      try {
        return y.dataSync() as Float32Array;
      } finally {
        tf.dispose([x, y]);
      }
    },
  };
}

/**
 * The ONNX graph (nsfw-onnx.ts) on onnxruntime-node, checked before it is used: on the two fixed
 * pictures, in one batch, every probability within TOLERANCE of the layers model's. Throws if it
 * cannot be built, loaded or does not match (the caller then uses TensorFlow.js).
 */
async function loadOrtProbs(opts: OrtOptions): Promise<Probs> {
  // Imported by URL: in the worker thread Node runs these files by stripping their types, which
  // resolves a sibling module only by its real (.ts) name. The types come from the import above.
  const onnx = (await import(new URL('./nsfw-onnx.ts', import.meta.url).href)) as typeof OnnxModule;
  const ort = await import('onnxruntime-node');
  const model = onnx.readNsfwModel();
  const built = onnx.buildNsfwOnnx(model);
  const bytes = opts.graph ? opts.graph(built) : built;
  const session = await ort.InferenceSession.create(bytes, {
    // One thread: ORT's own pool would compete with this process's event loop and sharp for the
    // machine's cores (bench/classifier-engines.ts measured 1 against 2).
    intraOpNumThreads: opts.threads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const probs: Probs = async (images) => {
    const x = new ort.Tensor('float32', inputOf(images), [images.length, INPUT_SIZE, INPUT_SIZE, 3]);
    const out = await session.run({ [onnx.ONNX_INPUT]: x });
    const y = out[onnx.ONNX_OUTPUT]!;
    if (y.type !== 'float32' || y.data.length !== images.length * CLASSES.length) throw new Error(`the classifier's graph gave ${y.type}[${y.dims.join(', ')}]`);
    return y.data as Float32Array;
  };
  const pictures = [testPicture(), flatPicture()];
  let want: number[];
  const reference = opts.reference ?? REFERENCE;
  if (model.hash === reference.hash) want = reference.scores.flat();
  else want = [...(await (await loadTfProbs({ fold: false })).probs(pictures))];
  const got = await probs(pictures);
  const diff = maxDiff(got, want);
  if (!(diff <= TOLERANCE)) {
    await session.release();
    throw new Error(`its scores differ from the layers model's by ${diff} on a fixed picture`);
  }
  return probs;
}

interface OrtOptions {
  /** Threads onnxruntime runs one inference on (1 by default). */
  threads?: number;
  /** Tests only: the stored scores to check against, in place of REFERENCE. */
  reference?: { hash: string; scores: number[][] };
  /** Tests only: changes the built graph before it is loaded. */
  graph?: (bytes: Uint8Array) => Uint8Array;
}

/** Rounded to 1e-6, most likely first, as nsfwjs's `classify` gives them. */
function scoresOf(probs: Float32Array, n: number): Record<string, number>[] {
  return Array.from({ length: n }, (_, i) => {
    const row = CLASSES.map((name, j) => [name, Math.round(probs[i * CLASSES.length + j]! * 1e6) / 1e6] as const);
    return Object.fromEntries([...row].sort((p, q) => q[1] - p[1]));
  });
}

/**
 * Loads the model: on onnxruntime-node if its graph checks out (`engine: 'auto'`, the default),
 * else on TensorFlow.js's WebAssembly backend, folded unless `fold: false`. `fallback` says why
 * onnxruntime is not used, when it was tried and is not.
 */
export async function loadNsfwNet(opts: { engine?: 'auto' | 'tfjs'; fold?: boolean } & OrtOptions = {}): Promise<NsfwNet> {
  let loaded: { probs: Probs; engine: Engine } | null = null;
  let fallback: string | undefined;
  if (opts.engine !== 'tfjs') {
    try {
      loaded = { probs: await loadOrtProbs(opts), engine: 'onnxruntime' };
    } catch (err) {
      fallback = `onnxruntime-node is not used (${err instanceof Error ? err.message : String(err)}); the classifier runs on TensorFlow.js`;
    }
  }
  loaded ??= await loadTfProbs(opts);
  const { probs, engine } = loaded;
  return {
    engine,
    fallback,
    async classify(images) {
      if (images.length === 0) return [];
      return scoresOf(await probs(images), images.length);
    },
  };
}

// ---- the worker thread (classifier.ts starts it with this workerData) ----

export const THREAD_ROLE = 'flux-klein-nsfw-classifier';
/** Most images run in one batch. */
const MAX_BATCH = 8;

/** What the calling thread sends: one request, its images (224×224 RGB each). */
export interface ThreadRequest {
  id: number;
  images: Uint8Array[];
}
/** What the thread answers: once `ready` (or `failed`), then one result per request. */
export type ThreadMessage =
  | { type: 'ready'; engine: Engine; fallback?: string }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; scores: Record<string, number>[] }
  | { type: 'error'; id: number; message: string };

if (!isMainThread && parentPort && (workerData as { role?: string } | null)?.role === THREAD_ROLE) {
  const port = parentPort;
  const send = (m: ThreadMessage) => port.postMessage(m);
  loadNsfwNet().then(
    (net) => {
      // Requests that arrived while the model was busy are run together, as one batch (up to
      // MAX_BATCH images): per image a batch of four takes about four fifths of the time of four
      // single runs, so a burst of jobs drains sooner. A lone request runs at once, alone.
      const queue: ThreadRequest[] = [];
      let busy = false;
      const runOne = async (batch: ThreadRequest[]) => {
        try {
          const scores = await net.classify(batch.flatMap((r) => r.images));
          let at = 0;
          for (const r of batch) {
            send({ type: 'result', id: r.id, scores: scores.slice(at, at + r.images.length) });
            at += r.images.length;
          }
        } catch (err) {
          for (const r of batch) send({ type: 'error', id: r.id, message: err instanceof Error ? err.message : String(err) });
        }
      };
      const drain = async () => {
        while (queue.length > 0) {
          const batch = [queue.shift()!];
          let images = batch[0]!.images.length;
          while (queue.length > 0 && images + queue[0]!.images.length <= MAX_BATCH) {
            images += queue[0]!.images.length;
            batch.push(queue.shift()!);
          }
          await runOne(batch);
        }
        busy = false;
      };
      port.on('message', (req: ThreadRequest) => {
        queue.push(req);
        // After every message already waiting has been queued (they are delivered before immediates);
        // requests that arrive while a batch runs wait for the next one.
        if (!busy) {
          busy = true;
          setImmediate(() => void drain());
        }
      });
      send({ type: 'ready', engine: net.engine, fallback: net.fallback });
    },
    (err: unknown) => send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
}
