import sharp from 'sharp';
import { encodeMp4, FfmpegError } from './ffmpeg.js';
import { canceled, ProviderError } from './types.js';

/**
 * Turns a sequence of raw RGB frames into a video file: H.264 MP4 when an ffmpeg is available,
 * otherwise (or when ffmpeg fails) an animated WebP. Painting the frames is the caller's job.
 */

export interface FramePlan {
  width: number;
  height: number;
  frames: number;
  fps: number;
}

export interface EncodedVideo {
  data: Buffer;
  mime: 'video/mp4' | 'image/webp';
}

/**
 * `render()` yields the plan's frames (raw RGB, width × height × 3 bytes each) and may be called
 * again to get the same frames (used when ffmpeg fails part-way and we fall back to WebP).
 */
export async function encodeFrames(
  render: () => AsyncIterable<Buffer>,
  plan: FramePlan,
  opts: { ffmpegPath: string | null; signal: AbortSignal; onFallback?: (reason: string) => void | Promise<void> },
): Promise<EncodedVideo> {
  if (opts.ffmpegPath) {
    try {
      const data = await encodeMp4(render(), { ffmpegPath: opts.ffmpegPath, width: plan.width, height: plan.height, fps: plan.fps, pixelFormat: 'rgb24', signal: opts.signal });
      return { data, mime: 'video/mp4' };
    } catch (err) {
      if (!(err instanceof FfmpegError)) throw err;
      await opts.onFallback?.(err.message);
    }
  }
  return { data: await encodeAnimatedWebp(render(), plan, opts.signal), mime: 'image/webp' };
}

/** Collects the frames into one tall image and writes a looping animated WebP, one page per frame. */
export async function encodeAnimatedWebp(frames: AsyncIterable<Buffer>, plan: FramePlan, signal: AbortSignal): Promise<Buffer> {
  const frameBytes = plan.width * plan.height * 3;
  const tall = Buffer.allocUnsafe(frameBytes * plan.frames);
  let n = 0;
  for await (const frame of frames) {
    if (n >= plan.frames || frame.length !== frameBytes) throw new Error(`unexpected frame ${n} (${frame.length} bytes)`);
    frame.copy(tall, n * frameBytes);
    n++;
  }
  if (n !== plan.frames) throw new Error(`expected ${plan.frames} frames, got ${n}`);
  const delay = Math.max(1, Math.round(1000 / plan.fps));
  const encoding = sharp(tall, { raw: { width: plan.width, height: plan.height * plan.frames, channels: 3, pageHeight: plan.height } })
    .webp({ loop: 0, delay: Array.from({ length: plan.frames }, () => delay), quality: 90, effort: 2 })
    .toBuffer();
  // libwebp cannot be interrupted; stop waiting for it when canceled (its result is dropped).
  return raceAbort(encoding, signal);
}

export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(canceled());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => undefined);
      reject(canceled());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
