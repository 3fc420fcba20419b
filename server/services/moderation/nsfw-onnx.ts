/**
 * nsfwjs's MobileNetV2 as an ONNX graph, run by onnxruntime-node (native CPU code) — built here,
 * at load, from the files nsfwjs ships, with no TensorFlow.js involved.
 *
 * nsfwjs ships its model as a TensorFlow.js layers model bundled in two JavaScript files: the
 * Keras topology (model.json) and one base64 weight shard whose weights are quantized to uint8
 * (value = q·scale + min, as tfjs decodes them). Both are read directly; the layers are walked in
 * order and, as nsfw-net.ts does for tfjs, each convolution's BatchNormalization is folded into its
 * kernel and bias (s = γ/√(σ²+ε), kernel·s, bias (b−μ)·s+β), its ReLU6 becomes a Clip(0, 6)
 * right after it (onnxruntime fuses the pair) and a ZeroPadding2D before a "valid" convolution
 * becomes that convolution's pads. Layout: tfjs is NHWC with HWIO kernels (depthwise H W C 1);
 * ONNX's Conv is NCHW with OIHW kernels (depthwise C 1 H W, group = C): the kernels are
 * transposed here, and the graph's first node transposes the NHWC input once. The graph is encoded
 * as an ONNX ModelProto (ir_version 8, opset 13) by the small protobuf writer below.
 *
 * `buildNsfwOnnx` throws NotBuildable for any layer or option it does not know (a future model):
 * the caller then runs the model on TensorFlow.js as before. Whether the built graph answers as the
 * layers model does is checked by the caller (nsfw-net.ts), before it is used.
 *
 * Only package imports here and only erasable TypeScript: this file runs in the classifier's
 * worker thread with its types stripped.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** Why the model cannot be turned into an ONNX graph here (then TensorFlow.js runs it). */
export class NotBuildable extends Error {}

