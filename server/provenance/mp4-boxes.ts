/**
 * MP4's absolute file offsets: each track's `stco` / `co64` table (in moov/trak/mdia/minf/stbl)
 * holds the offsets of its media chunks; in a fragmented MP4 a track fragment header (`tfhd` in
 * moof/traf) may give its media's absolute offset (base-data-offset-present), and the seek index
 * (`tfra` in mfra) gives each `moof`'s. Any change that moves a box (the C2PA box inserted after
 * `ftyp`, an old XMP box removed before `mdat`) must move the offsets that point into it. Offsets
 * relative to a box (a `trun`'s data offset, a `tfhd` with default-base-is-moof, `sidx`
 * references) move with it by themselves. Used by the XMP writer (xmp.ts) and the C2PA asset
 * (bmff.ts).
 */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'edts', 'mvex', 'moof', 'traf', 'mfra']);

/** Where an absolute offset is stored, and whether in 64 bits. */
interface OffsetField {
  at: number;
  wide: boolean;
}

/** Every absolute file offset in the file, found by walking the containers. */
function absoluteOffsets(data: Uint8Array): OffsetField[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const found: OffsetField[] = [];
  const need = (ok: boolean) => {
    if (!ok) throw new Error('malformed MP4 offset table');
  };
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
      const payload = off + header;
      const boxEnd = off + size;
      if (CONTAINERS.has(type)) walk(payload, boxEnd);
      else if (type === 'stco' || type === 'co64') {
        need(payload + 8 <= boxEnd);
        const count = view.getUint32(payload + 4);
        const width = type === 'co64' ? 8 : 4;
        need(payload + 8 + count * width <= boxEnd);
        for (let i = 0; i < count; i++) found.push({ at: payload + 8 + i * width, wide: width === 8 });
      } else if (type === 'tfhd') {
        // version and flags, track_ID, then base_data_offset when flag 0x000001 is set.
        need(payload + 8 <= boxEnd);
        if (view.getUint32(payload) & 0x000001) {
          need(payload + 16 <= boxEnd);
          found.push({ at: payload + 8, wide: true });
        }
      } else if (type === 'tfra') {
        // version and flags, track_ID, the sizes of the three numbers after each entry, the count,
        // then per entry: time and moof_offset (64 bits each in version 1, 32 in version 0).
        need(payload + 16 <= boxEnd);
        const wide = data[payload] === 1;
        const sizes = view.getUint32(payload + 8);
        const tail = (((sizes >> 4) & 3) + 1) + (((sizes >> 2) & 3) + 1) + ((sizes & 3) + 1);
        const count = view.getUint32(payload + 12);
        const entry = (wide ? 16 : 8) + tail;
        need(payload + 16 + count * entry <= boxEnd);
        for (let i = 0; i < count; i++) found.push({ at: payload + 16 + i * entry + (wide ? 8 : 4), wide });
      }
      off += size;
    }
  };
  walk(0, data.length);
  return found;
}

/** A top-level box that was at [start, end) in the old file and starts at `to` in the new one. */
export interface MovedBox {
  start: number;
  end: number;
  to: number;
}

/**
 * Rewrites, in place in the new file `data`, every absolute offset that pointed into one of
 * `boxes` so that it points to the same byte where that box now is. Throws when an offset points
 * into no box (the file is malformed) or no longer fits a 32-bit field.
 */
export function moveChunkOffsets(data: Uint8Array, boxes: MovedBox[]): void {
  if (boxes.every((b) => b.to === b.start)) return;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const moved = (v: number) => {
    const home = boxes.find((b) => v >= b.start && v < b.end);
    if (!home) throw new Error('an offset in the MP4 points outside the file');
    return v + (home.to - home.start);
  };
  for (const f of absoluteOffsets(data)) {
    if (f.wide) view.setBigUint64(f.at, BigInt(moved(Number(view.getBigUint64(f.at)))));
    else {
      const v = moved(view.getUint32(f.at));
      if (v > 0xffffffff) throw new Error('an offset in the MP4 no longer fits 32 bits');
      view.setUint32(f.at, v);
    }
  }
}
