import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { testSigningCredentials } from '../testing/c2pa.js';
import { startExifReader } from '../testing/exiftool.js';
import type { ProviderOutput } from '../providers/types.js';
import { embedXmp } from './xmp.js';
import { ALGORITHMIC_MEDIA, markFor, markOutput as markWith, TRAINED_ALGORITHMIC_MEDIA, UnmarkableFile, type XmpMark } from './index.js';

/** The marks are read back by ExifTool (exiftool-vendored), a reader we did not write. */
const exif = startExifReader();
afterAll(() => exif.close());
const readBack = (data: Buffer, ext: string) => exif.read(data, ext);
// PNG and JPEG also get a signed C2PA manifest (c2pa.test.ts); the XMP must read the same beside it.
const markOutput = async (out: ProviderOutput, m: XmpMark) => markWith(out, m, await testSigningCredentials());

const when = new Date('2026-12-03T10:20:30.000Z');
const mark = markFor({ provider: 'fal', modelLabel: 'FLUX.2 [klein] 4B', createdAt: when });

const picture = (channels: 3 | 4 = 3) =>
  sharp({ create: { width: 40, height: 24, channels, background: channels === 4 ? { r: 200, g: 30, b: 90, alpha: 0.5 } : { r: 20, g: 120, b: 200 } } }).composite([
    { input: Buffer.from('<svg width="20" height="12"><rect width="20" height="12" fill="yellow"/></svg>'), left: 5, top: 6 },
  ]);

/** A small but well-formed MP4: ftyp, a movie header, and media data (enough for a container reader). */
function tinyMp4(): Buffer {
  const box = (type: string, body: Buffer) => {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(8 + body.length, 0);
    h.write(type, 4, 'latin1');
    return Buffer.concat([h, body]);
  };
  const mvhd = Buffer.alloc(100);
  mvhd.writeUInt32BE(1000, 12); // timescale
  mvhd.writeUInt32BE(2000, 16); // duration: 2 s
  mvhd.writeUInt32BE(0x00010000, 20); // rate 1.0
  mvhd.writeUInt16BE(0x0100, 24); // volume 1.0
  return Buffer.concat([box('ftyp', Buffer.concat([Buffer.from('isom'), Buffer.alloc(4), Buffer.from('isomiso2avc1mp41')])), box('moov', box('mvhd', mvhd)), box('mdat', Buffer.alloc(64, 7))]);
}

const cases: { name: string; mime: string; ext: string; make: () => Promise<Buffer> }[] = [
  { name: 'PNG', mime: 'image/png', ext: 'png', make: () => picture().png().toBuffer() },
  { name: 'JPEG (with JFIF and Exif kept first)', mime: 'image/jpeg', ext: 'jpg', make: () => picture().withMetadata({ orientation: 1 }).jpeg({ quality: 80 }).toBuffer() },
  { name: 'WebP, lossy (a simple file: VP8X added)', mime: 'image/webp', ext: 'webp', make: () => picture().webp({ quality: 70 }).toBuffer() },
  { name: 'WebP, lossless with alpha', mime: 'image/webp', ext: 'webp', make: () => picture(4).webp({ lossless: true }).toBuffer() },
  {
    name: 'WebP, animated (already extended)',
    mime: 'image/webp',
    ext: 'webp',
    make: async () => {
      const frames = await Promise.all([0, 1, 2].map((i) => sharp({ create: { width: 16, height: 16, channels: 3, background: { r: i * 80, g: 0, b: 0 } } }).raw().toBuffer()));
      return sharp(Buffer.concat(frames), { raw: { width: 16, height: 48, channels: 3, pageHeight: 16 } }).webp({ loop: 0, delay: [100, 100, 100] }).toBuffer();
    },
  },
  { name: 'MP4', mime: 'video/mp4', ext: 'mp4', make: async () => tinyMp4() },
];

