import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { detectFfmpeg } from './ffmpeg.js';
import { createLocalProvider, planVideo, type LocalProviderOutput } from './local.js';
import { ProviderError, type ProviderContext, type ProviderRequest } from './types.js';

const ffmpeg = await detectFfmpeg();

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function request(over: Partial<ProviderRequest> = {}): ProviderRequest {
  return { id: 'gen-1', kind: 'image', model: 'local-sketch', prompt: 'a lighthouse at dusk', width: 96, height: 64, seed: 7, count: 1, references: [], ...over };
}

function context(onProgress: (p: number) => void = () => {}, controller = new AbortController()): ProviderContext {
  return { onProgress, signal: controller.signal };
}

/** Generates and returns the outputs with the progress values reported on the way. */
async function run(req: ProviderRequest, opts: { stepMs?: number; ffmpegPath?: string | null } = {}) {
  const provider = createLocalProvider({ stepMs: opts.stepMs ?? 0, steps: 4, ffmpegPath: opts.ffmpegPath === undefined ? null : opts.ffmpegPath });
  const progress: number[] = [];
  const outputs = (await provider.generate(req, context((p) => void progress.push(p)))) as LocalProviderOutput[];
  return { outputs, progress };
}

async function solid(colour: string, width = 80, height = 60, format: 'png' | 'jpeg' | 'webp' = 'png') {
  const data = await sharp({ create: { width, height, channels: 3, background: colour } })[format]().toBuffer();
  return { data, mime: `image/${format}` as const, width, height };
}

async function meanRgb(data: Buffer, page?: number) {
  const { channels } = await sharp(data, page === undefined ? {} : { page }).stats();
  return channels.slice(0, 3).map((c) => c.mean) as [number, number, number];
}

function expectMonotonicTo95(progress: number[]) {
  expect(progress.length).toBeGreaterThan(0);
  for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThanOrEqual(progress[i - 1]!);
  expect(progress.at(-1)!).toBeGreaterThanOrEqual(95);
  expect(progress.at(-1)!).toBeLessThanOrEqual(100);
}

