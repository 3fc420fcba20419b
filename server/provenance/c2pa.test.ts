import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { readContentCredentials, testSigningCredentials } from '../testing/c2pa.js';
import { startExifReader } from '../testing/exiftool.js';
import { ALGORITHMIC_MEDIA, markFor, markOutput, TRAINED_ALGORITHMIC_MEDIA } from './index.js';

/**
 * The signed C2PA manifest in PNG and JPEG outputs, read back and validated with c2pa-ts's own
 * reader (not our writer's code), and its contents read a second time by ExifTool's JUMBF/CBOR reader.
 */
const exif = startExifReader();
afterAll(() => exif.close());

const when = new Date('2026-12-03T10:20:30.000Z');
const mark = markFor({ provider: 'fal', modelLabel: 'FLUX.2 [klein] 4B', createdAt: when });
const image = (channels: 3 | 4 = 3) =>
  sharp({ create: { width: 48, height: 32, channels, background: channels === 4 ? { r: 200, g: 30, b: 90, alpha: 0.5 } : { r: 20, g: 120, b: 200 } } }).composite([
    { input: Buffer.from('<svg width="20" height="12"><rect width="20" height="12" fill="yellow"/></svg>'), left: 5, top: 6 },
  ]);
const sign = async (data: Buffer, mime: string, m = mark) => (await markOutput({ data, mime, width: 48, height: 32 }, m, await testSigningCredentials())).data;

const cases = [
  { name: 'PNG', mime: 'image/png', ext: 'png', make: () => image().png().toBuffer() },
  { name: 'PNG with alpha', mime: 'image/png', ext: 'png', make: () => image(4).png().toBuffer() },
  { name: 'JPEG (JFIF)', mime: 'image/jpeg', ext: 'jpg', make: () => image().jpeg({ quality: 85 }).toBuffer() },
  { name: 'JPEG (Exif)', mime: 'image/jpeg', ext: 'jpg', make: () => image().withMetadata({ orientation: 1 }).jpeg({ quality: 85 }).toBuffer() },
  // WebP: the RIFF `C2PA` chunk is our container code (riff.ts); what reads it back here is the library's manifest reader and ExifTool.
  { name: 'WebP (lossy)', mime: 'image/webp', ext: 'webp', make: () => image().webp({ quality: 85 }).toBuffer() },
  { name: 'WebP (lossless, alpha)', mime: 'image/webp', ext: 'webp', make: () => image(4).webp({ lossless: true }).toBuffer() },
  { name: 'WebP (animated, as short videos without ffmpeg)', mime: 'image/webp', ext: 'webp', make: () => animatedWebp() },
];

/** Three frames, as the built-in video renderer writes them when there is no ffmpeg. */
async function animatedWebp(): Promise<Buffer> {
  const frames = await Promise.all([0, 1, 2].map((i) => sharp({ create: { width: 48, height: 32, channels: 3, background: { r: 40 * i, g: 100, b: 200 - 40 * i } } }).raw().toBuffer()));
  return sharp(Buffer.concat(frames), { raw: { width: 48, height: 32 * 3, channels: 3 } }).webp({ pageHeight: 32, loop: 0, delay: [100, 100, 100] } as never).toBuffer();
}

/** Offset of the image data proper: PNG's first IDAT payload, JPEG's first scan (after SOS). */
function pixelDataOffset(data: Buffer, mime: string): number {
  if (mime === 'image/png') return data.indexOf(Buffer.from('IDAT')) + 8;
  if (mime === 'image/webp') return Math.max(data.indexOf(Buffer.from('VP8 ')), data.indexOf(Buffer.from('VP8L'))) + 8 + 10;
  return data.indexOf(Buffer.from([0xff, 0xda])) + 20;
}

