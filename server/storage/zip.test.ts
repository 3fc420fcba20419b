import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { afterAll, describe, expect, it } from 'vitest';
import { zipStream, ZipError, type ZipEntry } from './zip.js';

// Archives are checked by two real readers: yauzl (names, sizes, offsets, contents; it does not
// check CRCs, so the test compares each entry's CRC with the contents') and Debian's `unzip -t`,
// which reads every entry and checks its CRC (skipped where unzip is not installed). The ZIP64
// cases are real: 70 000 entries, and a 4 GiB entry written (into a sparse file) and read back.
const UNZIP = ['/usr/bin/unzip', '/bin/unzip'].find((p) => fs.existsSync(p));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-zip-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Read = { name: string; flags: number; method: number; crc: number; size: number; offset: number; data?: Buffer };

/** Every entry of a ZIP file as yauzl reads it; the contents of those `want` asks for. */
function readZip(file: string, want: (name: string) => boolean = () => true): Promise<{ entries: Read[]; count: number }> {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true }, (err, z) => {
      if (err || !z) return reject(err);
      const entries: Read[] = [];
      z.on('error', reject);
      z.on('entry', (e: yauzl.Entry) => {
        const r: Read = { name: e.fileName, flags: e.generalPurposeBitFlag, method: e.compressionMethod, crc: e.crc32, size: e.uncompressedSize, offset: e.relativeOffsetOfLocalHeader };
        entries.push(r);
        if (!want(e.fileName)) return z.readEntry();
        z.openReadStream(e, (e2, s) => {
          if (e2 || !s) return reject(e2);
          const chunks: Buffer[] = [];
          s.on('data', (c: Buffer) => chunks.push(c));
          s.on('error', reject);
          s.on('end', () => {
            r.data = Buffer.concat(chunks);
            z.readEntry();
          });
        });
      });
      z.on('end', () => resolve({ entries, count: z.entryCount }));
      z.readEntry();
    }),
  );
}

