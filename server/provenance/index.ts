/**
 * Provenance of generated files: every output is marked, in the generation job, before it is
 * stored (server/services/generations.ts). The mark is machine-readable XMP in the file itself
 * (xmp.ts): IPTC DigitalSourceType, the AI system that made it, the product, the time. PNG and
 * JPEG files then get a signed C2PA manifest saying the same (c2pa.ts), over the final bytes.
 * Nothing personal goes in (no prompt, name or workspace), so a shared file tells only how it was made.
 *
 * The built-in preview renderer is not a trained model: its outputs say `algorithmicMedia`;
 * everything a model made says `trainedAlgorithmicMedia`.
 */
import type { ProviderOutput } from '../providers/types.js';
import { canSignC2pa, signC2pa } from './c2pa.js';
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
 * can write one (PNG, JPEG), covering the XMP too. Throws UnmarkableFile for a file that is not well-formed.
 */
export async function markOutput(out: ProviderOutput, mark: XmpMark, credentials: Pick<SigningCredentials, 'signer'>): Promise<ProviderOutput> {
  const withXmp = embedXmp(out.data, out.mime, xmpPacket(mark));
  const data = canSignC2pa(out.mime) ? await signC2pa(withXmp, out.mime, mark, credentials.signer) : withXmp;
  return { ...out, data };
}
