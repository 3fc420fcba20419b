/**
 * Provenance of generated files: every output is marked, in the generation job, before it is
 * stored (server/services/generations.ts). The mark is machine-readable XMP in the file itself
 * (xmp.ts): IPTC DigitalSourceType, the AI system that made it, the product, the time. PNG, JPEG
 * and WebP files (and the WebP thumbnails of outputs) then get a signed C2PA manifest saying the
 * same (c2pa.ts, riff.ts), over the final bytes. MP4 keeps the XMP mark alone (ADR 0015).
 * Nothing personal goes in (no prompt, name or workspace), so a shared file tells only how it was made.
 *
 * The built-in preview renderer is not a trained model: its outputs say `algorithmicMedia`;
 * everything a model made says `trainedAlgorithmicMedia`.
 */
import type { ProviderOutput } from '../providers/types.js';
import { MP4 } from './bmff.js';
import { canSignC2pa, createdActionOf, signC2pa } from './c2pa.js';
import type { SigningCredentials } from './credentials.js';
import { ALGORITHMIC_MEDIA, embedXmp, TRAINED_ALGORITHMIC_MEDIA, UnmarkableFile, xmpPacket, type XmpMark } from './xmp.js';

export { ALGORITHMIC_MEDIA, canSignC2pa, TRAINED_ALGORITHMIC_MEDIA, UnmarkableFile, type XmpMark };
export { loadSigningCredentials } from './load.js';
export type { SigningCredentials };

export const PRODUCT_NAME = 'Flux Klein';

const PROVIDER_NAMES: Record<string, string> = { bfl: 'Black Forest Labs', fal: 'fal', replicate: 'Replicate', comfyui: 'ComfyUI', 'openai-images': 'image server' };

/** What a generation's outputs are marked with: the model (its catalogue label) and where it ran. */
export function markFor(g: { provider: string; modelLabel: string; createdAt: Date }): XmpMark {
  const local = g.provider === 'local';
  const model = g.modelLabel.replace(/ \(video\)$/, '');
  const aiSystem = local ? `${PRODUCT_NAME} built-in preview renderer` : `${model} (${PROVIDER_NAMES[g.provider] ?? g.provider})`;
  return {
    digitalSourceType: local ? ALGORITHMIC_MEDIA : TRAINED_ALGORITHMIC_MEDIA,
    aiSystem,
    creatorTool: PRODUCT_NAME,
    createdAt: g.createdAt,
    credit: local ? `Made by a computer program (${aiSystem})` : `Made with AI (${model}) in ${PRODUCT_NAME}`,
  };
}

/**
 * The output with the mark in its file: XMP in every format, then a signed C2PA manifest where we
 * can write one (PNG, JPEG, WebP), covering the XMP too. Throws UnmarkableFile for a file that is not well-formed.
 */
export async function markOutput(out: ProviderOutput, mark: XmpMark, credentials: Pick<SigningCredentials, 'signer'>): Promise<ProviderOutput> {
  const withXmp = embedXmp(out.data, out.mime, xmpPacket(mark));
  // An MP4 of a brand the BMFF code does not know (bmff.ts lists the usual ones) keeps the XMP mark alone rather than failing the job.
  const signable = canSignC2pa(out.mime) && (out.mime !== 'video/mp4' || MP4.canRead(withXmp));
  const data = signable ? await signC2pa(withXmp, out.mime, mark, credentials.signer) : withXmp;
  return { ...out, data };
}

/**
 * A thumbnail of one of our outputs, marked as the output is: the XMP it kept from the original
 * (sharp's keepXmp) and a signed C2PA manifest (WebP `C2PA` chunk) repeating the original's
 * `c2pa.created` action (source type, AI system, time) followed by `c2pa.resized`. The thumbnail is
 * re-encoded, so the original's manifest cannot carry over; it is not linked as an ingredient
 * (c2pa-ts 0.9.4 does not write ingredients). An original without a valid manifest of its own
 * (made before manifests were signed) gives a thumbnail with the XMP mark alone.
 */
export async function markThumbnail(thumb: Buffer, original: Buffer, originalMime: string, credentials: Pick<SigningCredentials, 'signer'>): Promise<Buffer> {
  if (!canSignC2pa(originalMime)) return thumb;
  const created = await createdActionOf(original, originalMime);
  if (!created) return thumb;
  const mark: XmpMark = { digitalSourceType: created.digitalSourceType, aiSystem: created.aiSystem, creatorTool: PRODUCT_NAME, createdAt: created.when, credit: '' };
  try {
    return await signC2pa(thumb, 'image/webp', mark, credentials.signer, { resized: true });
  } catch {
    return thumb; // a thumbnail is never refused for its manifest: it keeps the XMP mark
  }
}
