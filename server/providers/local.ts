import { createHash } from 'node:crypto';
import { sleep } from './http.js';
import sharp from 'sharp';
import { detectFfmpeg } from './ffmpeg.js';
import { encodeFrames, type FramePlan } from './local-video.js';
import { canceled, ProviderError, type ModelProvider, type ProviderContext, type ProviderOutput, type ProviderRequest } from './types.js';

/**
 * The built-in provider: renders real media on the CPU, deterministically from prompt + seed +
 * parameters, so the product works offline and tests get real files.
 *
 * - Images: a layered gradient with soft shapes whose colours and positions come from a hash of
 *   the request, with the prompt drawn in (PNG).
 * - Image-to-image: the first reference, cover-fitted to the output size, with the other
 *   references blended over it, tinted with the seed's palette and the same shapes and prompt.
 * - Video: the shapes drift and the palette swings (or, with references, a slow zoom over the
 *   reference frame), long side at most 512 px; H.264 MP4 when an ffmpeg is on the machine,
 *   otherwise a looping animated WebP (flagged `animated: true`; the product stores it as video).
 *
 * Output i of a request uses seed `req.seed + i`. Progress is reported in steps (images) or per
 * frame (video); an abort stops the work promptly with ProviderError('CANCELED').
 */

export interface LocalProviderOptions {
  /** Simulated model time per step (an image takes `steps × stepMs`; a video spreads the same over its frames). */
  stepMs: number;
  steps?: number;
  /**
   * The ffmpeg used to write MP4: a path (tried first, then `ffmpeg` on PATH), undefined (look on
   * PATH), or null (never: video is always animated WebP).
   */
  ffmpegPath?: string | null;
}

export interface LocalProviderOutput extends ProviderOutput {
  /** True when `data` is an animated image (WebP) standing in for a video. */
  animated?: boolean;
  /** Video only: the number of frames and their rate. */
  frames?: number;
  fps?: number;
}

/** Defensive limits; the product validates requests before they get here. */
export const LOCAL_LIMITS = {
  maxOutputs: 4,
  maxReferences: 4,
  minSide: 16,
  maxSide: 4096,
  maxPixels: 4_194_304,
  maxDurationSeconds: 6,
  maxFps: 24,
  /** Video frames are scaled down so that their long side is at most this. */
  maxVideoSide: 512,
} as const;


export function createLocalProvider(opts: LocalProviderOptions): ModelProvider {
  const steps = Math.max(1, Math.floor(opts.steps ?? 8));
  let ffmpeg: Promise<string | null> | undefined;
  return {
    name: 'local',
    async generate(req, ctx): Promise<LocalProviderOutput[]> {
      if (ctx.signal.aborted) throw canceled();
      const count = checkRequest(req);
      const references = await readReferences(req);
      let last = -1;
      const report = async (percent: number) => {
        const p = Math.min(100, Math.round(percent));
        if (p > last) {
          last = p;
          await ctx.onProgress(p);
        }
        if (ctx.signal.aborted) throw canceled();
      };
      if (req.kind === 'video') {
        ffmpeg ??= detectFfmpeg(opts.ffmpegPath);
        return generateVideos(req, count, references, { ctx, report, ffmpegPath: await ffmpeg, simulatedMs: opts.stepMs * steps });
      }
      for (let i = 1; i <= steps; i++) {
        await sleep(opts.stepMs, ctx.signal);
        await report((i / steps) * 90);
      }
      const outputs: LocalProviderOutput[] = [];
      for (let k = 0; k < count; k++) {
        const one = { ...req, seed: req.seed + k };
        const data = references.length ? await renderImageFromReferences(one, references) : await renderImage(one);
        if (ctx.signal.aborted) throw canceled();
        outputs.push({ data, mime: 'image/png', width: req.width, height: req.height, drawn: references.length === 0 });
        await report(90 + (5 * (k + 1)) / count);
      }
      return outputs;
    },
  };
}