// ---- the model files nsfwjs ships ----

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { min?: number; scale?: number; dtype: string };
}
interface KerasLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, unknown][][];
}
interface ModelJson {
  modelTopology: { model_config: { class_name: string; config: { layers: KerasLayer[]; input_layers: [string, number, number][]; output_layers: [string, number, number][] } } };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

export interface Weight {
  shape: number[];
  data: Float32Array;
}
export interface KerasModel {
  layers: KerasLayer[];
  inputs: string[];
  outputs: string[];
  weights: Map<string, Weight>;
  /** sha256 of the topology and the weight bytes: which model this is. */
  hash: string;
}

/** The directory of nsfwjs's bundled MobileNetV2 files (model.min.js and its weight shards). */
function modelDir(): string {
  // nsfwjs's "main" is dist/cjs/index.js; the model bundles are in dist/models/.
  return path.join(path.dirname(require.resolve('nsfwjs')), '..', 'models', 'mobilenet_v2');
}

/** Reads nsfwjs's MobileNetV2 topology and weights (dequantized to float32, as tfjs does). */
export function readNsfwModel(): KerasModel {
  const dir = modelDir();
  // Both files are UMD bundles: required from their path they export the JSON object and the base64 string.
  const json = require(path.join(dir, 'model.min.js')) as ModelJson;
  const hash = createHash('sha256').update(JSON.stringify(json));
  const weights = new Map<string, Weight>();
  for (const group of json.weightsManifest) {
    const bytes = Buffer.concat(
      group.paths.map((p) => {
        const shard = require(path.join(dir, `${p}.min.js`)) as unknown;
        if (typeof shard !== 'string') throw new NotBuildable(`weight shard ${p} is not base64 text`);
        return Buffer.from(shard, 'base64');
      }),
    );
    hash.update(bytes);
    let at = 0;
    for (const spec of group.weights) {
      const n = spec.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      const q = spec.quantization;
      if (spec.dtype !== 'float32') throw new NotBuildable(`${spec.name}: dtype ${spec.dtype}`);
      if (q && (q.dtype === 'uint8' || q.dtype === 'uint16') && typeof q.min === 'number' && typeof q.scale === 'number') {
        const size = q.dtype === 'uint8' ? 1 : 2;
        for (let i = 0; i < n; i++) data[i] = (size === 1 ? bytes[at + i]! : bytes.readUInt16LE(at + 2 * i)) * q.scale + q.min;
        at += n * size;
      } else if (!q) {
        for (let i = 0; i < n; i++) data[i] = bytes.readFloatLE(at + 4 * i);
        at += n * 4;
      } else {
        throw new NotBuildable(`${spec.name}: quantization ${q.dtype}`);
      }
      weights.set(spec.name, { shape: spec.shape, data });
    }
  }
  const cfg = json.modelTopology.model_config;
  if (cfg.class_name !== 'Model' && cfg.class_name !== 'Functional') throw new NotBuildable(`model class ${cfg.class_name}`);
  return {
    // A copy: the required object is the one nsfwjs itself loads (the module cache is shared).
    layers: structuredClone(cfg.config.layers),
    inputs: cfg.config.input_layers.map((i) => i[0]),
    outputs: cfg.config.output_layers.map((o) => o[0]),
    weights,
    hash: hash.digest('hex'),
  };
}

// ---- a protobuf writer: only what an ONNX ModelProto needs ----

class Pb {
  private parts: Uint8Array[] = [];
  private size = 0;
  private push(b: Uint8Array) {
    this.parts.push(b);
    this.size += b.length;
  }
  private varint(v: bigint | number) {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    while (x >= 0x80n) {
      out.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    out.push(Number(x));
    this.push(Uint8Array.from(out));
  }
  private tag(field: number, wire: number) {
    this.varint((field << 3) | wire);
  }
  int(field: number, v: number | bigint) {
    this.tag(field, 0);
    this.varint(v);
    return this;
  }
  float(field: number, v: number) {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }
  bytes(field: number, b: Uint8Array) {
    this.tag(field, 2);
    this.varint(b.length);
    this.push(b);
    return this;
  }
  string(field: number, s: string) {
    return this.bytes(field, Buffer.from(s, 'utf8'));
  }
  message(field: number, m: Pb) {
    return this.bytes(field, m.finish());
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

// onnx.proto field numbers and enums (ONNX IR version 8).
const FLOAT = 1; // TensorProto.DataType
const INT64 = 7;
const ATTR_FLOAT = 1; // AttributeProto.AttributeType
const ATTR_INT = 2;
const ATTR_INTS = 7;

type Attr = { name: string; int: number } | { name: string; ints: number[] } | { name: string; float: number };

function attribute(a: Attr): Pb {
  const m = new Pb().string(1, a.name);
  if ('int' in a) m.int(3, a.int).int(20, ATTR_INT);
  else if ('float' in a) m.float(2, a.float).int(20, ATTR_FLOAT);
  else {
    for (const v of a.ints) m.int(8, v);
    m.int(20, ATTR_INTS);
  }
  return m;
}

function tensor(name: string, dims: number[], data: Float32Array | BigInt64Array): Pb {
  const m = new Pb();
  for (const d of dims) m.int(1, d);
  m.int(2, data instanceof Float32Array ? FLOAT : INT64);
  m.string(8, name);
  // raw_data is little-endian, as typed arrays are on every platform Node runs on here (x64, arm64).
  m.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return m;
}

/** A ValueInfoProto for a float tensor; a string dim is symbolic (the batch). */
function valueInfo(name: string, dims: (number | string)[]): Pb {
  const shape = new Pb();
  for (const d of dims) shape.message(1, typeof d === 'string' ? new Pb().string(2, d) : new Pb().int(1, d));
  const tensorType = new Pb().int(1, FLOAT).message(2, shape);
  return new Pb().string(1, name).message(2, new Pb().message(1, tensorType));
}

// ---- the graph ----

interface OnnxNode {
  op: string;
  inputs: string[];
  output: string;
  attrs?: Attr[];
}

/** What the built graph takes and gives. */
export const ONNX_INPUT = 'input_nhwc';
export const ONNX_OUTPUT = 'scores';

/** A value's shape as the builder tracks it: channels and spatial size (NCHW without the batch), or features. */
type Shape = { c: number; h: number; w: number } | { features: number };

/**
 * Turns the Keras layers into an ONNX ModelProto (bytes): input [N, H, W, 3] float in [0, 1] (NHWC,
 * as nsfwjs feeds the model), output [N, classes] probabilities. Throws NotBuildable for anything
 * it does not know.
 */
export function buildNsfwOnnx(model: KerasModel): Uint8Array {
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new NotBuildable(what);
  };
  const layers = model.layers;
  const byName = new Map(layers.map((l) => [l.name, l]));
  const inputsOf = (l: KerasLayer) => {
    check(l.inbound_nodes.length <= 1, `${l.name} is used more than once`);
    return (l.inbound_nodes[0] ?? []).map((n) => {
      check(n[1] === 0 && n[2] === 0, `${l.name}: a layer's second output`);
      return byName.get(n[0])!;
    });
  };
  const consumers = new Map<string, KerasLayer[]>();
  for (const l of layers) for (const from of inputsOf(l)) consumers.set(from.name, [...(consumers.get(from.name) ?? []), l]);
  const only = (l: KerasLayer) => {
    const c = consumers.get(l.name) ?? [];
    return c.length === 1 ? c[0]! : null;
  };
  const weight = (layer: string, kind: string) => {
    const w = model.weights.get(`${layer}/${kind}`);
    if (!w) throw new NotBuildable(`${layer}: no ${kind}`);
    return w;
  };
  const isRelu = (l: KerasLayer | null): 'relu' | 'relu6' | null => {
    if (!l || l.class_name !== 'ReLU') return null;
    const c = l.config;
    if (c.negative_slope || c.threshold) return null;
    if (c.max_value === 6) return 'relu6';
    return c.max_value === null || c.max_value === undefined ? 'relu' : null;
  };

  const nodes: OnnxNode[] = [];
  const inits: Pb[] = [];
  const shapes = new Map<string, Shape>();
  // Keras layer name → the ONNX value holding its output (folded layers point at their convolution's).
  const value = new Map<string, string>();
  const absorbed = new Set<string>();
  const padsFor = new Map<string, [[number, number], [number, number]]>();
  const init = (name: string, dims: number[], data: Float32Array | BigInt64Array) => {
    inits.push(tensor(name, dims, data));
    return name;
  };
  const spatial = (name: string) => {
    const s = shapes.get(name);
    if (!s || !('c' in s)) throw new NotBuildable(`${name}: not an image-shaped value`);
    return s;
  };
  init('relu6_min', [], Float32Array.of(0));
  init('relu6_max', [], Float32Array.of(6));
  const activate = (act: 'linear' | 'relu' | 'relu6', x: string, out: string, shape: Shape) => {
    if (act === 'linear') return x;
    nodes.push(act === 'relu' ? { op: 'Relu', inputs: [x], output: out } : { op: 'Clip', inputs: [x, 'relu6_min', 'relu6_max'], output: out });
    shapes.set(out, shape);
    return out;
  };
  /** TensorFlow's padding for one spatial axis: 'valid' none, 'same' the total split with the extra at the end. */
  const samePads = (size: number, k: number, stride: number, dilation: number) => {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)] as const;
  };
  const outSize = (size: number, k: number, stride: number, dilation: number, before: number, after: number) => Math.floor((size + before + after - ((k - 1) * dilation + 1)) / stride) + 1;

