/**
 * Machine-readable AI marking in a file's own metadata: an XMP packet with the IPTC
 * `DigitalSourceType` (what made the media) and the AI system used, put into PNG, JPEG, WebP and
 * MP4 files without decoding or re-encoding their pixels (the image data stays byte for byte as the
 * provider made it). Each writer replaces an XMP packet already there, so the mark is ours alone.
 *
 * Containers, from their specifications:
 * - PNG: an `iTXt` chunk with the keyword `XML:com.adobe.xmp`, after IHDR (XMP spec part 3, 1.1.5).
 * - JPEG: an APP1 segment starting `http://ns.adobe.com/xap/1.0/\0`, after JFIF/Exif (part 3, 1.1.3).
 * - WebP: an `XMP ` chunk after the image data, announced by the XMP flag of a VP8X chunk (Google's
 *   "Extended File Format"); a simple (VP8/VP8L-only) file gets a VP8X chunk first.
 * - MP4: a top-level `uuid` box BE7ACFCB-97A9-42E8-9C71-999491E3AFAC (part 3, 1.2.7), appended at the
 *   end so no box moves for it; removing an old one moves the boxes after it, and the chunk offsets
 *   pointing into them are moved too (mp4-boxes.ts).
 */
import { moveChunkOffsets, type MovedBox } from './mp4-boxes.js';

/** IPTC NewsCodes: media made by a model trained on sampled content (what the hosted models do). */
export const TRAINED_ALGORITHMIC_MEDIA = 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia';
/** IPTC NewsCodes: media made purely by an algorithm, no training data (the built-in preview renderer). */
export const ALGORITHMIC_MEDIA = 'http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia';