/** Checks sizes and returns the number of outputs to make. */
function checkRequest(req: ProviderRequest): number {
  const { width: w, height: h } = req;
  const L = LOCAL_LIMITS;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < L.minSide || h < L.minSide || w > L.maxSide || h > L.maxSide || w * h > L.maxPixels) {
    throw new ProviderError('INVALID_REQUEST', `The size ${w}×${h} is not supported.`);
  }
  if (!Number.isFinite(req.seed)) throw new ProviderError('INVALID_REQUEST', 'The seed must be a number.');
  if (req.references.length > L.maxReferences) throw new ProviderError('INVALID_REQUEST', `At most ${L.maxReferences} reference images are supported.`);
  return clamp(Math.floor(req.count) || 1, 1, L.maxOutputs);
}

async function readReferences(req: ProviderRequest): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const ref of req.references) {
    const meta = await sharp(ref.data)
      .metadata()
      .catch(() => null);
    if (!meta?.width || !meta.height) throw new ProviderError('INVALID_REQUEST', 'A reference image could not be read.');
    out.push(ref.data);
  }
  return out;
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));


// ---------------------------------------------------------------------------------------------
// The scene: everything random about a picture, drawn once from the request hash.

type SceneRequest = Pick<ProviderRequest, 'prompt' | 'seed' | 'width' | 'height' | 'model' | 'negativePrompt'>;

interface Blob {
  /** Centre as a fraction of width/height; radius as a fraction of the short side. */
  x: number;
  y: number;
  r: number;
  dh: number;
  s: number;
  l: number;
  opacity: number;
  /** Drift: amplitude (fraction of the side), whole turns per loop, phase. */
  ax: number;
  ay: number;
  turns: number;
  phase: number;
}

interface Scene {
  hue: number;
  blobs: Blob[];
  /** Video: how far the palette swings (degrees) and where a zoom over the reference centres. */
  hueSwing: number;
  focusX: number;
  focusY: number;
  zoomIn: boolean;
}

