/**
 * The classifier's model on each runtime must give the scores nsfwjs's layers model gives (the
 * model as it ships, run layer by layer on TensorFlow.js), on real pictures, one at a time and in
 * a batch: the ONNX graph on onnxruntime-node (what runs), and the folded tfjs graph (its fallback).
 */
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { flatPicture, INPUT_SIZE, loadNsfwNet, REFERENCE, testPicture, TOLERANCE, type NsfwNet } from './nsfw-net.js';
import { buildNsfwOnnx, NotBuildable, readNsfwModel } from './nsfw-onnx.js';
import { patternImage, skinImage } from './testing/pictures.js';

const CLASS_NAMES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];
const rgb = async (png: Buffer) => new Uint8Array(await sharp(png).resize(INPUT_SIZE, INPUT_SIZE, { fit: 'fill' }).removeAlpha().raw().toBuffer());

/** Noise from a fixed seed (xorshift), so a failure can be run again. */
function noise(seed: number, smooth: boolean): Uint8Array {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s & 255;
  };
  const px = new Uint8Array(INPUT_SIZE * INPUT_SIZE * 3);
  if (!smooth) {
    for (let i = 0; i < px.length; i++) px[i] = next();
    return px;
  }
  // 8×8-pixel blocks of random colour: edges and flat areas, closer to a picture than white noise.
  const block = Array.from({ length: (INPUT_SIZE / 8) ** 2 * 3 }, next);
  for (let y = 0; y < INPUT_SIZE; y++)
    for (let x = 0; x < INPUT_SIZE; x++)
      for (let c = 0; c < 3; c++) px[(y * INPUT_SIZE + x) * 3 + c] = block[((Math.floor(y / 8) * (INPUT_SIZE / 8) + Math.floor(x / 8)) * 3 + c)]!;
  return px;
}

const expectClose = (got: Record<string, number>[], want: Record<string, number>[], tolerance: number) => {
  expect(got).toHaveLength(want.length);
  got.forEach((scores, i) => {
    expect(Object.keys(scores).sort()).toEqual(CLASS_NAMES);
    for (const [k, v] of Object.entries(want[i]!)) expect(Math.abs(scores[k]! - v), `${k} of image ${i}`).toBeLessThanOrEqual(tolerance);
  });
};

let layered: NsfwNet;
let images: Uint8Array[];
let want: Record<string, number>[];

beforeAll(async () => {
  layered = await loadNsfwNet({ engine: 'tfjs', fold: false });
  images = [await rgb(await skinImage()), await rgb(await patternImage()), noise(1, false), noise(2, true), noise(3, true), testPicture()];
  want = [];
  for (const img of images) want.push((await layered.classify([img]))[0]!);
}, 120_000);

describe('the classifier’s model on onnxruntime-node', () => {
  it('gives the layers model’s own scores on the scored pictures and random ones, alone and in a batch', async () => {
    expect(layered.engine).toBe('tfjs-layers');
    const net = await loadNsfwNet();
    expect(net.engine).toBe('onnxruntime');
    expect(net.fallback).toBeUndefined();
    const alone: Record<string, number>[] = [];
    for (const img of images) alone.push((await net.classify([img]))[0]!);
    expectClose(alone, want, TOLERANCE);
    expectClose(await net.classify(images), want, TOLERANCE);
    // Not a constant answer: the pictures are told apart, and the skin square is the less safe one.
    expect(want[0]).not.toEqual(want[1]);
    const unsafe = (s: Record<string, number>) => s.Porn! + s.Hentai! + s.Sexy!;
    expect(unsafe(alone[0]!)).toBeGreaterThan(0.01);
    expect(unsafe(alone[1]!)).toBeLessThan(0.01);
  }, 120_000);

  it('is checked at load against the layers model’s stored scores, which are the layers model’s', async () => {
    const got = await layered.classify([testPicture(), flatPicture()]);
    expect(readNsfwModel().hash).toBe(REFERENCE.hash);
    got.forEach((scores, i) => CLASS_NAMES.forEach((k, j) => expect(Math.abs(scores[k]! - REFERENCE.scores[i]![j]!)).toBeLessThanOrEqual(1e-6)));
  }, 120_000);

  it('falls back to TensorFlow.js, saying why, when the graph’s answer differs from the reference', async () => {
    const wrong = { hash: REFERENCE.hash, scores: REFERENCE.scores.map((row) => row.map((v, j) => (j === 2 ? v + 0.001 : v))) };
    const net = await loadNsfwNet({ reference: wrong });
    expect(net.engine).toBe('tfjs-folded');
    expect(net.fallback).toMatch(/differ from the layers model's by 0\.00\d+/);
    expectClose(await net.classify(images.slice(0, 2)), want.slice(0, 2), 1e-5);
  }, 120_000);

  it('falls back to TensorFlow.js when onnxruntime cannot load the graph', async () => {
    const net = await loadNsfwNet({ graph: (bytes) => bytes.subarray(0, bytes.length >> 1) });
    expect(net.engine).toBe('tfjs-folded');
    expect(net.fallback).toMatch(/onnxruntime-node is not used/);
    expectClose(await net.classify(images.slice(0, 1)), want.slice(0, 1), 1e-5);
  }, 120_000);

  it('for a model without stored scores, checks the graph against the layers model itself', async () => {
    const net = await loadNsfwNet({ reference: { hash: 'another model', scores: [] } });
    expect(net.engine).toBe('onnxruntime');
    expectClose(await net.classify(images.slice(0, 2)), want.slice(0, 2), TOLERANCE);
  }, 120_000);

  it('refuses a model with a layer it does not know (the caller then runs TensorFlow.js)', () => {
    const model = readNsfwModel();
    const i = model.layers.findIndex((l) => l.class_name === 'Add');
    model.layers[i] = { ...model.layers[i]!, class_name: 'Multiply' };
    expect(() => buildNsfwOnnx(model)).toThrow(NotBuildable);
    expect(() => buildNsfwOnnx(model)).toThrow(/layer Multiply/);
  });
});

describe('the classifier’s folded tfjs graph (the fallback)', () => {
  it('gives the layers model’s own scores, alone and in a batch', async () => {
    const folded = await loadNsfwNet({ engine: 'tfjs' });
    expect(folded.engine).toBe('tfjs-folded');
    const alone: Record<string, number>[] = [];
    for (const img of images) alone.push((await folded.classify([img]))[0]!);
    expectClose(alone, want, 1e-5);
    expectClose(await folded.classify(images), want, 1e-5);
  }, 120_000);
});

describe('input checks', () => {
  it('refuses input that is not 224×224 RGB, on either runtime', async () => {
    for (const net of [await loadNsfwNet(), await loadNsfwNet({ engine: 'tfjs' })]) {
      await expect(net.classify([new Uint8Array(10)])).rejects.toThrow(/expected 150528 bytes/);
    }
  }, 120_000);
});
