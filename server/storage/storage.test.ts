import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDiskStorage } from './index.js';

describe('disk storage', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-storage-'));
  const storage = createDiskStorage(root);

  it('writes, reads, stats and deletes a file', async () => {
    await storage.put('ws/a/out/1.png', Buffer.from('hello'));
    expect(await storage.stat('ws/a/out/1.png')).toEqual({ size: 5 });
    const chunks: Buffer[] = [];
    for await (const c of await storage.read('ws/a/out/1.png')) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('hello');
    await storage.delete('ws/a/out/1.png');
    expect(await storage.stat('ws/a/out/1.png')).toBeNull();
    await storage.delete('ws/a/out/1.png'); // deleting twice is fine
  });

  it('reads a file into the caller’s two buffers in turn, and writes a stream of chunks, each before the next is read', async () => {
    const data = Buffer.alloc(3 * 1024 + 10);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    await storage.put('ws/a/out/big.bin', data);
    const buffers = [Buffer.alloc(1024), Buffer.alloc(1024)];
    const seen: { size: number; buffer: ArrayBufferLike }[] = [];
    async function* copy() {
      for await (const c of storage.readChunks('ws/a/out/big.bin', buffers)) {
        seen.push({ size: c.length, buffer: c.buffer });
        yield c;
      }
    }
    expect(await storage.putStream('ws/a/out/copy.bin', copy())).toBe(data.length);
    const copied: Buffer[] = [];
    for await (const c of await storage.read('ws/a/out/copy.bin')) copied.push(c as Buffer);
    expect(Buffer.concat(copied).equals(data)).toBe(true);
    // No chunk was allocated: each was a view of the caller's buffers, used in turn.
    expect(seen.map((s) => s.size)).toEqual([1024, 1024, 1024, 10]);
    expect(seen.map((s) => s.buffer)).toEqual([buffers[0]!.buffer, buffers[1]!.buffer, buffers[0]!.buffer, buffers[1]!.buffer]);
    // A source that fails leaves nothing under the key.
    async function* failing() {
      yield Buffer.from('partial');
      throw new Error('source failed');
    }
    await expect(storage.putStream('ws/a/out/failed.bin', failing())).rejects.toThrow('source failed');
    expect(await storage.stat('ws/a/out/failed.bin')).toBeNull();
    expect(fs.readdirSync(path.join(root, 'ws/a/out')).filter((n) => n.includes('failed'))).toEqual([]);
  });

  it('refuses keys that would leave its root', async () => {
    for (const key of ['../escape.png', 'a/../../escape', '/etc/passwd', '', 'a\\b']) {
      await expect(storage.put(key, Buffer.from('x'))).rejects.toThrow(/Invalid storage key/);
    }
    expect(fs.existsSync(path.join(root, '..', 'escape.png'))).toBe(false);
  });
});
