/**
 * Signed C2PA manifests ("Content Credentials") in generated files, with @trustnxt/c2pa-ts (pure
 * TypeScript, nothing to build at install). One manifest per file, put in after the XMP mark so
 * that its hard binding (a SHA-256 over every byte but the manifest's own) covers the final file:
 *
 * - a v2 claim by "Flux Klein" with a `c2pa.actions.v2` assertion holding one `c2pa.created`
 *   action: the IPTC digital source type (the same as the XMP mark says), the AI system as the
 *   software agent, and the time (`when`);
 * - a `c2pa.hash.data` hard binding;
 * - a COSE signature with the operator's certificate chain (credentials.ts).
 *
 * Nothing personal goes in: no prompt, no name, no workspace, no file name.
 *
 * c2pa-ts 0.9.4 writes manifests into JPEG and PNG (and HEIF, which we do not make). It has no
 * WebP support: our own container code (riff.ts) puts the manifest in a RIFF `C2PA` chunk behind
 * the library's Asset interface, for WebP outputs (still and animated) and the WebP thumbnails of
 * outputs. Its BMFF writer accepts HEIF brands only (MP4 came in 0.12), so MP4 videos carry the
 * XMP mark alone (docs/decisions/0015).
 */
import { randomUUID } from 'node:crypto';
import { JPEG, PNG, type Asset } from '@trustnxt/c2pa-ts/asset';
import type { Signer } from '@trustnxt/c2pa-ts/cose';
import { CBORBox, SuperBox } from '@trustnxt/c2pa-ts/jumbf';
import { ActionAssertion, ActionType, BMFFHashAssertion, ClaimVersion, DataHashAssertion, ManifestStore, Signature, type DigitalSourceType } from '@trustnxt/c2pa-ts/manifest';
import { MP4 } from './bmff.js';
import { WebP } from './riff.js';
import { UnmarkableFile, type XmpMark } from './xmp.js';

/** The formats we put a signed manifest into. */
export const C2PA_FORMATS: Record<string, (data: Uint8Array) => Asset> = {
  'image/png': (data) => new PNG(data),
  'image/jpeg': (data) => new JPEG(data),
  'image/webp': (data) => new WebP(data),
  'video/mp4': (data) => new MP4(data),
};

export const canSignC2pa = (mime: string) => mime in C2PA_FORMATS;

/**
 * Room reserved in the signature box before signing (the library's default, 25 000 bytes, leaves
 * room for a timestamp token we do not request). The largest signature we make is RSA-4096 (512).
 */
const SIGNATURE_ROOM = 1024;

/**
 * cbor-x's Tag class, which the library's encoder writes as a CBOR tag. Taken from a decoded value
 * rather than imported, so the project depends on c2pa-ts alone for its CBOR.
 */
const CborTag = (CBORBox.encoder.decode(Uint8Array.of(0xd8, 0x63, 0x00)) as object).constructor as new (value: unknown, tag: number) => object;

/** The `when` of an action is a CBOR `tdate` (tag 0 + RFC 3339 text), which c2pa-ts 0.9.4 does not write: added here. */
class ActionsWithTime extends ActionAssertion {
  constructor(private readonly when: Date) {
    super();
  }
  override generateJUMBFBoxForContent(claim: Parameters<ActionAssertion['generateJUMBFBoxForContent']>[0]) {
    const box = super.generateJUMBFBoxForContent(claim) as CBORBox;
    const content = box.content as { actions: Record<string, unknown>[] };
    const when = new CborTag(this.when.toISOString().replace(/\.\d{3}Z$/, 'Z'), 0);
    for (const action of content.actions) action.when = when;
    return box;
  }
}

/**
 * The file with a signed manifest in it. Throws UnmarkableFile for bytes the library cannot read as
 * that format; a manifest already there (a provider's) is replaced, as our XMP edit broke its binding.
 */
