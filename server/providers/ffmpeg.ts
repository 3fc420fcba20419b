import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canceled, ProviderError } from './types.js';

/**
 * An optional ffmpeg, used by the local provider to write H.264 MP4. Nothing here downloads a
 * binary: it is either on the machine (a configured path, or `ffmpeg` on PATH) or video falls
 * back to animated WebP.
 */

const probes = new Map<string, Promise<boolean>>();

/**
 * The ffmpeg to use, or null. `configured` is the configured binary (e.g. from FFMPEG_PATH, read by
 * server/config.ts): a string is tried first, then `ffmpeg` on PATH; `null` means "do not use
 * ffmpeg" (tests use it to force the WebP path). A binary counts only if `-version` runs and it
 * has the libx264 encoder. Results are cached per binary for the life of the process.
 */
export async function detectFfmpeg(configured?: string | null): Promise<string | null> {
  if (configured === null) return null;
  const candidates = configured ? [configured, 'ffmpeg'] : ['ffmpeg'];
  for (const bin of candidates) {
    let probe = probes.get(bin);
    if (!probe) {
      probe = probeFfmpeg(bin);
      probes.set(bin, probe);
    }
    if (await probe) return bin;
  }
  return null;
}

function run(bin: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: 5_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout) => resolve(err ? null : String(stdout)));
  });
}

async function probeFfmpeg(bin: string): Promise<boolean> {
  const version = await run(bin, ['-hide_banner', '-version']);
  if (!version || !/ffmpeg version/i.test(version)) return false;
  const encoders = await run(bin, ['-hide_banner', '-encoders']);
  return !!encoders && /\blibx264\b/.test(encoders);
}

/** ffmpeg ran but failed (bad binary, encoder missing): the caller may fall back to another format. */
export class FfmpegError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FfmpegError';
  }
}

export interface Mp4Options {
  ffmpegPath: string;
  width: number;
  height: number;
  fps: number;
  /** Layout of each raw frame: `rgb24` (3 bytes per pixel) or `rgba` (4). */
  pixelFormat: 'rgb24' | 'rgba';
  signal: AbortSignal;
  /** x264 constant rate factor (default 23). */
  crf?: number;
}

/**
 * Encodes raw frames (each exactly width × height × channels bytes, streamed from `frames` as they
 * are produced) to an H.264 MP4 (yuv420p, moov atom first for streaming). ffmpeg reads the frames
 * on stdin and writes a temporary file (faststart needs a seekable output); the file is read back
 * and removed. On abort ffmpeg is killed and ProviderError('CANCELED') is thrown.
 */
export async function encodeMp4(frames: AsyncIterable<Buffer> | Iterable<Buffer>, opts: Mp4Options): Promise<Buffer> {
  const { width, height } = opts;
  if (width % 2 || height % 2) throw new FfmpegError(`yuv420p needs even dimensions, got ${width}x${height}`);
  const frameBytes = width * height * (opts.pixelFormat === 'rgba' ? 4 : 3);
  if (opts.signal.aborted) throw canceled();
  const dir = await mkdtemp(join(tmpdir(), 'klein-mp4-'));
  const out = join(dir, 'out.mp4');
  // prettier-ignore
  const args = [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'rawvideo', '-pix_fmt', opts.pixelFormat, '-s', `${width}x${height}`, '-r', String(opts.fps), '-i', 'pipe:0',
    '-an', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', String(opts.crf ?? 23), '-pix_fmt', 'yuv420p',
    '-movflags', '+faststart', '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact',
    '-f', 'mp4', out,
  ];
  const child = spawn(opts.ffmpegPath, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000);
  });
  let stdinError: Error | null = null;
  child.stdin.on('error', (err) => {
    stdinError = err; // EPIPE when ffmpeg exits early; reported through the exit code below
  });
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('close', (code) => resolve({ code }));
  });
  const onAbort = () => child.kill('SIGKILL');
  opts.signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const frame of frames) {
      if (opts.signal.aborted) throw canceled();
      if (frame.length !== frameBytes) throw new FfmpegError(`frame of ${frame.length} bytes, expected ${frameBytes}`);
      if (stdinError || child.exitCode !== null) break;
      if (!child.stdin.write(frame)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            child.stdin.off('drain', done);
            child.off('close', done);
            resolve();
          };
          child.stdin.on('drain', done);
          child.once('close', done);
        });
      }
    }
    child.stdin.end();
    const result = await exited;
    if (opts.signal.aborted) throw canceled();
    if (result.error) throw new FfmpegError(`ffmpeg could not start: ${result.error.message}`);
    if (result.code !== 0) throw new FfmpegError(`ffmpeg exited with ${result.code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return await readFile(out);
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw err;
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    await exited.catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

