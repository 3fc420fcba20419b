/**
 * The folded graph (batch norms, ReLU6 and zero padding merged into the convolutions) must give
 * the scores nsfwjs's layers model gives, on real pictures, one at a time and in a batch.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { INPUT_SIZE, loadNsfwNet } from './nsfw-net.js';

const rgb = async (png: Promise<Buffer>) => new Uint8Array(await sharp(await png).resize(INPUT_SIZE, INPUT_SIZE, { fit: 'fill' }).removeAlpha().raw().toBuffer());
const pictures = () =>
  Promise.all([
    rgb(sharp({ create: { width: 300, height: 300, channels: 3, background: { r: 224, g: 172, b: 140 } } }).png().toBuffer()),
    rgb(sharp(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"><rect width="100%" height="100%" fill="rgb(60,30,40)"/><circle cx="100" cy="100" r="70" fill="rgb(120,160,200)"/><rect x="170" y="40" width="90" height="120" fill="rgb(200,200,90)"/></svg>')).png().toBuffer()),
    rgb(sharp(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128"><defs><linearGradient id="g"><stop offset="0" stop-color="#f0c0a0"/><stop offset="1" stop-color="#203040"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/></svg>')).png().toBuffer()),
  ]);

describe('the classifier’s folded graph', () => {
  it('gives the layers model’s own scores, alone and in a batch', async () => {
    const [folded, layered, images] = await Promise.all([loadNsfwNet(), loadNsfwNet({ fold: false }), pictures()]);
    expect(folded.folded).toBe(true);
    expect(layered.folded).toBe(false);
    const want = images.map((img) => layered.classify([img])[0]!);
    const alone = images.map((img) => folded.classify([img])[0]!);
    const batch = folded.classify(images);
    for (const got of [alone, batch]) {
      got.forEach((scores, i) => {
        expect(Object.keys(scores).sort()).toEqual(['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
        for (const [k, v] of Object.entries(want[i]!)) expect(Math.abs(scores[k]! - v)).toBeLessThanOrEqual(1e-5);
      });
    }
    // Not a constant answer: the pictures are told apart.
    expect(want[0]).not.toEqual(want[1]);
  }, 120_000);

  it('refuses input that is not 224×224 RGB', async () => {
    const net = await loadNsfwNet();
    expect(() => net.classify([new Uint8Array(10)])).toThrow(/expected 150528 bytes/);
  }, 120_000);
});