export interface XmpMark {
  digitalSourceType: string;
  /** the product that made the file, e.g. "Flux Klein" */
  creatorTool: string;
  /** the AI system (model, and where it ran), e.g. "FLUX.2 [klein] 4B (fal)" */
  aiSystem: string;
  createdAt: Date;
  /** a short human-readable line, e.g. "Made with AI (FLUX.2 [klein] 4B) in Flux Klein" */
  credit: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The XMP packet (UTF-8) carrying the mark. Nothing personal: no prompt, no name, no workspace. */
export function xmpPacket(m: XmpMark): Buffer {
  const when = m.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const xml = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    Iptc4xmpExt:DigitalSourceType="${esc(m.digitalSourceType)}"
    Iptc4xmpExt:AISystemUsed="${esc(m.aiSystem)}"
    xmp:CreatorTool="${esc(m.creatorTool)}"
    xmp:CreateDate="${when}"
    photoshop:Credit="${esc(m.credit)}"/>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>`;
  return Buffer.from(xml, 'utf8');
}

export class UnmarkableFile extends Error {}

/** Puts the packet into the file; throws UnmarkableFile when the bytes are not a well-formed file of that type. */
export function embedXmp(data: Buffer, mime: string, packet: Buffer): Buffer {
  switch (mime) {
    case 'image/png':
      return pngWithXmp(data, packet);
    case 'image/jpeg':
      return jpegWithXmp(data, packet);
    case 'image/webp':
      return webpWithXmp(data, packet);
    case 'video/mp4':
      return mp4WithXmp(data, packet);
    default:
      throw new UnmarkableFile(`No XMP writer for ${mime}`);
  }
}

// ---- PNG ----

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const XMP_KEYWORD = Buffer.from('XML:com.adobe.xmp\0', 'latin1');

function pngChunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

function pngWithXmp(data: Buffer, packet: Buffer): Buffer {
  if (data.length < 8 + 25 || !data.subarray(0, 8).equals(PNG_SIGNATURE)) throw new UnmarkableFile('Not a PNG file');
  const parts: Buffer[] = [PNG_SIGNATURE];
  let off = 8;
  let inserted = false;
  let ended = false;
  while (off + 12 <= data.length) {
    const len = data.readUInt32BE(off);
    const type = data.toString('latin1', off + 4, off + 8);
    const end = off + 12 + len;
    if (end > data.length) throw new UnmarkableFile('Truncated PNG chunk');
    const chunk = data.subarray(off, end);
    // libvips and others also write XMP as tEXt or zTXt under the same keyword
    const isXmp = (type === 'iTXt' || type === 'tEXt' || type === 'zTXt') && data.subarray(off + 8, off + 8 + XMP_KEYWORD.length).equals(XMP_KEYWORD);
    if (!isXmp) parts.push(chunk);
    if (type === 'IHDR' && !inserted) {
      // keyword, compression flag 0, method 0, empty language tag, empty translated keyword, text
      parts.push(pngChunk('iTXt', Buffer.concat([XMP_KEYWORD, Buffer.from([0, 0, 0, 0]), packet])));
      inserted = true;
    }
    off = end;
    if (type === 'IEND') {
      ended = true;
      break;
    }
  }
  if (!inserted || !ended) throw new UnmarkableFile('Truncated PNG file');
  return Buffer.concat(parts);
}

// ---- JPEG ----

const JPEG_XMP_ID = Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1');

function jpegWithXmp(data: Buffer, packet: Buffer): Buffer {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) throw new UnmarkableFile('Not a JPEG file');
  const body = Buffer.concat([JPEG_XMP_ID, packet]);
  if (body.length + 2 > 0xffff) throw new UnmarkableFile('XMP packet too large for one JPEG segment');
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xffe1, 0);
  segment.writeUInt16BE(body.length + 2, 2);
  // Walk the leading APPn segments: keep JFIF (APP0) and Exif first, drop an XMP packet already
  // there, and put ours after them.
  const kept: Buffer[] = [];
  let off = 2;
  while (off + 4 <= data.length && data[off] === 0xff && data[off + 1]! >= 0xe0 && data[off + 1]! <= 0xef) {
    const len = data.readUInt16BE(off + 2);
    const end = off + 2 + len;
    if (len < 2 || end > data.length) throw new UnmarkableFile('Truncated JPEG segment');
    const isXmp = data[off + 1] === 0xe1 && data.subarray(off + 4, off + 4 + JPEG_XMP_ID.length).equals(JPEG_XMP_ID);
    if (!isXmp) kept.push(data.subarray(off, end));
    off = end;
  }
  return Buffer.concat([data.subarray(0, 2), ...kept, segment, body, data.subarray(off)]);
}

// ---- WebP ----

function riffChunk(fourcc: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(fourcc, 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat(body.length % 2 ? [head, body, Buffer.from([0])] : [head, body]);
}

/** Canvas size and alpha of a simple WebP, from its VP8 or VP8L bitstream header. */
function simpleWebpInfo(fourcc: string, body: Buffer): { width: number; height: number; alpha: boolean } {
  if (fourcc === 'VP8 ' && body.length >= 10 && body[3] === 0x9d && body[4] === 0x01 && body[5] === 0x2a) {
    return { width: body.readUInt16LE(6) & 0x3fff, height: body.readUInt16LE(8) & 0x3fff, alpha: false };
  }
  if (fourcc === 'VP8L' && body.length >= 5 && body[0] === 0x2f) {
    const bits = body.readUInt32LE(1);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, alpha: ((bits >>> 28) & 1) === 1 };
  }
  throw new UnmarkableFile('Unknown WebP bitstream');
}

function webpWithXmp(data: Buffer, packet: Buffer): Buffer {
  if (data.length < 20 || data.toString('latin1', 0, 4) !== 'RIFF' || data.toString('latin1', 8, 12) !== 'WEBP') throw new UnmarkableFile('Not a WebP file');
  const chunks: { fourcc: string; body: Buffer }[] = [];
  const end = Math.min(data.length, 8 + data.readUInt32LE(4));
  let off = 12;
  while (off + 8 <= end) {
    const fourcc = data.toString('latin1', off, off + 4);
    const len = data.readUInt32LE(off + 4);
    if (off + 8 + len > end) throw new UnmarkableFile('Truncated WebP chunk');
    chunks.push({ fourcc, body: data.subarray(off + 8, off + 8 + len) });
    off += 8 + len + (len % 2);
  }
  if (chunks.length === 0) throw new UnmarkableFile('Empty WebP file');
  const rest = chunks.filter((c) => c.fourcc !== 'XMP ');
  let vp8x: Buffer;
  if (rest[0]!.fourcc === 'VP8X') {
    vp8x = Buffer.from(rest.shift()!.body);
  } else {
    const info = simpleWebpInfo(rest[0]!.fourcc, rest[0]!.body);
    vp8x = Buffer.alloc(10);
    vp8x[0] = info.alpha ? 0x10 : 0;
    vp8x.writeUIntLE(info.width - 1, 4, 3);
    vp8x.writeUIntLE(info.height - 1, 7, 3);
  }
  vp8x[0] = vp8x[0]! | 0x04; // XMP metadata present
  const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), riffChunk('VP8X', vp8x), ...rest.map((c) => riffChunk(c.fourcc, c.body)), riffChunk('XMP ', packet)]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

// ---- MP4 ----

const MP4_XMP_UUID = Buffer.from('be7acfcb97a942e89c71999491e3afac', 'hex');

function mp4WithXmp(data: Buffer, packet: Buffer): Buffer {
  if (data.length < 8 || data.toString('latin1', 4, 8) !== 'ftyp') throw new UnmarkableFile('Not an MP4 file');
  // Keep every top-level box but an XMP uuid box already there; ours goes at the end. A box after
  // a removed one moves up, and the chunk offsets pointing into it move with it.
  const kept: Buffer[] = [];
  const boxes: MovedBox[] = [];
  let to = 0;
  let off = 0;
  while (off + 8 <= data.length) {
    let size = data.readUInt32BE(off);
    let header = 8;
    if (size === 1) {
      if (off + 16 > data.length) throw new UnmarkableFile('Truncated MP4 box');
      size = Number(data.readBigUInt64BE(off + 8));
      header = 16;
    } else if (size === 0) {
      size = data.length - off;
    }
    if (size < header || off + size > data.length) throw new UnmarkableFile('Truncated MP4 box');
    const isXmp = data.toString('latin1', off + 4, off + 8) === 'uuid' && data.subarray(off + header, off + header + 16).equals(MP4_XMP_UUID);
    if (isXmp) {
      // dropped: ours replaces it
    } else if (data.readUInt32BE(off) === 0) {
      // "to the end of the file": give it its size, or it would swallow the box appended after it
      if (size > 0xffffffff) throw new UnmarkableFile('MP4 box too large');
      const box = Buffer.from(data.subarray(off, off + size));
      box.writeUInt32BE(size, 0);
      kept.push(box);
    } else {
      kept.push(data.subarray(off, off + size));
    }
    if (!isXmp) {
      boxes.push({ start: off, end: off + size, to });
      to += size;
    }
    off += size;
  }
  const box = Buffer.alloc(8);
  box.writeUInt32BE(8 + 16 + packet.length, 0);
  box.write('uuid', 4, 'latin1');
  const out = Buffer.concat([...kept, box, MP4_XMP_UUID, packet]);
  try {
    moveChunkOffsets(out, boxes);
  } catch (err) {
    throw new UnmarkableFile(`MP4 chunk offsets: ${(err as Error).message}`);
  }
  return out;
}
