/**
 * MP4 chunk offsets: each track's `stco` / `co64` table (in moov/trak/mdia/minf/stbl) holds absolute
 * file offsets of its media chunks, so any change that moves a box (the C2PA box inserted after
 * `ftyp`, an old XMP box removed before `mdat`) must move the offsets that point into it. Used by
 * the XMP writer (xmp.ts) and the C2PA asset (bmff.ts).
 */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'edts', 'mvex']);

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

/** A top-level box that was at [start, end) in the old file and starts at `to` in the new one. */
export interface MovedBox {
  start: number;
  end: number;
  to: number;
}

/**
 * Rewrites, in place in the new file `data`, every chunk offset that pointed into one of `boxes`
 * so that it points to the same byte where that box now is. Throws when an offset points into no
 * box (the file is malformed) or no longer fits a 32-bit table.
 */
export function moveChunkOffsets(data: Uint8Array, boxes: MovedBox[]): void {
  if (boxes.every((b) => b.to === b.start)) return;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const moved = (v: number) => {
    const home = boxes.find((b) => v >= b.start && v < b.end);
    if (!home) throw new Error('a chunk offset points outside the file');
    return v + (home.to - home.start);
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
