import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

/** Where media lives. Keys are opaque relative paths chosen by the services, never by users. */
export interface Storage {
  put(key: string, data: Buffer): Promise<void>;
  /** Streams into storage with bounded memory; returns the bytes written. */
  putStream(key: string, data: Readable): Promise<number>;
  /** Streams a stored file; `chunkBytes` sets the size of its reads (default 64 KiB). */
  read(key: string, opts?: { chunkBytes?: number }): Promise<Readable>;
  stat(key: string): Promise<{ size: number } | null>;
  delete(key: string): Promise<void>;
  /** Every key under a prefix (e.g. `ws/<id>/`), with when it was last written; for sweeping files no row points at. */
  list(prefix: string): AsyncIterable<{ key: string; size: number; modifiedAt: Date }>;
}

const KEY_RE = /^[a-z0-9][a-z0-9/_.-]{0,255}$/i;

export function createDiskStorage(root: string): Storage {
  const base = path.resolve(root);
  const resolve = (key: string) => {
    if (!KEY_RE.test(key) || key.includes('..')) throw new Error(`Invalid storage key: ${key}`);
    const full = path.resolve(base, key);
    if (!full.startsWith(base + path.sep)) throw new Error(`Invalid storage key: ${key}`);
    return full;
  };
  return {
    async put(key, data) {
      const full = resolve(key);
      await fs.mkdir(path.dirname(full), { recursive: true });
      const tmp = `${full}.${process.pid}.${Date.now()}.tmp`;
      await fs.writeFile(tmp, data);
      await fs.rename(tmp, full);
    },
    async putStream(key, data) {
      const full = resolve(key);
      await fs.mkdir(path.dirname(full), { recursive: true });
      const tmp = `${full}.${process.pid}.${Date.now()}.tmp`;
      let size = 0;
      data.on('data', (c: Buffer) => (size += c.length));
      await pipeline(data, createWriteStream(tmp));
      await fs.rename(tmp, full);
      return size;
    },
    async read(key, opts) {
      const full = resolve(key);
      await fs.access(full);
      return createReadStream(full, opts?.chunkBytes ? { highWaterMark: opts.chunkBytes } : undefined);
    },
    async stat(key) {
      try {
        const s = await fs.stat(resolve(key));
        return { size: s.size };
      } catch {
        return null;
      }
    },
    async delete(key) {
      await fs.rm(resolve(key), { force: true });
    },
    async *list(prefix) {
      if (!/^[a-z0-9][a-z0-9/_.-]*$/i.test(prefix) || prefix.includes('..')) throw new Error(`Invalid storage prefix: ${prefix}`);
      // The directory part of the prefix is walked; the rest filters names.
      const dir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.readdir(path.join(base, dir), { recursive: true, withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (!e.isFile()) continue;
        const full = path.join(e.parentPath ?? e.path, e.name);
        const key = path.relative(base, full).split(path.sep).join('/');
        if (!key.startsWith(prefix)) continue;
        const s = await fs.stat(full).catch(() => null);
        if (s) yield { key, size: s.size, modifiedAt: s.mtime };
      }
    },
  };
}
