/**
 * Provenance of generated files: every output is marked, in the generation job, before it is
 * stored (server/services/generations.ts). The mark is machine-readable XMP in the file itself
 * (xmp.ts): IPTC DigitalSourceType, the AI system that made it, the product, the time. Nothing
 * personal goes in (no prompt, name or workspace), so a shared file tells only how it was made.
 *
 * The built-in preview renderer is not a trained model: its outputs say `algorithmicMedia`;
 * everything a model made says `trainedAlgorithmicMedia`.
 */
import type { ProviderOutput } from '../providers/types.js';
import { ALGORITHMIC_MEDIA, embedXmp, TRAINED_ALGORITHMIC_MEDIA, UnmarkableFile, xmpPacket, type XmpMark } from './xmp.js';

export { ALGORITHMIC_MEDIA, TRAINED_ALGORITHMIC_MEDIA, UnmarkableFile };

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

/** The output with the mark in its file; throws UnmarkableFile for a file that is not well-formed. */
export function markOutput(out: ProviderOutput, mark: XmpMark): ProviderOutput {
  return { ...out, data: embedXmp(out.data, out.mime, xmpPacket(mark)) };
}
