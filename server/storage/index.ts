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
  read(key: string): Promise<Readable>;
  stat(key: string): Promise<{ size: number } | null>;
  delete(key: string): Promise<void>;
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
    async read(key) {
      const full = resolve(key);
      await fs.access(full);
      return createReadStream(full);
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
  };
}