describe('machine-readable AI marking (XMP)', () => {
  for (const c of cases) {
    it(`${c.name}: ExifTool reads DigitalSourceType, the AI system, the tool and the time, and the media is unchanged`, async () => {
      const original = await c.make();
      const marked = (await markOutput({ data: original, mime: c.mime, width: 40, height: 24 }, mark)).data;
      const { tags, warnings } = await readBack(marked, c.ext);
      expect(warnings).toBe('');
      expect(tags['XMP-iptcExt:DigitalSourceType']).toBe(TRAINED_ALGORITHMIC_MEDIA);
      expect(tags['XMP-iptcExt:AISystemUsed']).toBe('FLUX.2 [klein] 4B (fal)');
      expect(tags['XMP-xmp:CreatorTool']).toBe('Flux Klein');
      expect(tags['XMP-photoshop:Credit']).toBe('Made with AI (FLUX.2 [klein] 4B) in Flux Klein');
      expect(String((tags['XMP-xmp:CreateDate'] as { rawValue?: string })?.rawValue ?? tags['XMP-xmp:CreateDate'])).toContain('2026:12:03 10:20:30');
      if (c.mime.startsWith('image/')) {
        const [a, b] = await Promise.all([original, marked].map((d) => sharp(d, { animated: true }).raw().toBuffer({ resolveWithObject: true })));
        expect(b!.info).toMatchObject({ width: a!.info.width, height: a!.info.height, channels: a!.info.channels });
        expect(b!.data.equals(a!.data)).toBe(true);
      } else {
        // Every box of the original is there, in order, unchanged; ours are uuid boxes (the C2PA manifest after ftyp, the XMP at the end).
        const boxes: { type: string; bytes: Buffer }[] = [];
        for (let off = 0; off < marked.length; off += marked.readUInt32BE(off)) boxes.push({ type: marked.toString('latin1', off + 4, off + 8), bytes: marked.subarray(off, off + marked.readUInt32BE(off)) });
        expect(boxes.map((b) => b.type)).toEqual(['ftyp', 'uuid', 'moov', 'mdat', 'uuid']);
        expect(Buffer.concat(boxes.filter((b) => b.type !== 'uuid').map((b) => b.bytes)).equals(original)).toBe(true);
      }
      // Marking twice leaves one packet, not two.
      const twice = (await markOutput({ data: marked, mime: c.mime, width: 40, height: 24 }, mark)).data;
      expect(twice.length).toBe(marked.length);
    });
  }

  it('replaces an XMP packet the provider already wrote, so its claims do not stand beside ours', async () => {
    const theirs = await picture().withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Some Camera"/></rdf:RDF></x:xmpmeta>').png().toBuffer();
    expect((await readBack(theirs, 'png')).tags['XMP-xmp:CreatorTool']).toBe('Some Camera');
    const { tags } = await readBack((await markOutput({ data: theirs, mime: 'image/png', width: 40, height: 24 }, mark)).data, 'png');
    expect(tags['XMP-xmp:CreatorTool']).toBe('Flux Klein');
    expect(tags['XMP-iptcExt:DigitalSourceType']).toBe(TRAINED_ALGORITHMIC_MEDIA);
  });

  it('says algorithmicMedia, not a trained model, for the built-in preview renderer', async () => {
    const local = markFor({ provider: 'local', modelLabel: 'FLUX.2 [klein] 4B', createdAt: when });
    const { tags } = await readBack((await markOutput({ data: await picture().png().toBuffer(), mime: 'image/png', width: 40, height: 24 }, local)).data, 'png');
    expect(tags['XMP-iptcExt:DigitalSourceType']).toBe(ALGORITHMIC_MEDIA);
    expect(tags['XMP-iptcExt:AISystemUsed']).toBe('Flux Klein built-in preview renderer');
  });

  it('refuses files that are not what they claim to be, instead of storing them unmarked', async () => {
    const png = await picture().png().toBuffer();
    for (const [data, mime] of [
      [png, 'image/jpeg'],
      [png.subarray(0, 40), 'image/png'],
      [Buffer.from('RIFF\u0004\u0000\u0000\u0000WEBPVP8 '), 'image/webp'],
      [Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypisom'), Buffer.alloc(200, 1)]), 'video/mp4'],
      [png, 'image/gif'],
    ] as const) {
      await expect(markOutput({ data: Buffer.from(data), mime, width: 1, height: 1 }, mark)).rejects.toThrow(UnmarkableFile);
    }
  });
});

describe('MP4: replacing an XMP box that sits before the media', () => {
  const box = (type: string, body: Buffer) => {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(8 + body.length, 0);
    h.write(type, 4, 'latin1');
    return Buffer.concat([h, body]);
  };
  const MEDIA = Buffer.from('the first video chunk starts here');
  /** ftyp, an old XMP uuid box, moov whose chunk offset table (stco or co64) points at the first byte of mdat's payload, mdat. */
  function faststartMp4(wide: boolean): Buffer {
    const ftyp = box('ftyp', Buffer.concat([Buffer.from('isom'), Buffer.alloc(4), Buffer.from('isomiso2avc1mp41')]));
    const oldXmp = box('uuid', Buffer.concat([Buffer.from('be7acfcb97a942e89c71999491e3afac', 'hex'), Buffer.from('<x:xmpmeta>an old packet from the provider</x:xmpmeta>')]));
    const table = (offset: number) => {
      const body = Buffer.alloc(8 + (wide ? 8 : 4));
      body.writeUInt32BE(1, 4); // one entry
      if (wide) body.writeBigUInt64BE(BigInt(offset), 8);
      else body.writeUInt32BE(offset, 8);
      return box(wide ? 'co64' : 'stco', body);
    };
    const moovWith = (offset: number) => box('moov', box('trak', box('mdia', box('minf', box('stbl', table(offset))))));
    const mdat = box('mdat', Buffer.concat([MEDIA, Buffer.alloc(32, 9)]));
    const offset = ftyp.length + oldXmp.length + moovWith(0).length + 8;
    return Buffer.concat([ftyp, oldXmp, moovWith(offset), mdat]);
  }
  const chunkOffset = (file: Buffer, wide: boolean) => {
    const at = file.indexOf(wide ? 'co64' : 'stco', 0, 'latin1') + 4 + 8;
    return wide ? Number(file.readBigUInt64BE(at)) : file.readUInt32BE(at);
  };

  for (const wide of [false, true]) {
    it(`moves the chunk offsets (${wide ? 'co64' : 'stco'}) with the media, so the video still plays`, () => {
      const original = faststartMp4(wide);
      expect(original.subarray(chunkOffset(original, wide), chunkOffset(original, wide) + MEDIA.length).equals(MEDIA)).toBe(true);
      const marked = embedXmp(original, 'video/mp4', Buffer.from('<x:xmpmeta>ours</x:xmpmeta>'));
      expect(marked.includes('an old packet from the provider')).toBe(false);
      expect(marked.includes('ours')).toBe(true);
      const offset = chunkOffset(marked, wide);
      expect(marked.subarray(offset, offset + MEDIA.length).toString()).toBe(MEDIA.toString());
    });
  }
});