function unzipTest(file: string) {
  const r = spawnSync(UNZIP!, ['-tq', file], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

async function* chunks(buf: Buffer, size: number) {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

describe('zipStream', () => {
  it('writes stored entries that real readers open, with their names, contents and CRCs', async () => {
    const big = Buffer.alloc(300_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
    const src = path.join(dir, 'photo.png');
    fs.writeFileSync(src, big);
    const entries: ZipEntry[] = [
      { name: 'data.json', data: Buffer.from('{"hello":"world"}') },
      { name: 'README.txt', data: Buffer.alloc(0) },
      { name: 'big.bin', data: big }, // more than one gathered write
      { name: 'files/a-streamed.png', size: big.length, open: async () => chunks(big, 4096) },
      { name: 'files/from-disk.png', size: big.length, open: async () => fs.createReadStream(src, { highWaterMark: 100_000 }) },
      { name: 'files/ünïcødé 日本.txt', open: async () => chunks(Buffer.from('naïve'), 2) },
      { name: 'files/empty.bin', size: 0, open: async () => chunks(Buffer.alloc(0), 1) },
    ];
    const file = path.join(dir, 'small.zip');
    await pipeline(Readable.from(zipStream(entries, { date: new Date(2026, 11, 6, 21, 30, 10) })), fs.createWriteStream(file));

    const { entries: read, count } = await readZip(file);
    expect(count).toBe(entries.length);
    const expected: Record<string, Buffer> = {
      'data.json': Buffer.from('{"hello":"world"}'),
      'README.txt': Buffer.alloc(0),
      'big.bin': big,
      'files/a-streamed.png': big,
      'files/from-disk.png': big,
      'files/ünïcødé 日本.txt': Buffer.from('naïve'),
      'files/empty.bin': Buffer.alloc(0),
    };
    expect(read.map((e) => e.name)).toEqual(Object.keys(expected));
    for (const e of read) {
      expect(e.data!.equals(expected[e.name]!), e.name).toBe(true);
      expect(e.size).toBe(expected[e.name]!.length);
      expect(e.crc, e.name).toBe(crc32(expected[e.name]!));
      expect(e.method).toBe(0); // stored
      expect(e.flags & 0x0808).toBe(0x0808); // data descriptor, UTF-8 name
    }
    if (UNZIP) {
      const t = unzipTest(file);
      expect(t.out).toMatch(/No errors detected/);
      expect(t.status).toBe(0);
      // Its own listing shows the timestamp given and the UTF-8 name.
      const list = spawnSync(UNZIP, ['-l', file], { encoding: 'utf8' }).stdout;
      expect(list).toContain('2026-12-06 21:30');
      expect(list).toContain('files/ünïcødé 日本.txt');
    }
  });

  it('writes more than 65 535 entries with ZIP64 end records', async () => {
    const n = 70_000;
    function* many(): Generator<ZipEntry> {
      for (let i = 0; i < n; i++) yield i % 2 ? { name: `e/${i}.txt`, data: Buffer.from(`entry ${i}`) } : { name: `e/${i}.txt`, open: async () => chunks(Buffer.from(`entry ${i}`), 3) };
    }
    const file = path.join(dir, 'many.zip');
    await pipeline(Readable.from(zipStream(many())), fs.createWriteStream(file));
    const zip = fs.readFileSync(file);
    // The ZIP64 end record and its locator precede the classic end record, which says "see ZIP64".
    expect(zip.readUInt32LE(zip.length - 22)).toBe(0x06054b50);
    expect(zip.readUInt16LE(zip.length - 22 + 10)).toBe(0xffff);
    expect(zip.readUInt32LE(zip.length - 42)).toBe(0x07064b50);
    expect(zip.readUInt32LE(zip.length - 98)).toBe(0x06064b50);
    const last = (name: string) => name === `e/${n - 1}.txt` || name === 'e/0.txt';
    const { entries, count } = await readZip(file, last);
    expect(count).toBe(n);
    expect(entries).toHaveLength(n);
    expect(entries[n - 1]!.name).toBe(`e/${n - 1}.txt`);
    expect(entries[n - 1]!.data!.toString()).toBe(`entry ${n - 1}`);
    expect(entries[0]!.data!.toString()).toBe('entry 0');
    expect(entries[n - 1]!.crc).toBe(crc32(Buffer.from(`entry ${n - 1}`)));
    if (UNZIP) {
      const t = unzipTest(file);
      expect(t.out).toMatch(/No errors detected/);
      expect(t.status).toBe(0);
    }
  });

  it('writes an entry of more than 4 GiB and an entry starting past 4 GiB with ZIP64 fields', { timeout: 120_000 }, async () => {
    // The 4 GiB entry is one zeroed MiB given 4 096 times (and 5 bytes more); the archive is sparse
    // on disk: those chunks, which the writer passes through as they are, are skipped with a seek.
    // The writer's path is the real one: every byte goes through its CRC and its offsets.
    const bigSize = 2 ** 32 + 5;
    const zeros = Buffer.alloc(1024 * 1024);
    async function* huge() {
      for (let i = 0; i < 4096; i++) yield zeros;
      yield Buffer.alloc(5);
    }
    const file = path.join(dir, 'huge.zip');
    const fd = fs.openSync(file, 'w');
    let at = 0;
    let skipped = 0;
    for await (const chunk of zipStream([
      { name: 'before.txt', data: Buffer.from('before') },
      { name: 'huge.bin', size: bigSize, open: async () => huge() },
      { name: 'after.txt', open: async () => chunks(Buffer.from('after the big one'), 4) },
    ])) {
      if (chunk === zeros) {
        at += chunk.length;
        skipped++;
      } else at += fs.writeSync(fd, chunk, 0, chunk.length, at);
    }
    fs.ftruncateSync(fd, at);
    fs.closeSync(fd);
    expect(skipped).toBe(4096);

    const { entries } = await readZip(file, (name) => name !== 'huge.bin');
    expect(entries.map((e) => [e.name, e.size])).toEqual([
      ['before.txt', 6],
      ['huge.bin', bigSize],
      ['after.txt', 17],
    ]);
    let zerosCrc = 0;
    for (let left = bigSize; left > 0; left -= zeros.length) zerosCrc = crc32(zeros.subarray(0, Math.min(left, zeros.length)), zerosCrc);
    expect(entries[1]!.crc).toBe(zerosCrc);
    expect(entries[2]!.offset).toBeGreaterThan(2 ** 32);
    expect(entries[2]!.data!.toString()).toBe('after the big one');
    expect(entries[2]!.crc).toBe(crc32(Buffer.from('after the big one')));
    if (UNZIP) {
      // Info-ZIP reads the ZIP64 sizes and offsets too (its `-t` of 4 GiB takes over a minute here, so the
      // big entry's CRC is checked above instead): the listing and the entry past 4 GiB.
      const list = spawnSync(UNZIP, ['-l', file], { encoding: 'utf8' });
      expect(list.status).toBe(0);
      expect(list.stdout).toMatch(new RegExp(`${bigSize}\\s.*huge\\.bin`));
      const after = spawnSync(UNZIP, ['-p', file, 'after.txt'], { encoding: 'utf8' });
      expect(after.status).toBe(0);
      expect(after.stdout).toBe('after the big one');
    }
  });

  it('fails rather than write a broken archive when an entry announced below 4 GiB reaches it', { timeout: 60_000 }, async () => {
    const block = Buffer.alloc(64 * 1024 * 1024);
    async function* fourGiB() {
      for (let i = 0; i < 64; i++) yield block;
    }
    const drain = async () => {
      for await (const _ of zipStream([{ name: 'grew.bin', size: 10, open: async () => fourGiB() }]));
    };
    await expect(drain()).rejects.toThrow(ZipError);
  });

  it('refuses an empty name or one longer than 65 535 bytes', async () => {
    for (const name of ['', 'x'.repeat(65_536)]) {
      const drain = async () => {
        for await (const _ of zipStream([{ name, data: Buffer.from('x') }]));
      };
      await expect(drain()).rejects.toThrow(/name must be/);
    }
  });
});