/** A tiny deterministic PRNG (mulberry32) seeded from the request hash. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeScene(req: SceneRequest): Scene {
  const digest = createHash('sha256').update(`${req.model}\n${req.prompt}\n${req.seed}\n${req.width}x${req.height}${req.negativePrompt ? `\nwithout ${req.negativePrompt}` : ''}`).digest();
  const rand = prng(digest.readUInt32BE(0));
  const hue = Math.floor(rand() * 360);
  // The draw order of the still picture's values is kept, so stills look as they always did.
  const still = Array.from({ length: 7 }, (_, i) => ({
    x: rand(),
    y: rand(),
    r: 0.15 + rand() * 0.35,
    dh: rand() * 120 - 60 + i * 15,
    s: 60 + rand() * 30,
    l: 45 + rand() * 25,
    opacity: 0.35 + rand() * 0.4,
  }));
  const blobs = still.map((b) => ({ ...b, ax: 0.04 + rand() * 0.12, ay: 0.04 + rand() * 0.12, turns: 1 + Math.floor(rand() * 2), phase: rand() * 2 * Math.PI }));
  return { hue, blobs, hueSwing: 20 + rand() * 40, focusX: 0.2 + rand() * 0.6, focusY: 0.2 + rand() * 0.6, zoomIn: rand() < 0.5 };
}

// ---------------------------------------------------------------------------------------------
// SVG pieces. `t` in [0, 1) is the time in a seamless loop (0 for stills).

const escapeXml = (s: string) =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

function wrap(text: string, perLine: number, maxLines: number): string[] {
  const words = text.replace(/\s+/g, ' ').trim().split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    const next = line ? `${line} ${w}` : w;
    if (next.length > perLine && line) {
      lines.push(line);
      line = w.slice(0, perLine);
      if (lines.length === maxLines) break;
    } else line = next.slice(0, perLine);
  }
  if (lines.length < maxLines && line) lines.push(line);
  if (lines.length === maxLines && words.join(' ').length > lines.join(' ').length) {
    lines[maxLines - 1] = `${lines[maxLines - 1]!.slice(0, perLine - 1)}…`;
  }
  return lines;
}

function palette(scene: Scene, t: number) {
  const hue = scene.hue + scene.hueSwing * Math.sin(2 * Math.PI * t);
  return (dh: number, s: number, l: number) => `hsl(${(hue + dh + 360) % 360} ${s}% ${l}%)`;
}

function defs(scene: Scene, w: number, h: number, t: number): string {
  const hsl = palette(scene, t);
  return `<defs>
<linearGradient id="bg" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${hsl(0, 70, 22)}"/><stop offset="1" stop-color="${hsl(140, 65, 38)}"/></linearGradient>
<filter id="blur"><feGaussianBlur stdDeviation="${Math.round(Math.min(w, h) / 14)}"/></filter>
<linearGradient id="shade" x1="0" y1="0" x2="0" y2="1"><stop offset="0.5" stop-color="#000" stop-opacity="0"/><stop offset="1" stop-color="#000" stop-opacity="0.55"/></linearGradient>
</defs>`;
}

/** The background gradient (at `bgOpacity`, omitted at 0) and the blurred shapes (opacity × `blobOpacity`). */
function pattern(scene: Scene, w: number, h: number, t: number, bgOpacity: number, blobOpacity: number): string {
  const hsl = palette(scene, t);
  const blobs = scene.blobs
    .map((b) => {
      const a = 2 * Math.PI * b.turns * t;
      const cx = Math.round((b.x + b.ax * (Math.sin(a + b.phase) - Math.sin(b.phase))) * w);
      const cy = Math.round((b.y + b.ay * (Math.cos(a + b.phase) - Math.cos(b.phase))) * h);
      const r = Math.round(b.r * Math.min(w, h));
      return `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${hsl(b.dh, b.s, b.l)}" opacity="${(b.opacity * blobOpacity).toFixed(2)}"/>`;
    })
    .join('');
  const bg = bgOpacity <= 0 ? '' : `<rect width="${w}" height="${h}" fill="url(#bg)"${bgOpacity < 1 ? ` opacity="${bgOpacity.toFixed(2)}"` : ''}/>\n`;
  return `${bg}<g filter="url(#blur)">${blobs}</g>`;
}

/** The darkening towards the bottom, the prompt, and the seed in the corner. */
function caption(req: Pick<ProviderRequest, 'prompt' | 'seed'>, w: number, h: number): string {
  const fontSize = Math.round(Math.min(w, h) / 18);
  const lines = wrap(req.prompt, Math.max(12, Math.floor((w * 0.8) / (fontSize * 0.55))), 4);
  const textY = h - Math.round(fontSize * 1.4 * lines.length) - Math.round(h * 0.06);
  const text = lines
    .map(
      (l, i) =>
        `<text x="${Math.round(w * 0.08)}" y="${textY + Math.round(i * fontSize * 1.3)}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" font-weight="600" fill="#fff">${escapeXml(l)}</text>`,
    )
    .join('');
  return `<rect width="${w}" height="${h}" fill="url(#shade)"/>
${text}
<text x="${w - Math.round(w * 0.04)}" y="${Math.round(h * 0.06)}" text-anchor="end" font-family="DejaVu Sans Mono, monospace" font-size="${Math.round(fontSize * 0.5)}" fill="#fff" opacity="0.7">seed ${req.seed}</text>`;
}

