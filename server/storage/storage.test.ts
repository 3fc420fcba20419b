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

  it('reads in chunks of the size asked for (the data export reads 1 MiB at a time)', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 10, 7);
    await storage.put('ws/a/out/big.bin', data);
    const sizes = async (opts?: { chunkBytes?: number }) => {
      const out: number[] = [];
      for await (const c of await storage.read('ws/a/out/big.bin', opts)) out.push((c as Buffer).length);
      return out;
    };
    expect(await sizes({ chunkBytes: 1024 * 1024 })).toEqual([1024 * 1024, 1024 * 1024, 1024 * 1024, 10]);
    expect((await sizes())[0]).toBe(64 * 1024);
  });

  it('refuses keys that would leave its root', async () => {
    for (const key of ['../escape.png', 'a/../../escape', '/etc/passwd', '', 'a\\b']) {
      await expect(storage.put(key, Buffer.from('x'))).rejects.toThrow(/Invalid storage key/);
    }
    expect(fs.existsSync(path.join(root, '..', 'escape.png'))).toBe(false);
  });
});
