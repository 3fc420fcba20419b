import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { ProviderError, type ModelProvider, type ProviderContext, type ProviderRequest } from './types.js';

/**
 * The built-in provider: renders a real PNG on the CPU, deterministically from prompt + seed + size.
 * The picture is a layered gradient with soft shapes whose colours and positions come from a hash
 * of the request, with the prompt drawn in. It reports progress in steps and stops when aborted.
 */
export function createLocalProvider(opts: { stepMs: number; steps?: number }): ModelProvider {
  const steps = opts.steps ?? 8;
  return {
    name: 'local',
    async generate(req, ctx) {
      for (let i = 1; i <= steps; i++) {
        await wait(opts.stepMs, ctx.signal);
        await ctx.onProgress(Math.round((i / steps) * 95));
      }
      const data = await renderImage(req);
      if (ctx.signal.aborted) throw new ProviderError('CANCELED', 'The generation was canceled.');
      return [{ data, mime: 'image/png', width: req.width, height: req.height }];
    },
  };
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new ProviderError('CANCELED', 'The generation was canceled.'));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new ProviderError('CANCELED', 'The generation was canceled.'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
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

export function renderSvg(req: Pick<ProviderRequest, 'prompt' | 'seed' | 'width' | 'height' | 'model'>): string {
  const digest = createHash('sha256').update(`${req.model}\n${req.prompt}\n${req.seed}\n${req.width}x${req.height}`).digest();
  const rand = prng(digest.readUInt32BE(0));
  const { width: w, height: h } = req;
  const hue = Math.floor(rand() * 360);
  const hsl = (dh: number, s: number, l: number) => `hsl(${(hue + dh + 360) % 360} ${s}% ${l}%)`;
  const blobs = Array.from({ length: 7 }, (_, i) => {
    const cx = Math.round(rand() * w);
    const cy = Math.round(rand() * h);
    const r = Math.round((0.15 + rand() * 0.35) * Math.min(w, h));
    const fill = hsl(rand() * 120 - 60 + i * 15, 60 + rand() * 30, 45 + rand() * 25);
    return `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${fill}" opacity="${(0.35 + rand() * 0.4).toFixed(2)}"/>`;
  }).join('');
  const fontSize = Math.round(Math.min(w, h) / 18);
  const lines = wrap(req.prompt, Math.max(12, Math.floor((w * 0.8) / (fontSize * 0.55))), 4);
  const textY = h - Math.round(fontSize * 1.4 * lines.length) - Math.round(h * 0.06);
  const text = lines
    .map(
      (l, i) =>
        `<text x="${Math.round(w * 0.08)}" y="${textY + Math.round(i * fontSize * 1.3)}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" font-weight="600" fill="#fff">${escapeXml(l)}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">
<defs>
<linearGradient id="bg" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${hsl(0, 70, 22)}"/><stop offset="1" stop-color="${hsl(140, 65, 38)}"/></linearGradient>
<filter id="blur"><feGaussianBlur stdDeviation="${Math.round(Math.min(w, h) / 14)}"/></filter>
<linearGradient id="shade" x1="0" y1="0" x2="0" y2="1"><stop offset="0.5" stop-color="#000" stop-opacity="0"/><stop offset="1" stop-color="#000" stop-opacity="0.55"/></linearGradient>
</defs>
<rect width="${w}" height="${h}" fill="url(#bg)"/>
<g filter="url(#blur)">${blobs}</g>
<rect width="${w}" height="${h}" fill="url(#shade)"/>
${text}
<text x="${w - Math.round(w * 0.04)}" y="${Math.round(h * 0.06)}" text-anchor="end" font-family="DejaVu Sans Mono, monospace" font-size="${Math.round(fontSize * 0.5)}" fill="#fff" opacity="0.7">seed ${req.seed}</text>
</svg>`;
}

export async function renderImage(req: Pick<ProviderRequest, 'prompt' | 'seed' | 'width' | 'height' | 'model'>): Promise<Buffer> {
  return sharp(Buffer.from(renderSvg(req))).png({ compressionLevel: 6 }).toBuffer();
}
