import { createHash } from 'node:crypto';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { AppError } from '../shared/errors.js';

/** The one validated path for reference images: magic bytes, size and pixel caps, metadata stripped. */
export const UPLOAD_LIMITS = { maxBytes: 20 * 1024 * 1024, maxPixels: 40_000_000, maxDimension: 8192 };
export type UploadMime = 'image/png' | 'image/jpeg' | 'image/webp';

export function sniffImageType(buf: Buffer): UploadMime | null {
  if (buf.length >= 8 && buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'image/jpeg';
  if (buf.length >= 12 && buf.toString('ascii', 0, 4) === 'RIFF' && buf.toString('ascii', 8, 12) === 'WEBP') return 'image/webp';
  return null;
}

export async function validateImageUpload(buf: Buffer, opts: Partial<typeof UPLOAD_LIMITS> = {}) {
  const limits = { ...UPLOAD_LIMITS, ...opts };
  if (buf.length === 0) throw new AppError('INVALID_INPUT', { userMessage: 'That file is empty.' });
  if (buf.length > limits.maxBytes) throw new AppError('PAYLOAD_TOO_LARGE', { userMessage: `That file is larger than ${Math.round(limits.maxBytes / 1024 / 1024)} MB.` });
  const mime = sniffImageType(buf);
  if (!mime) throw new AppError('INVALID_INPUT', { userMessage: 'That file is not a PNG, JPEG or WebP image.' });
  let meta: Metadata;
  try {
    meta = await sharp(buf, { limitInputPixels: false }).metadata();
  } catch {
    throw new AppError('INVALID_INPUT', { userMessage: 'That image could not be read. It may be damaged.' });
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width > limits.maxDimension || height > limits.maxDimension || width * height > limits.maxPixels) {
    throw new AppError('INVALID_INPUT', { userMessage: `That image is too large: at most ${limits.maxDimension} pixels on a side and ${Math.round(limits.maxPixels / 1e6)} megapixels.` });
  }
  let out: { data: Buffer; info: OutputInfo };
  try {
    // Re-encoding drops every metadata block (EXIF with GPS, XMP, IPTC); rotate() bakes in the orientation first.
    const img = sharp(buf, { limitInputPixels: limits.maxPixels, failOn: 'error', animated: false }).rotate();
    const encoded = mime === 'image/png' ? img.png() : mime === 'image/webp' ? img.webp({ quality: 92 }) : img.jpeg({ quality: 92 });
    out = await encoded.toBuffer({ resolveWithObject: true });
  } catch {
    throw new AppError('INVALID_INPUT', { userMessage: 'That image could not be read. It may be damaged or truncated.' });
  }
  return { data: out.data, mime, width: out.info.width, height: out.info.height, sha256: createHash('sha256').update(out.data).digest('hex'), sizeBytes: out.data.length };
}
