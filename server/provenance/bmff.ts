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
import { moveChunkOffsets } from './mp4-boxes.js';

const MP4_BRANDS = ['isom', 'iso2', 'iso4', 'iso5', 'iso6', 'mp41', 'mp42', 'avc1', 'M4V ', 'dash'];
const brands = (BMFF as unknown as { canReadBrands: Set<string> }).canReadBrands;
for (const b of MP4_BRANDS) brands.add(b);

const C2PA_USER_TYPE = Uint8Array.from((BMFF as unknown as { c2paBoxUserType: number[] }).c2paBoxUserType);

interface TopBox {
  offset: number;
  size: number;
  type: string;
  userType?: Uint8Array;
  childBoxes: unknown[];
}

const isC2paBox = (b: TopBox, data: Uint8Array) =>
  b.type === 'uuid' && data.length >= b.offset + 24 && C2PA_USER_TYPE.every((v, i) => data[b.offset + 8 + i] === v);

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
    moveChunkOffsets(
      this.data,
      before.map((b) => ({ start: b.start, end: b.end, to: b.box.offset })),
    );
  }
}
