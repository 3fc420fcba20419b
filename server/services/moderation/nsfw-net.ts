/**
 * nsfwjs's MobileNetV2, loaded once and run as a plain inference graph on TensorFlow.js's
 * WebAssembly backend. classifier.ts runs this file as a worker thread (its last lines are the
 * thread's entry), so the ~50 ms of synchronous WebAssembly an image takes never holds up the
 * event loop that sends other jobs' events; it can also be loaded in the calling thread.
 *
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
 * Only package imports here and only erasable TypeScript: Node runs this file in the thread by
 * stripping its types, whether or not the parent process has a TypeScript loader.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type * as TfModule from '@tensorflow/tfjs';

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
  classify(images: Uint8Array[]): Record<string, number>[];
  /** Whether the folded graph runs (false: the layers model as nsfwjs builds it). */
  folded: boolean;
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
function testPicture(): Uint8Array {
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

/** Loads TensorFlow.js and the model (once per thread is the caller's business) and folds it unless told not to. */
export async function loadNsfwNet(opts: { fold?: boolean } = {}): Promise<NsfwNet> {
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
  const batchOf = (images: Uint8Array[]) =>
    tf.tidy(() => {
      const data = new Float32Array(images.length * INPUT_BYTES);
      images.forEach((img, i) => {
        if (img.length !== INPUT_BYTES) throw new Error(`expected ${INPUT_BYTES} bytes of RGB, got ${img.length}`);
        data.set(img, i * INPUT_BYTES);
      });
      // As nsfwjs's own `infer`: bytes to floats, divided by 255.
      return tf.tensor4d(data, [images.length, INPUT_SIZE, INPUT_SIZE, 3]).div(255);
    });
  const layered = (x: Tensor) => tf.tidy(() => model.predict(x));
  let forward = layered;
  let folded = false;
  if (opts.fold !== false) {
    try {
      const graph = fold(tf, model);
      const x = batchOf([testPicture()]);
      const a = layered(x);
      const b = runNodes(tf, graph, x);
      const diff = tf.tidy(() => a.sub(b).abs().max().dataSync()[0]!);
      tf.dispose([x, a, b]);
      if (diff <= 1e-4) {
        forward = (t) => runNodes(tf, graph, t);
        folded = true;
      }
    } catch (err) {
      if (!(err instanceof NotFoldable)) throw err;
    }
  }
  return {
    folded,
    classify(images) {
      if (images.length === 0) return [];
      const x = batchOf(images);
      const y = forward(x);
      try {
        const probs = y.dataSync();
        return images.map((_, i) => {
          const row = CLASSES.map((name, j) => [name, Math.round(probs[i * CLASSES.length + j]! * 1e6) / 1e6] as const);
          return Object.fromEntries([...row].sort((p, q) => q[1] - p[1]));
        });
      } finally {
        tf.dispose([x, y]);
      }
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
  | { type: 'ready'; folded: boolean }
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
      let scheduled = false;
      const runOne = (batch: ThreadRequest[]) => {
        try {
          const scores = net.classify(batch.flatMap((r) => r.images));
          let at = 0;
          for (const r of batch) {
            send({ type: 'result', id: r.id, scores: scores.slice(at, at + r.images.length) });
            at += r.images.length;
          }
        } catch (err) {
          for (const r of batch) send({ type: 'error', id: r.id, message: err instanceof Error ? err.message : String(err) });
        }
      };
      const drain = () => {
        scheduled = false;
        while (queue.length > 0) {
          const batch = [queue.shift()!];
          let images = batch[0]!.images.length;
          while (queue.length > 0 && images + queue[0]!.images.length <= MAX_BATCH) {
            images += queue[0]!.images.length;
            batch.push(queue.shift()!);
          }
          runOne(batch);
        }
      };
      port.on('message', (req: ThreadRequest) => {
        queue.push(req);
        // After every message already waiting has been queued (they are delivered before immediates).
        if (!scheduled) {
          scheduled = true;
          setImmediate(drain);
        }
      });
      send({ type: 'ready', folded: net.folded });
    },
    (err: unknown) => send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
}
