import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

/** Where media lives. Keys are opaque relative paths chosen by the services, never by users. */
export interface Storage {
  put(key: string, data: Buffer): Promise<void>;
  /**
   * Streams into storage with bounded memory, writing each chunk before asking for the next (so a
   * source may reuse a chunk's memory once the next is asked for: see readChunks); returns the
   * bytes written. A failed write leaves nothing under the key.
   */
  putStream(key: string, data: Readable | AsyncIterable<Buffer>): Promise<number>;
  /** Streams a stored file. */
  read(key: string): Promise<Readable>;
  /**
   * Reads a stored file into the caller's buffers, used in turn, the next read running while the
   * caller handles the current chunk; no memory is allocated per chunk. Each chunk yielded is a view
   * of one of `buffers` and is valid only until the next one is asked for. For copying large
   * files (the data export) with flat memory; `buffers` must not be shared by two reads at once.
   */
  readChunks(key: string, buffers: Buffer[]): AsyncIterable<Buffer>;
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
      const file = await fs.open(tmp, 'w');
      try {
        for await (const chunk of data as AsyncIterable<Buffer>) {
          for (let at = 0; at < chunk.length; ) at += (await file.write(chunk, at, chunk.length - at)).bytesWritten;
          size += chunk.length;
        }
        await file.close();
      } catch (err) {
        await file.close().catch(() => undefined);
        await fs.rm(tmp, { force: true });
        if (data instanceof Readable) data.destroy();
        throw err;
      }
      await fs.rename(tmp, full);
      return size;
    },
    async read(key) {
      const full = resolve(key);
      await fs.access(full);
      return createReadStream(full);
    },
    async *readChunks(key, buffers) {
      if (buffers.length < 2) throw new Error('readChunks needs two buffers or more');
      const file = await fs.open(resolve(key), 'r');
      let reading: Promise<{ bytesRead: number }> | null = null;
      try {
        let position = 0;
        let i = 0;
        reading = file.read(buffers[0]!, 0, buffers[0]!.length, position);
        for (;;) {
          const { bytesRead } = await reading;
          reading = null;
          if (bytesRead === 0) return;
          const chunk = buffers[i]!.subarray(0, bytesRead);
          position += bytesRead;
          i = (i + 1) % buffers.length;
          reading = file.read(buffers[i]!, 0, buffers[i]!.length, position);
          yield chunk;
        }
      } finally {
        // A read still running must end before its buffer can be reused, and before the file is closed.
        await reading?.catch(() => undefined);
        await file.close();
      }
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
