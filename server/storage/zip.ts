import { crc32 } from 'node:zlib';

/**
 * A streaming ZIP writer for archives of files stored as they are (no compression: images and
 * videos are already compressed). It yields the archive as Buffers, entry by entry, pulling the
 * next entry only when the previous one is written: memory stays flat however large or many the
 * files are (the central directory, ~50 bytes plus the name per entry, is the only thing kept).
 *
 * The file data passes through unchanged (no copy); its CRC-32 is computed with Node's native
 * `zlib.crc32` as it goes. Each entry's CRC and sizes follow its data in a data descriptor
 * (general purpose bit 3) and are repeated in the central directory. Names are UTF-8 (bit 11).
 * ZIP64 is written where the classic fields overflow: an entry of 4 GiB or more (decided from its
 * expected size, so the local header can announce it), an entry starting 4 GiB or more into the
 * archive, and 65 535 entries or more. See docs/decisions/0024-web-performance.md.
 */

/** A file to add: its bytes all at once, or a stream opened when the archive reaches it. */
export type ZipEntry =
  | { name: string; data: Buffer }
  | {
      name: string;
      /** The expected size (e.g. from stat). An entry of 4 GiB or more must say so here: its local header then announces ZIP64 (otherwise the archive fails when the entry reaches 4 GiB). */
      size?: number;
      /** Opened when the archive reaches the entry; the chunks are written as they come. */
      open: () => Promise<AsyncIterable<Buffer>>;
    };

const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;
const VERSION_MADE_BY = (3 << 8) | 45; // Unix, spec 4.5
const VERSION_NEEDED = 20; // 2.0: data descriptors
const VERSION_NEEDED_ZIP64 = 45;
const FLAGS = (1 << 3) | (1 << 11); // data descriptor, UTF-8 names
const FILE_ATTRIBUTES = (0o100644 << 16) >>> 0; // a regular file, rw-r--r--
/** Small pieces (headers, descriptors, small buffers) are gathered into writes of up to this size. */
const GATHER_BYTES = 64 * 1024;
const CENTRAL_BLOCK_BYTES = 256 * 1024;

export class ZipError extends Error {}

function dosDateTime(d: Date): { date: number; time: number } {
  const year = Math.min(Math.max(d.getFullYear(), 1980), 2107);
  return {
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
  };
}

function writeU64(b: Buffer, value: number, at: number) {
  b.writeBigUInt64LE(BigInt(value), at);
}

