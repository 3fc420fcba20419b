/**
 * HTTP compression (brotli, else gzip) for HTML, JavaScript, CSS, JSON and SVG, with node:zlib.
 *
 * - `compressResponses()`: every compressible response of the app (Remix pages, tRPC, JSON
 *   routes) is compressed as it is written: brotli at quality 4 (fast, smaller than gzip -6), or
 *   gzip for clients without brotli. Streaming stays streaming: HTML is flushed after each write,
 *   so a deferred Remix page still arrives in parts. Media (images, video, ZIP) is never touched,
 *   nor a response that names its own encoding, says `no-transform`, or is under 1 kB.
 * - `precompressedStatic(dir)`: the fingerprinted build files (immutable, cached for a year) are
 *   compressed once, at the highest brotli quality, in the background at boot, and then served from
 *   memory with their ETag; until then the dynamic path serves them.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import type { NextFunction, Request, Response } from 'express';

const COMPRESSIBLE = /^(text\/(html|css|plain|javascript)|application\/(json|javascript|manifest\+json|xml)|image\/svg\+xml)\b/i;
const THRESHOLD = 1024;

type Encoding = 'br' | 'gzip';

/** The encoding to answer with, from Accept-Encoding (brotli first; `q=0` refuses). */
export function pickEncoding(header: string | undefined): Encoding | null {
  if (!header) return null;
  const offered = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    offered.set(name!, q ? Number(q.slice(2)) : 1);
  }
  const ok = (e: string) => (offered.get(e) ?? offered.get('*') ?? 0) > 0;
  return ok('br') ? 'br' : ok('gzip') ? 'gzip' : null;
}

const toBuffer = (chunk: unknown, encoding?: BufferEncoding): Buffer => (Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk, encoding) : Buffer.from(chunk as Uint8Array));

export function compressResponses() {
  return (req: Request, res: Response, next: NextFunction) => {
    const encoding = pickEncoding(req.headers['accept-encoding']);
    if (req.method === 'HEAD') return next();
    const write = res.write.bind(res) as (chunk: unknown, encoding?: BufferEncoding, cb?: (err?: Error | null) => void) => boolean;
    const end = res.end.bind(res) as (chunk?: unknown, encoding?: BufferEncoding, cb?: () => void) => Response;
    let decided = false;
    let z: zlib.BrotliCompress | zlib.Gzip | null = null;
    let flushEach = false;

    /** Decides once, before the headers go out, whether this response is compressed. */
    const decide = (firstChunkBytes: number, ending: boolean) => {
      decided = true;
      if (res.headersSent) return;
      const type = String(res.getHeader('content-type') ?? '');
      if (!COMPRESSIBLE.test(type)) return;
      res.vary('Accept-Encoding');
      if (!encoding || res.getHeader('content-encoding') || res.statusCode === 204 || res.statusCode === 304 || /no-transform/i.test(String(res.getHeader('cache-control') ?? ''))) return;
      const declared = Number(res.getHeader('content-length'));
      const size = Number.isFinite(declared) ? declared : ending ? firstChunkBytes : Infinity;
      if (size < THRESHOLD) return;
      res.setHeader('Content-Encoding', encoding);
      res.removeHeader('Content-Length');
      // A strong ETag names the uncompressed bytes; the compressed ones are another representation.
      const etag = res.getHeader('etag');
      if (typeof etag === 'string' && !etag.startsWith('W/')) res.setHeader('ETag', `W/${etag}`);
      flushEach = /^text\/html/i.test(type);
      z =
        encoding === 'br'
          ? zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4, ...(Number.isFinite(size) ? { [zlib.constants.BROTLI_PARAM_SIZE_HINT]: size } : {}) } })
          : zlib.createGzip({ level: 6 });
      const stream = z;
      stream.on('data', (c: Buffer) => {
        if (!write(c)) stream.pause();
      });
      res.on('drain', () => stream.resume());
      stream.on('end', () => end());
      stream.on('error', () => res.destroy());
    };

    res.write = ((chunk: unknown, enc?: BufferEncoding | ((err?: Error | null) => void), cb?: (err?: Error | null) => void) => {
      const encodingArg = typeof enc === 'string' ? enc : undefined;
      const callback = typeof enc === 'function' ? enc : cb;
      if (!decided) decide(chunk ? toBuffer(chunk, encodingArg).length : 0, false);
      if (!z) return write(chunk, encodingArg, callback);
      const ok = z.write(toBuffer(chunk, encodingArg), callback);
      if (flushEach) z.flush();
      // A writer told to wait (a piped file: express.static) waits for the response's 'drain'; the
      // compressor's buffer is what is full, so its 'drain' is passed on (else a file larger than
      // the compressor's buffer stalls for good).
      if (!ok) z.once('drain', () => res.emit('drain'));
      return ok;
    }) as Response['write'];

    res.end = ((chunk?: unknown, enc?: BufferEncoding | (() => void), cb?: () => void) => {
      if (typeof chunk === 'function') {
        cb = chunk as () => void;
        chunk = undefined;
      }
      const encodingArg = typeof enc === 'string' ? enc : undefined;
      const callback = typeof enc === 'function' ? enc : cb;
      if (!decided) decide(chunk ? toBuffer(chunk, encodingArg).length : 0, true);
      if (!z) return end(chunk, encodingArg, callback);
      if (callback) res.once('finish', callback);
      if (chunk) z.end(toBuffer(chunk, encodingArg));
      else z.end();
      return res;
    }) as Response['end'];
    next();
  };
}

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

interface Precompressed {
  type: string;
  etag: string;
  br: Buffer;
  gzip: Buffer;
}

/**
 * Serves the fingerprinted files under `dir` (mounted at a prefix), compressed once at boot at the
 * best ratio, with one-year immutable caching. Files not (yet) compressed fall through.
 */
export function precompressedStatic(dir: string, log?: { warn(msg: string, meta?: Record<string, unknown>): void }) {
  const files = new Map<string, Precompressed>();
  const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json; charset=utf-8', '.svg': 'image/svg+xml', '.map': 'application/json; charset=utf-8' };
  const ready = (async () => {
    let entries: string[];
    try {
      entries = (await fs.readdir(dir, { recursive: true })) as string[];
    } catch {
      return;
    }
    for (const rel of entries) {
      const type = TYPES[path.extname(rel)];
      if (!type) continue;
      try {
        const data = await fs.readFile(path.join(dir, rel));
        if (data.length < THRESHOLD) continue;
        const [br, gz] = await Promise.all([
          brotli(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } }),
          gzip(data, { level: 9 }),
        ]);
        files.set(`/${rel.split(path.sep).join('/')}`, { type, etag: `W/"${createHash('sha256').update(data).digest('base64url').slice(0, 27)}"`, br, gzip: gz });
      } catch (err) {
        log?.warn('precompressing a build file failed (served compressed on the fly)', { file: rel, err });
      }
    }
  })();
  const middleware = (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const f = files.get(req.path);
    const encoding = f ? pickEncoding(req.headers['accept-encoding']) : null;
    if (!f || !encoding) return next();
    res.setHeader('Content-Type', f.type);
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('ETag', f.etag);
    res.setHeader('Vary', 'Accept-Encoding');
    if (req.headers['if-none-match'] === f.etag) return void res.status(304).end();
    const body = encoding === 'br' ? f.br : f.gzip;
    res.setHeader('Content-Encoding', encoding);
    res.setHeader('Content-Length', String(body.length));
    if (req.method === 'HEAD') return void res.end();
    res.end(body);
  };
  return Object.assign(middleware, { ready });
}