  for (const l of layers) {
    if (absorbed.has(l.name)) continue;
    const c = l.config;
    const ins = inputsOf(l);
    const src = (i = 0) => value.get(ins[i]!.name)!;
    if (l.class_name !== 'InputLayer') check(c.data_format === undefined || c.data_format === 'channels_last', `${l.name}: channels first`);
    switch (l.class_name) {
      case 'InputLayer': {
        const shape = c.batch_input_shape as (number | null)[];
        check(model.inputs.length === 1 && model.inputs[0] === l.name && shape.length === 4 && typeof shape[1] === 'number' && typeof shape[2] === 'number' && typeof shape[3] === 'number', 'one NHWC input of a fixed size');
        nodes.push({ op: 'Transpose', inputs: [ONNX_INPUT], output: l.name, attrs: [{ name: 'perm', ints: [0, 3, 1, 2] }] });
        shapes.set(l.name, { c: shape[3]!, h: shape[1]!, w: shape[2]! });
        value.set(l.name, l.name);
        break;
      }
      case 'ZeroPadding2D': {
        const pad = c.padding as [[number, number], [number, number]];
        const next = only(l);
        check(!!next && (next.class_name === 'Conv2D' || next.class_name === 'DepthwiseConv2D') && next.config.padding === 'valid', `${l.name}: padding not before a "valid" convolution`);
        padsFor.set(next!.name, pad);
        value.set(l.name, src());
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const depthwise = l.class_name === 'DepthwiseConv2D';
        check(c.activation === 'linear' || c.activation === 'relu', `${l.name}: activation ${String(c.activation)}`);
        check(!depthwise || c.depth_multiplier === 1, `${l.name}: depth multiplier`);
        const x = src();
        const inShape = spatial(x);
        const k = weight(l.name, depthwise ? 'depthwise_kernel' : 'kernel');
        const [kh, kw, cin, cout0] = k.shape as [number, number, number, number];
        const cout = depthwise ? cin : cout0;
        check(cin === inShape.c, `${l.name}: input channels`);
        // Per output channel: scale s and bias b (the convolution's own, then the batch norm's).
        const scale = new Float64Array(cout).fill(1);
        const bias = new Float64Array(cout);
        if (c.use_bias) weight(l.name, 'bias').data.forEach((v, i) => (bias[i] = v));
        let last = l;
        const folded = [l.name];
        let act: 'linear' | 'relu' | 'relu6' = c.activation as 'linear' | 'relu';
        const bn = act === 'linear' ? only(l) : null;
        if (bn && bn.class_name === 'BatchNormalization') {
          const b = bn.config;
          check(b.axis === -1 || b.axis === 3 || (Array.isArray(b.axis) && b.axis.length === 1 && (b.axis[0] === -1 || b.axis[0] === 3)), `${bn.name}: axis`);
          const variance = weight(bn.name, 'moving_variance').data;
          const mean = weight(bn.name, 'moving_mean').data;
          const gamma = b.scale === false ? null : weight(bn.name, 'gamma').data;
          const beta = b.center === false ? null : weight(bn.name, 'beta').data;
          for (let o = 0; o < cout; o++) {
            const s = (gamma ? gamma[o]! : 1) / Math.sqrt(variance[o]! + (b.epsilon as number));
            scale[o] = s;
            bias[o] = (bias[o]! - mean[o]!) * s + (beta ? beta[o]! : 0);
          }
          absorbed.add(bn.name);
          folded.push(bn.name);
          last = bn;
        }
        if (act === 'linear') {
          const a = isRelu(only(last));
          if (a) {
            act = a;
            last = only(last)!;
            absorbed.add(last.name);
            folded.push(last.name);
          }
        }
        // HWIO (depthwise H W C 1) → OIHW (depthwise C 1 H W), scaled per output channel.
        const oihw = new Float32Array(cout * (depthwise ? 1 : cin) * kh * kw);
        for (let y = 0; y < kh; y++)
          for (let xx = 0; xx < kw; xx++)
            for (let i = 0; i < cin; i++)
              if (depthwise) oihw[(i * kh + y) * kw + xx] = k.data[(y * kw + xx) * cin + i]! * scale[i]!;
              else for (let o = 0; o < cout; o++) oihw[((o * cin + i) * kh + y) * kw + xx] = k.data[((y * kw + xx) * cin + i) * cout + o]! * scale[o]!;
        const strides = c.strides as [number, number];
        const dil = c.dilation_rate as [number, number];
        const explicit = padsFor.get(l.name);
        let ph: readonly [number, number] = [0, 0];
        let pw: readonly [number, number] = [0, 0];
        if (explicit) [ph, pw] = explicit;
        else if (c.padding === 'same') [ph, pw] = [samePads(inShape.h, kh, strides[0], dil[0]), samePads(inShape.w, kw, strides[1], dil[1])];
        else check(c.padding === 'valid', `${l.name}: padding ${String(c.padding)}`);
        const out = l.name;
        const shape = { c: cout, h: outSize(inShape.h, kh, strides[0], dil[0], ph[0], ph[1]), w: outSize(inShape.w, kw, strides[1], dil[1], pw[0], pw[1]) };
        const conv = act === 'linear' ? out : `${out}_conv`;
        nodes.push({
          op: 'Conv',
          inputs: [x, init(`${l.name}_W`, [cout, depthwise ? 1 : cin, kh, kw], oihw), init(`${l.name}_B`, [cout], Float32Array.from(bias))],
          output: conv,
          attrs: [
            { name: 'kernel_shape', ints: [kh, kw] },
            { name: 'strides', ints: strides },
            { name: 'dilations', ints: dil },
            { name: 'pads', ints: [ph[0], pw[0], ph[1], pw[1]] },
            { name: 'group', int: depthwise ? cin : 1 },
          ],
        });
        shapes.set(conv, shape);
        activate(act, conv, out, shape);
        for (const name of folded) value.set(name, out);
        break;
      }
      case 'ReLU': {
        const a = isRelu(l);
        check(a !== null, `${l.name}: ReLU options`);
        value.set(l.name, activate(a!, src(), l.name, shapes.get(src())!));
        break;
      }
      case 'Add': {
        check(ins.length >= 2, `${l.name}: inputs`);
        nodes.push({ op: ins.length === 2 ? 'Add' : 'Sum', inputs: ins.map((_, i) => src(i)), output: l.name });
        shapes.set(l.name, shapes.get(src(0))!);
        value.set(l.name, l.name);
        break;
      }
      case 'AveragePooling2D':
      case 'GlobalAveragePooling2D': {
        const x = src();
        const s = spatial(x);
        if (l.class_name === 'GlobalAveragePooling2D') {
          nodes.push({ op: 'GlobalAveragePool', inputs: [x], output: `${l.name}_pool` });
          nodes.push({ op: 'Flatten', inputs: [`${l.name}_pool`], output: l.name, attrs: [{ name: 'axis', int: 1 }] });
          shapes.set(l.name, { features: s.c });
        } else {
          const [kh, kw] = c.pool_size as [number, number];
          const strides = (c.strides ?? c.pool_size) as [number, number];
          const [ph, pw] = c.padding === 'same' ? [samePads(s.h, kh, strides[0], 1), samePads(s.w, kw, strides[1], 1)] : [[0, 0] as const, [0, 0] as const];
          // count_include_pad 0 (the default): TensorFlow's 'same' average leaves the padding out too.
          nodes.push({ op: 'AveragePool', inputs: [x], output: l.name, attrs: [{ name: 'kernel_shape', ints: [kh, kw] }, { name: 'strides', ints: strides }, { name: 'pads', ints: [ph[0], pw[0], ph[1], pw[1]] }] });
          shapes.set(l.name, { c: s.c, h: outSize(s.h, kh, strides[0], 1, ph[0], ph[1]), w: outSize(s.w, kw, strides[1], 1, pw[0], pw[1]) });
        }
        value.set(l.name, l.name);
        break;
      }
      case 'Flatten': {
        const x = src();
        const s = spatial(x);
        // Keras flattens NHWC in H, W, C order: back to NHWC first (a no-op copy at 1×1).
        nodes.push({ op: 'Transpose', inputs: [x], output: `${l.name}_nhwc`, attrs: [{ name: 'perm', ints: [0, 2, 3, 1] }] });
        nodes.push({ op: 'Flatten', inputs: [`${l.name}_nhwc`], output: l.name, attrs: [{ name: 'axis', int: 1 }] });
        shapes.set(l.name, { features: s.c * s.h * s.w });
        value.set(l.name, l.name);
        break;
      }
      case 'Dropout': // inference: the identity
        value.set(l.name, src());
        break;
      case 'Dense': {
        const x = src();
        const s = shapes.get(x);
        check(!!s && 'features' in s, `${l.name}: input is not flat`);
        check(['linear', 'relu', 'softmax'].includes(c.activation as string), `${l.name}: activation ${String(c.activation)}`);
        const k = weight(l.name, 'kernel');
        const [fin, units] = k.shape as [number, number];
        check(fin === (s as { features: number }).features, `${l.name}: input size`);
        const b = c.use_bias ? weight(l.name, 'bias').data : new Float32Array(units);
        const gemm = c.activation === 'linear' ? l.name : `${l.name}_gemm`;
        nodes.push({ op: 'Gemm', inputs: [x, init(`${l.name}_W`, [fin, units], k.data), init(`${l.name}_B`, [units], b)], output: gemm });
        if (c.activation === 'relu') nodes.push({ op: 'Relu', inputs: [gemm], output: l.name });
        if (c.activation === 'softmax') nodes.push({ op: 'Softmax', inputs: [gemm], output: l.name, attrs: [{ name: 'axis', int: -1 }] });
        shapes.set(l.name, { features: units });
        value.set(l.name, l.name);
        break;
      }
      default:
        throw new NotBuildable(`${l.name}: layer ${l.class_name}`);
    }
  }
  check(model.outputs.length === 1, 'one output');
  const last = value.get(model.outputs[0]!);
  const outShape = last ? shapes.get(last) : undefined;
  check(!!outShape && 'features' in outShape, 'a flat output');
  nodes.push({ op: 'Identity', inputs: [last!], output: ONNX_OUTPUT });

  const input = byName.get(model.inputs[0]!)!.config.batch_input_shape as number[];
  const graph = new Pb();
  nodes.forEach((n, i) => {
    const node = new Pb();
    for (const x of n.inputs) node.string(1, x);
    node.string(2, n.output).string(3, `n${i}_${n.output}`).string(4, n.op);
    for (const a of n.attrs ?? []) node.message(5, attribute(a));
    graph.message(1, node);
  });
  graph.string(2, 'nsfwjs_mobilenet_v2');
  for (const t of inits) graph.message(5, t);
  graph.message(11, valueInfo(ONNX_INPUT, ['N', input[1]!, input[2]!, input[3]!]));
  graph.message(12, valueInfo(ONNX_OUTPUT, ['N', (outShape as { features: number }).features]));
  return new Pb()
    .int(1, 8) // ir_version
    .string(2, 'flux-klein')
    .message(7, graph)
    .message(8, new Pb().string(1, '').int(2, 13)) // opset_import: the default domain, opset 13
    .finish();
}
