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
];

/** Offset of the image data proper: PNG's first IDAT payload, JPEG's first scan (after SOS). */
function pixelDataOffset(data: Buffer, mime: string): number {
  if (mime === 'image/png') return data.indexOf(Buffer.from('IDAT')) + 8;
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

  it('WebP images carry the XMP mark alone: the C2PA library cannot write WebP', async () => {
    const marked = await sign(await image().webp().toBuffer(), 'image/webp');
    const { tags } = await exif.read(marked, 'webp');
    expect(tags['XMP-iptcExt:DigitalSourceType']).toBe(TRAINED_ALGORITHMIC_MEDIA);
    expect(Object.keys(tags).some((k) => k.startsWith('JUMBF:') || k.startsWith('CBOR:'))).toBe(false);
  });
});
