/**
 * WebP as a C2PA asset, for @trustnxt/c2pa-ts (which has no WebP support up to 0.14): our own
 * container code behind the library's `Asset` interface, so the library still builds, hashes,
 * signs and validates the manifest.
 *
 * The manifest store (JUMBF) lives in a top-level RIFF chunk with the FourCC `C2PA`, as the C2PA
 * specification says for RIFF-based formats. It goes at the end of the file, where the WebP
 * container allows unknown chunks (after the image data, and after our `XMP ` chunk), in the
 * extended format (a `VP8X` chunk first, which the XMP mark already requires). The hard binding
 * (`c2pa.hash.data`) excludes the whole chunk, header and pad byte included; the RIFF size in the
 * file header is set before hashing, so it is covered.
 */
import type { Asset } from '@trustnxt/c2pa-ts/asset';

const ascii = (b: Uint8Array, at: number) => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
const u32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
function putU32(b: Uint8Array, at: number, v: number) {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

interface Chunk {
  fourcc: string;
  /** offset of the chunk header */
  offset: number;
  /** payload length (without the pad byte) */
  length: number;
}

export const C2PA_CHUNK = 'C2PA';

export class WebP implements Asset {
  readonly mimeType = 'image/webp';
  private data: Uint8Array;
  private chunks: Chunk[];

  constructor(data: Uint8Array) {
    this.data = data;
    this.chunks = WebP.readChunks(data);
  }

  static canRead(buf: Uint8Array): boolean {
    return buf.length >= 12 && ascii(buf, 0) === 'RIFF' && ascii(buf, 8) === 'WEBP';
  }

  private static readChunks(b: Uint8Array): Chunk[] {
    if (!WebP.canRead(b)) throw new Error('not a WebP file');
    const end = 8 + u32(b, 4);
    if (end > b.length || end < 12) throw new Error('RIFF size does not match the file');
    const chunks: Chunk[] = [];
    let off = 12;
    while (off < end) {
      if (off + 8 > end) throw new Error('truncated chunk header');
      const length = u32(b, off + 4);
      if (off + 8 + length > end) throw new Error(`truncated ${ascii(b, off)} chunk`);
      chunks.push({ fourcc: ascii(b, off), offset: off, length });
      off += 8 + length + (length % 2);
    }
    if (chunks.length === 0) throw new Error('no chunks');
    return chunks;
  }

  getDataLength(): number {
    return this.data.length;
  }

  async getDataRange(start = 0, length?: number): Promise<Uint8Array> {
    return this.data.subarray(start, length === undefined ? undefined : start + length);
  }

  private manifestChunk(): Chunk | undefined {
    return this.chunks.find((c) => c.fourcc === C2PA_CHUNK);
  }

  getManifestJUMBF(): Uint8Array | undefined {
    const c = this.manifestChunk();
    return c ? this.data.subarray(c.offset + 8, c.offset + 8 + c.length) : undefined;
  }

  dumpInfo(): string {
    return ['WebP', ...this.chunks.map((c) => `  ${c.fourcc} @${c.offset} (${c.length} bytes)`)].join('\n');
  }

  /** Removes any C2PA chunk and appends an empty one of `length` bytes; the RIFF size follows. */
  async ensureManifestSpace(length: number): Promise<void> {
    if (this.chunks[0]?.fourcc !== 'VP8X') throw new Error('a C2PA chunk needs the extended WebP format (VP8X)');
    const kept = this.chunks.filter((c) => c.fourcc !== C2PA_CHUNK);
    const pad = length % 2;
    const keptBytes = kept.reduce((n, c) => n + 8 + c.length + (c.length % 2), 0);
    const out = new Uint8Array(12 + keptBytes + 8 + length + pad);
    out.set(this.data.subarray(0, 12), 0);
    let off = 12;
    for (const c of kept) {
      const size = 8 + c.length + (c.length % 2);
      out.set(this.data.subarray(c.offset, c.offset + size), off);
      off += size;
    }
    out.set([0x43, 0x32, 0x50, 0x41], off); // 'C2PA'
    putU32(out, off + 4, length);
    putU32(out, 4, out.length - 8);
    this.data = out;
    this.chunks = WebP.readChunks(out);
  }

  getHashExclusionRange(): { start: number; length: number } {
    const c = this.manifestChunk();
    if (!c) throw new Error('no C2PA chunk');
    return { start: c.offset, length: 8 + c.length + (c.length % 2) };
  }

  async writeManifestJUMBF(jumbf: Uint8Array): Promise<void> {
    const c = this.manifestChunk();
    if (!c || c.length !== jumbf.length) throw new Error('the C2PA chunk does not have room for this manifest (call ensureManifestSpace first)');
    this.data.set(jumbf, c.offset + 8);
  }
}