describe('signed C2PA manifest', () => {
  for (const c of cases) {
    it(`${c.name}: the library's validator accepts the signature and the hard binding; the created action names the model, the source type and the time`, async () => {
      const original = await c.make();
      const signed = await sign(original, c.mime);
      const read = await readContentCredentials(signed, c.mime);
      expect(read).not.toBeNull();
      expect(read!.valid).toBe(true);
      expect(read!.codes).toEqual(expect.arrayContaining(['claimSignature.validated', 'assertion.dataHash.match']));
      expect(read!.codes.filter((code) => code.startsWith('!'))).toEqual([]);
      expect(read!.manifestCount).toBe(1);
      expect(read!.claim.generator).toBe('Flux Klein');
      expect(read!.assertionLabels).toEqual(['c2pa.actions.v2', 'c2pa.hash.data']);
      expect(read!.actions).toEqual([
        { action: 'c2pa.created', digitalSourceType: TRAINED_ALGORITHMIC_MEDIA, softwareAgent: { name: 'FLUX.2 [klein] 4B (fal)' }, when },
      ]);
      expect(read!.signer).toBe('CN=Flux Klein development signer (not trusted), O=Flux Klein');

      // A second reader we did not write: ExifTool decodes the same manifest's CBOR, and still reads the XMP beside it.
      const { tags, warnings } = await exif.read(signed, c.ext);
      expect(warnings).toBe('');
      const action = tags['CBOR:Actions'] as { action: string; digitalSourceType: string; softwareAgent: { name: string }; when: { rawValue: string } };
      expect(action).toMatchObject({ action: 'c2pa.created', digitalSourceType: TRAINED_ALGORITHMIC_MEDIA, softwareAgent: { name: 'FLUX.2 [klein] 4B (fal)' } });
      expect(action.when.rawValue).toBe('2026:12:03 10:20:30Z');
      expect(tags['CBOR:Claim_generator_info']).toEqual({ name: 'Flux Klein' });
      expect(tags['XMP-iptcExt:DigitalSourceType']).toBe(TRAINED_ALGORITHMIC_MEDIA);
      expect(tags['XMP-iptcExt:AISystemUsed']).toBe('FLUX.2 [klein] 4B (fal)');

      // The pixels are the model's, unchanged.
      const [a, b] = await Promise.all([original, signed].map((d) => sharp(d).raw().toBuffer()));
      expect(b!.equals(a!)).toBe(true);
    });

    it(`${c.name}: changing one byte of the image, of the XMP mark, or of the manifest makes validation fail`, async () => {
      const signed = await sign(await c.make(), c.mime);
      const flip = (at: number) => {
        const copy = Buffer.from(signed);
        copy[at] = copy[at]! ^ 0x01;
        return copy;
      };
      // a pixel byte: the hard binding no longer matches
      const pixels = await readContentCredentials(flip(pixelDataOffset(signed, c.mime) + 3), c.mime);
      expect(pixels?.valid).toBe(false);
      expect(pixels?.codes).toContain('!assertion.dataHash.mismatch');
      // the XMP mark (trainedAlgorithmicMedia → trainedAlgorithmicMediA): covered by the binding too
      const xmp = signed.indexOf(Buffer.from('trainedAlgorithmicMedia"'));
      expect(xmp).toBeGreaterThan(0);
      const edited = await readContentCredentials(flip(xmp + 'trainedAlgorithmicMedi'.length), c.mime);
      expect(edited?.valid).toBe(false);
      expect(edited?.codes).toContain('!assertion.dataHash.mismatch');
      // the software agent inside the manifest: the claim's hash of the assertion no longer matches
      const agent = signed.indexOf(Buffer.from('FLUX.2 [klein] 4B (fal)'), signed.indexOf(Buffer.from('c2pa.actions.v2')));
      expect(agent).toBeGreaterThan(0);
      const forged = await readContentCredentials(flip(agent), c.mime);
      expect(forged?.valid).toBe(false);
      expect(forged?.codes).toContain('!assertion.hashedURI.mismatch');
      // the signature itself
      const sigBytes = (await readContentCredentials(signed, c.mime))!.signatureBytes!;
      expect(sigBytes.length).toBe(64); // ES256 as r‖s (COSE), not DER
      const badSignature = await readContentCredentials(flip(signed.indexOf(Buffer.from(sigBytes)) + 10), c.mime);
      expect(badSignature?.valid).toBe(false);
      expect(badSignature?.codes).toContain('!claimSignature.mismatch');
    });
  }

  it('says algorithmicMedia for the built-in preview renderer, as its XMP does', async () => {
    const local = markFor({ provider: 'local', modelLabel: 'FLUX.2 [klein] 4B', createdAt: when });
    const signed = await sign(await image().png().toBuffer(), 'image/png', local);
    const read = await readContentCredentials(signed, 'image/png');
    expect(read?.valid).toBe(true);
    expect(read?.actions[0]).toMatchObject({ action: 'c2pa.created', digitalSourceType: ALGORITHMIC_MEDIA, softwareAgent: { name: 'Flux Klein built-in preview renderer' } });
    const { tags } = await exif.read(signed, 'png');
    expect(tags['XMP-iptcExt:DigitalSourceType']).toBe(ALGORITHMIC_MEDIA);
  });

  it('replaces a manifest already in the file (a provider’s, whose binding our XMP edit breaks): one manifest, ours, valid', async () => {
    const theirs = await sign(await image().jpeg().toBuffer(), 'image/jpeg', markFor({ provider: 'bfl', modelLabel: 'Some other model', createdAt: new Date('2025-01-01T00:00:00Z') }));
    const ours = await sign(theirs, 'image/jpeg');
    const read = await readContentCredentials(ours, 'image/jpeg');
    expect(read?.valid).toBe(true);
    expect(read?.manifestCount).toBe(1);
    expect(read?.actions).toEqual([expect.objectContaining({ softwareAgent: { name: 'FLUX.2 [klein] 4B (fal)' }, when })]);
    expect(ours.includes(Buffer.from('Some other model'))).toBe(false);
  });

  it('WebP: the manifest is one RIFF `C2PA` chunk at the end, the RIFF size covers it, and decoders still read the file', async () => {
    const marked = await sign(await image().webp().toBuffer(), 'image/webp');
    expect(marked.toString('latin1', 0, 4)).toBe('RIFF');
    expect(marked.readUInt32LE(4)).toBe(marked.length - 8);
    const chunks: string[] = [];
    for (let off = 12; off < marked.length; ) {
      const len = marked.readUInt32LE(off + 4);
      chunks.push(marked.toString('latin1', off, off + 4));
      off += 8 + len + (len % 2);
    }
    expect(chunks[0]).toBe('VP8X');
    expect(chunks.at(-1)).toBe('C2PA');
    expect(chunks.filter((c) => c === 'C2PA')).toHaveLength(1);
    expect(await sharp(marked).metadata()).toMatchObject({ format: 'webp', width: 48, height: 32 });
    // Signing again (a re-run of the job) replaces the chunk: still one, still valid.
    const again = await sign(marked, 'image/webp');
    expect((await readContentCredentials(again, 'image/webp'))?.manifestCount).toBe(1);
    expect((await readContentCredentials(again, 'image/webp'))?.valid).toBe(true);
  });

  describe('MP4 (our box code around c2pa-ts 0.9.4’s BMFF hash)', () => {
    const box = (type: string, ...parts: Buffer[]) => {
      const body = Buffer.concat(parts);
      const h = Buffer.alloc(8);
      h.writeUInt32BE(8 + body.length);
      h.write(type, 4, 'latin1');
      return Buffer.concat([h, body]);
    };
    const u32 = (...v: number[]) => Buffer.concat(v.map((x) => Buffer.from([x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255])));
    const u64 = (...v: number[]) => Buffer.concat(v.map((x) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(x)); return b; }));
    const FRAMES = ['frame-one:', 'frame-two:', 'frame-three'];
    /** An MP4's structure as encoders write it: ftyp, then mdat and moov in either order, one track whose chunk offsets point into mdat. */
    function mp4(opts: { moovFirst?: boolean; wide?: boolean }): Buffer {
      const ftyp = box('ftyp', Buffer.from('isom'), u32(0x200), Buffer.from('isomiso2avc1mp41'));
      const payload = Buffer.from(FRAMES.join(''));
      const table = (mdatAt: number) => {
        const offsets = FRAMES.map((_, i) => mdatAt + 8 + FRAMES.slice(0, i).join('').length);
        return opts.wide ? box('co64', u32(0, offsets.length), u64(...offsets)) : box('stco', u32(0, offsets.length), u32(...offsets));
      };
      const moovFor = (mdatAt: number) => box('moov', box('mvhd', Buffer.alloc(100)), box('trak', box('mdia', box('minf', box('stbl', table(mdatAt))))));
      if (!opts.moovFirst) return Buffer.concat([ftyp, box('mdat', payload), moovFor(ftyp.length)]);
      const moovSize = moovFor(0).length;
      return Buffer.concat([ftyp, moovFor(ftyp.length + moovSize), box('mdat', payload)]);
    }
    /** The frames as a player finds them: through the chunk offset table. */
    function framesOf(file: Buffer): string[] {
      const wide = file.indexOf(Buffer.from('co64')) > 0;
      const at = file.indexOf(Buffer.from(wide ? 'co64' : 'stco')) + 4;
      const count = file.readUInt32BE(at + 4);
      return Array.from({ length: count }, (_, i) => {
        const off = wide ? Number(file.readBigUInt64BE(at + 8 + i * 8)) : file.readUInt32BE(at + 8 + i * 4);
        return file.toString('latin1', off, off + FRAMES[i]!.length);
      });
    }
    const video = markFor({ provider: 'fal', modelLabel: 'Kling 2.5 Turbo (video)', createdAt: when });

    /**
     * A fragmented MP4 as a streaming encoder writes it: ftyp, moov (mvex, no samples), then per
     * fragment a moof whose track fragment header gives the absolute offset of its media
     * (base-data-offset-present), the mdat, and at the end an mfra whose tfra gives each moof's
     * absolute offset (for seeking).
     */
    function fragmentedMp4(): Buffer {
      const ftyp = box('ftyp', Buffer.from('iso6'), u32(0), Buffer.from('iso6mp41dash'));
      const moov = box('moov', box('mvhd', Buffer.alloc(100)), box('trak', box('mdia', box('minf', box('stbl', box('stco', u32(0, 0)))))), box('mvex', box('trex', u32(0, 1, 1, 0, 0, 0))));
      const fragments: Buffer[] = [];
      const moofAt: number[] = [];
      let at = ftyp.length + moov.length;
      for (const frame of FRAMES) {
        const moofFor = (base: number) =>
          box('moof', box('mfhd', u32(0, fragments.length / 2 + 1)), box('traf', box('tfhd', u32(0x000001, 1), u64(base)), box('trun', u32(0x000201, 1), u32(frame.length))));
        const moofSize = moofFor(0).length;
        moofAt.push(at);
        const moof = moofFor(at + moofSize + 8);
        const mdat = box('mdat', Buffer.from(frame));
        fragments.push(moof, mdat);
        at += moof.length + mdat.length;
      }
      const tfra = box('tfra', u32(0x01000000, 1, 0, moofAt.length), ...moofAt.flatMap((o, i) => [u64(i * 1000, o), Buffer.from([1, 1, 1])]));
      const mfra = box('mfra', tfra, box('mfro', u32(0, 16 + tfra.length + 8)));
      return Buffer.concat([ftyp, moov, ...fragments, mfra]);
    }
    /** A fragmented file's frames as a player finds them: each tfhd's base offset (and its trun's sample size), and each moof through the mfra index. */
    function fragmentsOf(file: Buffer): { frames: string[]; indexed: string[] } {
      const frames: string[] = [];
      for (let at = file.indexOf('tfhd'); at > 0; at = file.indexOf('tfhd', at + 4)) {
        const base = Number(file.readBigUInt64BE(at + 12));
        const trun = file.indexOf('trun', at);
        frames.push(file.toString('latin1', base, base + file.readUInt32BE(trun + 12)));
      }
      const tfra = file.lastIndexOf('tfra');
      const indexed = Array.from({ length: file.readUInt32BE(tfra + 16) }, (_, i) => file.toString('latin1', Number(file.readBigUInt64BE(tfra + 20 + i * 19 + 8)) + 4, Number(file.readBigUInt64BE(tfra + 20 + i * 19 + 8)) + 8));
      return { frames, indexed };
    }

    it('fragmented MP4: every fragment’s absolute media offset (tfhd) and the seek index (tfra) move with the boxes, and the manifest is valid', async () => {
      const original = fragmentedMp4();
      expect(fragmentsOf(original)).toEqual({ frames: FRAMES, indexed: ['moof', 'moof', 'moof'] });
      const signed = await sign(original, 'video/mp4', video);
      expect(signed.toString('latin1', signed.readUInt32BE(0) + 4, signed.readUInt32BE(0) + 8)).toBe('uuid'); // right after ftyp
      expect(fragmentsOf(signed)).toEqual({ frames: FRAMES, indexed: ['moof', 'moof', 'moof'] });
      const read = await readContentCredentials(signed, 'video/mp4');
      expect(read?.valid).toBe(true);
      expect(read?.codes).toEqual(expect.arrayContaining(['claimSignature.validated', 'assertion.bmffHash.match']));
      const { tags } = await exif.read(signed, 'mp4');
      expect(tags['XMP-iptcExt:DigitalSourceType']).toBe(TRAINED_ALGORITHMIC_MEDIA);
      const again = await sign(signed, 'video/mp4', video);
      expect(fragmentsOf(again)).toEqual({ frames: FRAMES, indexed: ['moof', 'moof', 'moof'] });
      expect(await readContentCredentials(again, 'video/mp4')).toMatchObject({ valid: true, manifestCount: 1 });
    });

    for (const variant of [{ name: 'mdat before moov, stco', opts: {} }, { name: 'moov first (faststart), stco', opts: { moovFirst: true } }, { name: 'co64', opts: { wide: true } }]) {
      it(`${variant.name}: a valid manifest in a C2PA uuid box after ftyp, the chunk offsets moved with the media, ExifTool reads both marks`, async () => {
        const original = mp4(variant.opts);
        expect(framesOf(original)).toEqual(FRAMES);
        const signed = await sign(original, 'video/mp4', video);
        expect(signed.toString('latin1', 4, 8)).toBe('ftyp');
        expect(signed.toString('latin1', 36, 40)).toBe('uuid'); // right after the 32-byte ftyp
        expect(framesOf(signed)).toEqual(FRAMES); // a player still finds every frame
        const read = await readContentCredentials(signed, 'video/mp4');
        expect(read?.valid).toBe(true);
        expect(read?.codes).toEqual(expect.arrayContaining(['claimSignature.validated', 'assertion.bmffHash.match']));
        expect(read?.assertionLabels).toEqual(['c2pa.actions.v2', 'c2pa.hash.bmff.v2']);
        expect(read?.actions).toEqual([{ action: 'c2pa.created', digitalSourceType: TRAINED_ALGORITHMIC_MEDIA, softwareAgent: { name: 'Kling 2.5 Turbo (fal)' }, when }]);
        const { tags } = await exif.read(signed, 'mp4');
        expect(tags['XMP-iptcExt:DigitalSourceType']).toBe(TRAINED_ALGORITHMIC_MEDIA);
        expect(tags['CBOR:Actions']).toMatchObject({ action: 'c2pa.created', softwareAgent: { name: 'Kling 2.5 Turbo (fal)' } });

        // One byte of a frame, or of the XMP box, breaks the binding; re-signing keeps one valid manifest and the offsets right.
        const flip = (at: number) => {
          const copy = Buffer.from(signed);
          copy[at] = copy[at]! ^ 1;
          return copy;
        };
        expect((await readContentCredentials(flip(signed.indexOf(Buffer.from('frame-two')) + 2), 'video/mp4'))?.codes).toContain('!assertion.bmffHash.mismatch');
        expect((await readContentCredentials(flip(signed.indexOf(Buffer.from('trainedAlgorithmicMedia"')) + 3), 'video/mp4'))?.codes).toContain('!assertion.bmffHash.mismatch');
        const again = await sign(signed, 'video/mp4', video);
        expect(framesOf(again)).toEqual(FRAMES);
        expect(await readContentCredentials(again, 'video/mp4')).toMatchObject({ valid: true, manifestCount: 1 });
      });
    }
  });
});