const svgDoc = (w: number, h: number, body: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">\n${body}\n</svg>`;

/** The still picture for a text-only request, as SVG. */
export function renderSvg(req: SceneRequest): string {
  const scene = makeScene(req);
  const { width: w, height: h } = req;
  return svgDoc(w, h, `${defs(scene, w, h, 0)}\n${pattern(scene, w, h, 0, 1, 1)}\n${caption(req, w, h)}`);
}

export async function renderImage(req: SceneRequest): Promise<Buffer> {
  return sharp(Buffer.from(renderSvg(req))).png({ compressionLevel: 6 }).toBuffer();
}

// ---------------------------------------------------------------------------------------------
// Image-to-image.

/** How strongly the seed's palette tints the reference, and how visible the shapes are over it. */
const TINT = 0.35;
const SHAPES_OVER_REFERENCE = 0.7;
const OTHER_REFERENCE_OPACITY = 0.35;

/**
 * The references as one raw RGB picture of w×h: the first cover-fitted, each further one
 * cover-fitted and blended over it at partial opacity.
 */
async function referenceBase(refs: Buffer[], w: number, h: number): Promise<Buffer> {
  const fit = (data: Buffer) => sharp(data).resize(w, h, { fit: 'cover', position: 'centre' }).flatten({ background: '#000' }).removeAlpha();
  const [first, ...others] = refs;
  if (!first) throw new Error('referenceBase needs a reference');
  const layers = await Promise.all(others.map((data) => fit(data).ensureAlpha(OTHER_REFERENCE_OPACITY).raw().toBuffer()));
  const base = await fit(first).raw().toBuffer();
  if (!layers.length) return base;
  return sharp(base, { raw: { width: w, height: h, channels: 3 } })
    .composite(layers.map((input) => ({ input, raw: { width: w, height: h, channels: 4 as const } })))
    .removeAlpha()
    .raw()
    .toBuffer();
}

export async function renderImageFromReferences(req: SceneRequest, refs: Buffer[]): Promise<Buffer> {
  const { width: w, height: h } = req;
  const scene = makeScene(req);
  const base = await referenceBase(refs, w, h);
  const overlay = svgDoc(w, h, `${defs(scene, w, h, 0)}\n${pattern(scene, w, h, 0, TINT, SHAPES_OVER_REFERENCE)}\n${caption(req, w, h)}`);
  return sharp(base, { raw: { width: w, height: h, channels: 3 } })
    .composite([{ input: Buffer.from(overlay) }])
    .removeAlpha()
    .png({ compressionLevel: 6 })
    .toBuffer();
}

// ---------------------------------------------------------------------------------------------
// Video.

/** Frame size (long side ≤ 512, even sides for yuv420p), frame count and rate for a request. */
export function planVideo(req: Pick<ProviderRequest, 'width' | 'height' | 'durationSeconds' | 'fps'>): FramePlan {
  const L = LOCAL_LIMITS;
  const scale = Math.min(1, L.maxVideoSide / Math.max(req.width, req.height));
  const even = (n: number) => Math.max(L.minSide, 2 * Math.round((n * scale) / 2));
  const fps = clamp(Math.round(req.fps ?? 12), 1, L.maxFps);
  const seconds = clamp(req.durationSeconds ?? 4, 1, L.maxDurationSeconds);
  const frames = clamp(Math.round(seconds * fps), 2, L.maxDurationSeconds * L.maxFps);
  return { width: even(req.width), height: even(req.height), frames, fps };
}

/** Paints frame j of one video as raw RGB (width × height × 3 bytes). */
export async function framePainter(req: SceneRequest, plan: FramePlan, refs: Buffer[]): Promise<(j: number) => Promise<Buffer>> {
  const scene = makeScene(req);
  const { width: fw, height: fh } = plan;
  // The shapes are blurred anyway: paint them at a quarter of the size and scale up (much faster).
  const sw = Math.max(16, Math.round(fw / 4));
  const sh = Math.max(16, Math.round(fh / 4));
  const textLayer = await sharp(Buffer.from(svgDoc(fw, fh, `${defs(scene, fw, fh, 0)}\n${caption(req, fw, fh)}`)))
    .ensureAlpha()
    .raw()
    .toBuffer();
  const rgba = (width: number, height: number) => ({ width, height, channels: 4 as const });
  const paintPattern = async (t: number, bgOpacity: number, blobOpacity: number) => {
    const small = await sharp(Buffer.from(svgDoc(sw, sh, `${defs(scene, sw, sh, t)}\n${pattern(scene, sw, sh, t, bgOpacity, blobOpacity)}`)))
      .ensureAlpha()
      .raw()
      .toBuffer();
    return sharp(small, { raw: rgba(sw, sh) }).resize(fw, fh, { fit: 'fill', kernel: 'cubic' });
  };

  if (!refs.length) {
    return async (j) => {
      const image = await paintPattern(j / plan.frames, 1, 1);
      return image
        .composite([{ input: textLayer, raw: rgba(fw, fh) }])
        .removeAlpha()
        .raw()
        .toBuffer();
    };
  }

  // Image-to-video: a slow zoom (in or out, towards a point chosen by the seed) over the references.
  const ZOOM = 1.25;
  const bw = Math.round(fw * ZOOM);
  const bh = Math.round(fh * ZOOM);
  const base = await referenceBase(refs, bw, bh);
  return async (j) => {
    const t = j / plan.frames;
    const u = plan.frames > 1 ? j / (plan.frames - 1) : 0;
    const z = scene.zoomIn ? 1 + (ZOOM - 1) * u : ZOOM - (ZOOM - 1) * u;
    const ww = clamp(Math.round(bw / z), 1, bw);
    const wh = clamp(Math.round(bh / z), 1, bh);
    const left = Math.round(scene.focusX * (bw - ww));
    const top = Math.round(scene.focusY * (bh - wh));
    const overlay = await (await paintPattern(t, TINT, SHAPES_OVER_REFERENCE)).raw().toBuffer();
    return sharp(base, { raw: { width: bw, height: bh, channels: 3 } })
      .extract({ left, top, width: ww, height: wh })
      .resize(fw, fh, { fit: 'fill' })
      .composite([
        { input: overlay, raw: rgba(fw, fh) },
        { input: textLayer, raw: rgba(fw, fh) },
      ])
      .removeAlpha()
      .raw()
      .toBuffer();
  };
}

async function generateVideos(
  req: ProviderRequest,
  count: number,
  refs: Buffer[],
  env: { ctx: ProviderContext; report: (percent: number) => Promise<void>; ffmpegPath: string | null; simulatedMs: number },
): Promise<LocalProviderOutput[]> {
  const { ctx, report } = env;
  const plan = planVideo(req);
  const total = plan.frames * count;
  // The same simulated model time as an image, spread over the frames.
  const frameMs = env.simulatedMs / total;
  let rendered = 0;
  const outputs: LocalProviderOutput[] = [];
  for (let k = 0; k < count; k++) {
    const paint = await framePainter({ ...req, seed: req.seed + k }, plan, refs);
    const first = k * plan.frames;
    const frames = async function* () {
      for (let j = 0; j < plan.frames; j++) {
        await sleep(frameMs, ctx.signal);
        const frame = await paint(j);
        if (ctx.signal.aborted) throw canceled();
        // A second pass (WebP after a failed ffmpeg) renders the same frames again: no new progress.
        if (first + j + 1 > rendered) {
          rendered = first + j + 1;
          await report((rendered / total) * 90);
        }
        yield frame;
      }
    };
    const video = await encodeFrames(frames, plan, {
      ffmpegPath: env.ffmpegPath,
      signal: ctx.signal,
      onFallback: () => ctx.onStatus?.('Writing the video as animated WebP'),
    });
    if (ctx.signal.aborted) throw canceled();
    outputs.push({
      data: video.data,
      mime: video.mime,
      width: plan.width,
      height: plan.height,
      frames: plan.frames,
      fps: plan.fps,
      drawn: refs.length === 0,
      ...(video.mime === 'image/webp' ? { animated: true } : {}),
    });
    await report(90 + (5 * (k + 1)) / count);
  }
  return outputs;
}