describe('local provider: images', () => {
  it('renders a PNG of the requested size, the same bytes for the same request and different bytes for another seed', async () => {
    const a = await run(request());
    const b = await run(request());
    const c = await run(request({ seed: 8 }));
    const [out] = a.outputs;
    expect(out!.mime).toBe('image/png');
    expect(out!.data.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
    expect(await sharp(out!.data).metadata()).toMatchObject({ format: 'png', width: 96, height: 64 });
    expect([out!.width, out!.height]).toEqual([96, 64]);
    expect(b.outputs[0]!.data.equals(out!.data)).toBe(true);
    expect(c.outputs[0]!.data.equals(out!.data)).toBe(false);
    expectMonotonicTo95(a.progress);
  });

  it('returns `count` distinct outputs, output i being the picture for seed + i', async () => {
    const { outputs, progress } = await run(request({ count: 2 }));
    expect(outputs).toHaveLength(2);
    expect(outputs[0]!.data.equals(outputs[1]!.data)).toBe(false);
    const single = await run(request({ seed: 8 }));
    expect(outputs[1]!.data.equals(single.outputs[0]!.data)).toBe(true);
    expectMonotonicTo95(progress);
  });

  it('makes at most 4 outputs whatever the count asked', async () => {
    const { outputs } = await run(request({ count: 9, width: 32, height: 32 }));
    expect(outputs).toHaveLength(4);
    expect(new Set(outputs.map((o) => o.data.toString('base64'))).size).toBe(4);
  });

  it('builds on the reference image: a red reference gives a redder picture than a blue one', async () => {
    const red = await run(request({ references: [await solid('#e01010', 120, 40, 'jpeg')] }));
    const blue = await run(request({ references: [await solid('#1010e0', 120, 40, 'webp')] }));
    const none = await run(request());
    for (const r of [red, blue]) expect(await sharp(r.outputs[0]!.data).metadata()).toMatchObject({ format: 'png', width: 96, height: 64 });
    const [rR, , rB] = await meanRgb(red.outputs[0]!.data);
    const [bR, , bB] = await meanRgb(blue.outputs[0]!.data);
    expect(rR - bR).toBeGreaterThan(60);
    expect(bB - rB).toBeGreaterThan(60);
    expect(rR).toBeGreaterThan(rB);
    expect(bB).toBeGreaterThan(bR);
    expect(red.outputs[0]!.data.equals(none.outputs[0]!.data)).toBe(false);
    // Still deterministic with references.
    const again = await run(request({ references: [await solid('#e01010', 120, 40, 'jpeg')] }));
    expect(again.outputs[0]!.data.equals(red.outputs[0]!.data)).toBe(true);
  });

  it('blends further references over the first', async () => {
    const one = await run(request({ references: [await solid('#e01010')] }));
    const two = await run(request({ references: [await solid('#e01010'), await solid('#10e010')] }));
    const [, g1] = await meanRgb(one.outputs[0]!.data);
    const [, g2] = await meanRgb(two.outputs[0]!.data);
    expect(g2 - g1).toBeGreaterThan(15);
  });

  it('refuses an unreadable reference image with INVALID_REQUEST', async () => {
    const bad = { data: Buffer.from('not an image'), mime: 'image/png' as const, width: 1, height: 1 };
    await expect(run(request({ references: [bad] }))).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });
});

describe('local provider: video', () => {
  const video = (over: Partial<ProviderRequest> = {}) => request({ kind: 'video', width: 64, height: 48, durationSeconds: 2, fps: 8, ...over });

  it('plans at most 512 px on the long side, even sides, and at most 6 s × 24 fps', () => {
    expect(planVideo({ width: 1024, height: 768, durationSeconds: 6, fps: 24 })).toEqual({ width: 512, height: 384, frames: 144, fps: 24 });
    expect(planVideo({ width: 1000, height: 563, durationSeconds: 30, fps: 60 })).toEqual({ width: 512, height: 288, frames: 144, fps: 24 });
    expect(planVideo({ width: 96, height: 64, durationSeconds: 3, fps: 10 })).toEqual({ width: 96, height: 64, frames: 30, fps: 10 });
  });

  it('without ffmpeg, writes a looping animated WebP with duration × fps frames, the same bytes each time', async () => {
    const { outputs, progress } = await run(video());
    const [out] = outputs;
    expect(out).toMatchObject({ mime: 'image/webp', animated: true, width: 64, height: 48, frames: 16, fps: 8 });
    const meta = await sharp(out!.data, { animated: true }).metadata();
    expect(meta).toMatchObject({ format: 'webp', pages: 16, pageHeight: 48, width: 64, loop: 0 });
    expect(meta.delay).toEqual(Array(16).fill(125));
    // The frames move.
    const first = await sharp(out!.data, { page: 0 }).raw().toBuffer();
    const middle = await sharp(out!.data, { page: 8 }).raw().toBuffer();
    expect(first.equals(middle)).toBe(false);
    expectMonotonicTo95(progress);
    expect(progress.filter((p) => p < 90).length).toBeGreaterThanOrEqual(15); // one report per frame
    const again = await run(video());
    expect(again.outputs[0]!.data.equals(out!.data)).toBe(true);
    const other = await run(video({ seed: 8 }));
    expect(other.outputs[0]!.data.equals(out!.data)).toBe(false);
  });

  it('image-to-video zooms over the reference: its frames carry the reference colour', async () => {
    const { outputs } = await run(video({ references: [await solid('#e01010')] }));
    const blue = await run(video({ references: [await solid('#1010e0')] }));
    const [r, , b] = await meanRgb(outputs[0]!.data, 0);
    const [r2, , b2] = await meanRgb(blue.outputs[0]!.data, 15);
    expect(r).toBeGreaterThan(b);
    expect(b2).toBeGreaterThan(r2);
    expect((await sharp(outputs[0]!.data, { animated: true }).metadata()).pages).toBe(16);
  });

  it('makes one video per count, each from its own seed', async () => {
    const { outputs } = await run(video({ count: 2, durationSeconds: 1, fps: 4 }));
    expect(outputs).toHaveLength(2);
    expect(outputs[0]!.data.equals(outputs[1]!.data)).toBe(false);
  });

  it('stops mid-video when canceled, before rendering every frame', async () => {
    const controller = new AbortController();
    // 144 frames and 8 s of simulated model time: finishing would take far longer than the assertion allows.
    const provider = createLocalProvider({ stepMs: 1000, steps: 8, ffmpegPath: null });
    const reported: number[] = [];
    const started = Date.now();
    const err = await provider
      .generate(
        video({ durationSeconds: 6, fps: 24 }),
        context((p) => {
          reported.push(p);
          controller.abort();
        }, controller),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).code).toBe('CANCELED');
    expect(reported).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('stops while waiting between frames when aborted from outside', async () => {
    const controller = new AbortController();
    const provider = createLocalProvider({ stepMs: 1000, steps: 8, ffmpegPath: null });
    const reported: number[] = [];
    const pending = provider.generate(video({ durationSeconds: 2, fps: 8 }), context((p) => void reported.push(p), controller));
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    await expect(pending).rejects.toMatchObject({ code: 'CANCELED' });
    expect(Date.now() - started).toBeLessThan(500);
    expect(reported.length).toBeLessThan(16);
  });
});

describe('local provider: MP4 through ffmpeg', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A stand-in ffmpeg (this machine has none): answers the probes and records what it was given. */
  async function fakeFfmpeg(behaviour: 'record' | 'fail' | 'hang'): Promise<string> {
    dir ??= await mkdtemp(join(tmpdir(), 'fake-ffmpeg-'));
    const path = join(dir, `ffmpeg-${behaviour}`);
    await writeFile(
      path,
      `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
if (args.includes('-version')) { console.log('ffmpeg version 0.0-fake'); process.exit(0); }
if (args.includes('-encoders')) { console.log(' V....D libx264              libx264 H.264 / AVC'); process.exit(0); }
if (${JSON.stringify(behaviour)} === 'fail') { console.error('Unknown encoder'); process.exit(1); }
fs.writeFileSync(__filename + '.pid', String(process.pid));
if (${JSON.stringify(behaviour)} === 'hang') setInterval(() => {}, 1000);
let bytes = 0;
process.stdin.on('data', (c) => { bytes += c.length; });
process.stdin.on('end', () => fs.writeFileSync(args[args.length - 1], JSON.stringify({ args, bytes })));
`,
    );
    await chmod(path, 0o755);
    return path;
  }

  it('pipes every raw frame to ffmpeg asking for H.264, yuv420p and faststart, and returns video/mp4', async () => {
    const path = await fakeFfmpeg('record');
    expect(await detectFfmpeg(path)).toBe(path);
    const { outputs, progress } = await run(request({ kind: 'video', width: 64, height: 48, durationSeconds: 2, fps: 8 }), { ffmpegPath: path });
    const [out] = outputs;
    expect(out).toMatchObject({ mime: 'video/mp4', width: 64, height: 48, frames: 16 });
    expect(out!.animated).toBeUndefined();
    const seen = JSON.parse(out!.data.toString()) as { args: string[]; bytes: number };
    expect(seen.bytes).toBe(16 * 64 * 48 * 3);
    expect(seen.args.join(' ')).toContain('-f rawvideo -pix_fmt rgb24 -s 64x48 -r 8 -i pipe:0');
    expect(seen.args.join(' ')).toContain('-c:v libx264');
    expect(seen.args.join(' ')).toContain('-pix_fmt yuv420p');
    expect(seen.args.join(' ')).toContain('-movflags +faststart');
    expectMonotonicTo95(progress);
  });

  it('falls back to animated WebP when ffmpeg fails', async () => {
    const { outputs } = await run(request({ kind: 'video', width: 64, height: 48, durationSeconds: 1, fps: 8 }), { ffmpegPath: await fakeFfmpeg('fail') });
    expect(outputs[0]).toMatchObject({ mime: 'image/webp', animated: true });
    expect((await sharp(outputs[0]!.data, { animated: true }).metadata()).pages).toBe(8);
  });

  it('kills ffmpeg when the generation is canceled', async () => {
    const path = await fakeFfmpeg('hang');
    const controller = new AbortController();
    const provider = createLocalProvider({ stepMs: 1000, steps: 8, ffmpegPath: path });
    let pid = 0;
    const onProgress = async () => {
      const deadline = Date.now() + 5_000;
      while (!pid && Date.now() < deadline) {
        pid = Number(await readFile(`${path}.pid`, 'utf8').catch(() => '0'));
        if (!pid) await new Promise((r) => setTimeout(r, 10));
      }
      controller.abort();
    };
    const err = await provider.generate(request({ kind: 'video', width: 64, height: 48, durationSeconds: 6, fps: 24 }), { onProgress, signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CANCELED' });
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid, 0)).toThrow(); // ESRCH: the process is gone
  });

  it.skipIf(!ffmpeg)('writes a real MP4 with the moov atom first when ffmpeg is installed', async () => {
    const { outputs } = await run(request({ kind: 'video', width: 64, height: 48, durationSeconds: 2, fps: 8 }), { ffmpegPath: ffmpeg! });
    const data = outputs[0]!.data;
    expect(outputs[0]!.mime).toBe('video/mp4');
    expect(data.subarray(4, 8).toString('latin1')).toBe('ftyp');
    const moov = data.indexOf('moov', 0, 'latin1');
    const mdat = data.indexOf('mdat', 0, 'latin1');
    expect(moov).toBeGreaterThan(0);
    expect(moov).toBeLessThan(mdat);
    const again = await run(request({ kind: 'video', width: 64, height: 48, durationSeconds: 2, fps: 8 }), { ffmpegPath: ffmpeg! });
    expect(again.outputs[0]!.data.equals(data)).toBe(true);
  });
});
