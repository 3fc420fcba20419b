/**
 * MP4 as a C2PA asset for @trustnxt/c2pa-ts 0.9.4, whose BMFF code reads HEIF brands only and
 * moves no chunk offsets when it inserts its box (MP4 support came in 0.12, not on the registry
 * here). MP4 is the same box structure, so this builds on the library's BMFF class (its
 * `c2pa.hash.bmff` assertion and validator need an instance of it) and adds what MP4 needs:
 *
 * - the MP4 brands are added to the brands the library reads (a static set it checks in its
 *   constructor; the one change made to the library from outside);
 * - the manifest goes where the library puts it, a top-level `uuid` box with the C2PA user type
 *   right after `ftyp`, which moves every later box; each track's chunk offsets (`stco` / `co64`
 *   in moov/trak/mdia/minf/stbl) are moved with the box they point into, before anything is hashed;
 * - `/uuid` in the hash's exclusion list means the C2PA box: the library looks a path up only when
 *   one box matches it, and our XMP mark is another top-level `uuid` box (which stays covered).
 */
import { BMFF } from '@trustnxt/c2pa-ts/asset';

const MP4_BRANDS = ['isom', 'iso2', 'iso4', 'iso5', 'iso6', 'mp41', 'mp42', 'avc1', 'M4V ', 'dash'];
const brands = (BMFF as unknown as { canReadBrands: Set<string> }).canReadBrands;
for (const b of MP4_BRANDS) brands.add(b);

const C2PA_USER_TYPE = Uint8Array.from((BMFF as unknown as { c2paBoxUserType: number[] }).c2paBoxUserType);
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'edts', 'mvex']);

interface TopBox {
  offset: number;
  size: number;
  type: string;
  userType?: Uint8Array;
  childBoxes: unknown[];
}

const isC2paBox = (b: TopBox, data: Uint8Array) =>
  b.type === 'uuid' && data.length >= b.offset + 24 && C2PA_USER_TYPE.every((v, i) => data[b.offset + 8 + i] === v);

/** Every stco / co64 box in the file (offset of its payload and its type), found by walking the containers. */
function chunkOffsetTables(data: Uint8Array): { payload: number; end: number; wide: boolean }[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const found: { payload: number; end: number; wide: boolean }[] = [];
  const walk = (start: number, end: number) => {
    let off = start;
    while (off + 8 <= end) {
      let size = view.getUint32(off);
      let header = 8;
      if (size === 1) {
        size = Number(view.getBigUint64(off + 8));
        header = 16;
      } else if (size === 0) size = end - off;
      if (size < header || off + size > end) throw new Error('malformed MP4 box');
      const type = String.fromCharCode(data[off + 4]!, data[off + 5]!, data[off + 6]!, data[off + 7]!);
      if (CONTAINERS.has(type)) walk(off + header, off + size);
      else if (type === 'stco' || type === 'co64') found.push({ payload: off + header, end: off + size, wide: type === 'co64' });
      off += size;
    }
  };
  walk(0, data.length);
  return found;
}

export class MP4 extends BMFF {
  constructor(data: Uint8Array) {
    super(data);
    Object.defineProperty(this, 'mimeType', { value: 'video/mp4' });
  }

  private top(): TopBox[] {
    return this.getTopLevelBoxes() as unknown as TopBox[];
  }

  override getBoxByPath(xpath: string): ReturnType<BMFF['getBoxByPath']> {
    if (xpath === '/uuid') {
      const data = this.data;
      return this.top().find((b) => isC2paBox(b, data)) as ReturnType<BMFF['getBoxByPath']>;
    }
    return super.getBoxByPath(xpath);
  }

  /** The library's insertion after `ftyp`, then each chunk offset moved with the box it points into. */
  override async ensureManifestSpace(length: number): Promise<void> {
    const before = this.top()
      .filter((b) => !isC2paBox(b, this.data))
      .map((b) => ({ box: b, start: b.offset, end: b.offset + b.size }));
    await super.ensureManifestSpace(length);
    const data = this.data;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const moved = (v: number) => {
      const home = before.find((b) => v >= b.start && v < b.end);
      if (!home) throw new Error('a chunk offset points outside the file');
      return v + (home.box.offset - home.start);
    };
    for (const t of chunkOffsetTables(data)) {
      const count = view.getUint32(t.payload + 4);
      const width = t.wide ? 8 : 4;
      if (t.payload + 8 + count * width > t.end) throw new Error('malformed chunk offset table');
      for (let i = 0; i < count; i++) {
        const at = t.payload + 8 + i * width;
        if (t.wide) view.setBigUint64(at, BigInt(moved(Number(view.getBigUint64(at)))));
        else {
          const v = moved(view.getUint32(at));
          if (v > 0xffffffff) throw new Error('chunk offset no longer fits 32 bits');
          view.setUint32(at, v);
        }
      }
    }
  }
}