/** The archive's bytes, as Buffers (use with `Readable.from` or `for await`). */
export async function* zipStream(entries: Iterable<ZipEntry> | AsyncIterable<ZipEntry>, opts: { date?: Date } = {}): AsyncGenerator<Buffer, void, undefined> {
  const { date, time } = dosDateTime(opts.date ?? new Date());
  let offset = 0; // bytes yielded so far
  let count = 0;
  // Gathered small pieces not yet yielded.
  let gathered: Buffer[] = [];
  let gatheredBytes = 0;
  const gather = (b: Buffer) => {
    gathered.push(b);
    gatheredBytes += b.length;
  };
  const takeGathered = () => {
    const out = gathered.length === 1 ? gathered[0]! : Buffer.concat(gathered, gatheredBytes);
    offset += out.length;
    gathered = [];
    gatheredBytes = 0;
    return out;
  };
  // The central directory, packed into blocks as it grows.
  const central: Buffer[] = [];
  let block = Buffer.allocUnsafe(CENTRAL_BLOCK_BYTES);
  let blockUsed = 0;
  let centralBytes = 0;
  const addCentral = (record: Buffer) => {
    if (record.length > block.length - blockUsed) {
      if (blockUsed) central.push(block.subarray(0, blockUsed));
      block = Buffer.allocUnsafe(Math.max(CENTRAL_BLOCK_BYTES, record.length));
      blockUsed = 0;
    }
    record.copy(block, blockUsed);
    blockUsed += record.length;
    centralBytes += record.length;
  };

  for await (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    if (name.length === 0 || name.length > U16_MAX) throw new ZipError(`ZIP entry name must be 1–65 535 bytes: ${entry.name.slice(0, 80)}`);
    const start = offset + gatheredBytes;
    const expected = 'data' in entry ? entry.data.length : (entry.size ?? 0);
    const large = expected >= U32_MAX; // announced in the local header; its descriptor has 8-byte sizes

    // Local file header (sizes and CRC follow the data, in the descriptor).
    const local = Buffer.alloc(30 + name.length + (large ? 20 : 0));
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(large ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED, 4);
    local.writeUInt16LE(FLAGS, 6);
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    // CRC-32 and sizes (14–25) are zero: they are in the data descriptor. A ZIP64 entry says 0xFFFFFFFF and carries the ZIP64 extra field.
    if (large) {
      local.writeUInt32LE(U32_MAX, 18);
      local.writeUInt32LE(U32_MAX, 22);
    }
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(large ? 20 : 0, 28);
    name.copy(local, 30);
    if (large) {
      local.writeUInt16LE(0x0001, 30 + name.length);
      local.writeUInt16LE(16, 32 + name.length); // original and compressed sizes, zero here
    }
    gather(local);

    // The data, passed through as it comes.
    let crc = 0;
    let size = 0;
    if ('data' in entry) {
      crc = crc32(entry.data);
      size = entry.data.length;
      if (size <= GATHER_BYTES) gather(entry.data);
      else {
        yield takeGathered();
        offset += size;
        yield entry.data;
      }
    } else {
      const source = await entry.open();
      for await (const chunk of source) {
        if (chunk.length === 0) continue;
        crc = crc32(chunk, crc);
        size += chunk.length;
        if (gatheredBytes) yield takeGathered();
        offset += chunk.length;
        yield chunk;
      }
      if (!large && size >= U32_MAX) throw new ZipError(`ZIP entry ${entry.name} reached 4 GiB, more than the ${expected} bytes it was announced with`);
    }

    // Data descriptor: signature, CRC-32, compressed and original sizes (8 bytes each for ZIP64).
    const descriptor = Buffer.alloc(large ? 24 : 16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(crc, 4);
    if (large) {
      writeU64(descriptor, size, 8);
      writeU64(descriptor, size, 16);
    } else {
      descriptor.writeUInt32LE(size, 8);
      descriptor.writeUInt32LE(size, 12);
    }
    gather(descriptor);
    if (gatheredBytes >= GATHER_BYTES) yield takeGathered();

    // Its central directory record; ZIP64 extra field with whichever of sizes and offset overflow.
    const sizes64 = large || size >= U32_MAX;
    const offset64 = start >= U32_MAX;
    const extra = (sizes64 ? 16 : 0) + (offset64 ? 8 : 0);
    const record = Buffer.alloc(46 + name.length + (extra ? 4 + extra : 0));
    record.writeUInt32LE(0x02014b50, 0);
    record.writeUInt16LE(VERSION_MADE_BY, 4);
    record.writeUInt16LE(extra || large ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED, 6);
    record.writeUInt16LE(FLAGS, 8);
    record.writeUInt16LE(0, 10);
    record.writeUInt16LE(time, 12);
    record.writeUInt16LE(date, 14);
    record.writeUInt32LE(crc, 16);
    record.writeUInt32LE(sizes64 ? U32_MAX : size, 20);
    record.writeUInt32LE(sizes64 ? U32_MAX : size, 24);
    record.writeUInt16LE(name.length, 28);
    record.writeUInt16LE(extra ? 4 + extra : 0, 30);
    // comment length, disk number, internal attributes: 0
    record.writeUInt32LE(FILE_ATTRIBUTES, 38);
    record.writeUInt32LE(offset64 ? U32_MAX : start, 42);
    name.copy(record, 46);
    if (extra) {
      let at = 46 + name.length;
      record.writeUInt16LE(0x0001, at);
      record.writeUInt16LE(extra, at + 2);
      at += 4;
      if (sizes64) {
        writeU64(record, size, at);
        writeU64(record, size, at + 8);
        at += 16;
      }
      if (offset64) writeU64(record, start, at);
    }
    addCentral(record);
    count++;
  }

  // The central directory, then its end records (ZIP64 ones first where a field overflows).
  if (gatheredBytes) yield takeGathered();
  if (blockUsed) central.push(block.subarray(0, blockUsed));
  const centralStart = offset;
  for (const b of central) {
    offset += b.length;
    yield b;
  }
  const zip64 = count >= U16_MAX || centralStart >= U32_MAX || centralBytes >= U32_MAX;
  const end = Buffer.alloc((zip64 ? 56 + 20 : 0) + 22);
  let at = 0;
  if (zip64) {
    end.writeUInt32LE(0x06064b50, 0); // ZIP64 end of central directory record
    writeU64(end, 44, 4);
    end.writeUInt16LE(VERSION_MADE_BY, 12);
    end.writeUInt16LE(VERSION_NEEDED_ZIP64, 14);
    // this disk, the directory's disk: 0
    writeU64(end, count, 24);
    writeU64(end, count, 32);
    writeU64(end, centralBytes, 40);
    writeU64(end, centralStart, 48);
    end.writeUInt32LE(0x07064b50, 56); // its locator
    end.writeUInt32LE(0, 60);
    writeU64(end, offset, 64); // where the ZIP64 record starts
    end.writeUInt32LE(1, 72); // disks
    at = 76;
  }
  end.writeUInt32LE(0x06054b50, at);
  end.writeUInt16LE(Math.min(count, U16_MAX), at + 8);
  end.writeUInt16LE(Math.min(count, U16_MAX), at + 10);
  end.writeUInt32LE(Math.min(centralBytes, U32_MAX), at + 12);
  end.writeUInt32LE(Math.min(centralStart, U32_MAX), at + 16);
  offset += end.length;
  yield end;
}