export async function signC2pa(data: Buffer, mime: string, mark: XmpMark, signer: Signer, opts: { resized?: boolean } = {}): Promise<Buffer> {
  const open = C2PA_FORMATS[mime];
  if (!open) throw new UnmarkableFile(`No C2PA writer for ${mime}`);
  let asset: Asset;
  try {
    asset = open(data);
  } catch (err) {
    throw new UnmarkableFile(`Not a well-formed ${mime} for C2PA: ${(err as Error).message}`);
  }
  const store = new ManifestStore();
  const manifest = store.createManifest({ claimVersion: ClaimVersion.V2, assetFormat: mime, instanceID: `xmp:iid:${randomUUID()}`, defaultHashAlgorithm: 'SHA-256', signer });
  manifest.claim!.claimGeneratorName = mark.creatorTool;
  manifest.claim!.claimGeneratorVersion = undefined; // the library puts its own version here otherwise
  manifest.signature = Signature.create(signer, SIGNATURE_ROOM);

  const actions = new ActionsWithTime(mark.createdAt);
  actions.actions.push({ action: ActionType.C2paCreated, digitalSourceType: mark.digitalSourceType as DigitalSourceType, softwareAgent: { name: mark.aiSystem } });
  // A thumbnail: the same AI-made picture, made smaller by us.
  if (opts.resized) actions.actions.push({ action: ActionType.C2paResized, softwareAgent: { name: mark.creatorTool } });
  manifest.addAssertion(actions);
  // MP4: the box-structured hash (c2pa.hash.bmff), which excludes ftyp and the C2PA box; every other format: a hash of the bytes.
  const binding = mime === 'video/mp4' ? BMFFHashAssertion.createV2('jumbf manifest', 'SHA-256') : DataHashAssertion.create('SHA-256');
  manifest.addAssertion(binding);

  await asset.ensureManifestSpace(store.measureSize());
  await binding.updateWithAsset(asset);
  await manifest.sign(signer);
  await asset.writeManifestJUMBF(store.getBytes());
  const out = await asset.getDataRange();
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * What the library's validator says of a file's manifest: whether the signature and the hard
 * binding hold, and the codes that failed. (Trust in the signer is not checked by c2pa-ts 0.9.4;
 * other validators check it against the C2PA trust list.)
 */
export async function verifyC2pa(data: Uint8Array, mime: string): Promise<{ valid: boolean; failures: string[]; store?: ManifestStore }> {
  const open = C2PA_FORMATS[mime];
  if (!open) return { valid: false, failures: [`no C2PA reader for ${mime}`] };
  try {
    const asset = open(data);
    const jumbf = asset.getManifestJUMBF();
    if (!jumbf) return { valid: false, failures: ['no manifest'] };
    const store = ManifestStore.read(SuperBox.fromBuffer(jumbf as Uint8Array<ArrayBuffer>));
    const result = await store.validate(asset);
    return { valid: result.isValid, failures: result.statusEntries.filter((e) => !e.success).map((e) => e.code), store };
  } catch (err) {
    return { valid: false, failures: [(err as Error).message] };
  }
}

/**
 * The `c2pa.created` action of a file's own valid manifest (source type, AI system, time), or null:
 * what a thumbnail of that file says about how it was made. Only for files we marked ourselves.
 */
export async function createdActionOf(data: Uint8Array, mime: string): Promise<{ digitalSourceType: string; aiSystem: string; when: Date } | null> {
  const { valid, store } = await verifyC2pa(data, mime);
  if (!valid || !store) return null;
  const assertion = store.getActiveManifest()?.assertions?.assertions.find((a): a is ActionAssertion => a instanceof ActionAssertion);
  const i = assertion?.actions.findIndex((a) => a.action === ActionType.C2paCreated) ?? -1;
  const action = i >= 0 ? assertion!.actions[i]! : undefined;
  // `when` is a CBOR tdate, which c2pa-ts 0.9.4 does not map: read it from the decoded CBOR.
  const raw = ((assertion?.sourceBox?.contentBoxes[0] as CBORBox | undefined)?.content as { actions?: { when?: unknown }[] } | undefined)?.actions?.[i]?.when;
  if (!action?.digitalSourceType || !action.softwareAgent?.name) return null;
  const when = raw instanceof Date ? raw : new Date(String((raw as { value?: unknown } | undefined)?.value ?? raw));
  return { digitalSourceType: action.digitalSourceType, aiSystem: action.softwareAgent.name, when: Number.isNaN(when.getTime()) ? new Date() : when };
}
