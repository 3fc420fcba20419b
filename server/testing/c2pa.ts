import { JPEG, PNG, type Asset } from '@trustnxt/c2pa-ts/asset';
import { CBORBox, SuperBox } from '@trustnxt/c2pa-ts/jumbf';
import { ActionAssertion, ManifestStore } from '@trustnxt/c2pa-ts/manifest';
import { makeDevelopmentChain, signerFrom } from '../provenance/credentials.js';

/**
 * Reads a file's C2PA manifest back with the library's own reader and validator (c2pa-ts:
 * `getManifestJUMBF` → `SuperBox.fromBuffer` → `ManifestStore.read` → `validate`), not with our
 * writer's code, for the tests of our marking. ExifTool (server/testing/exiftool.ts) reads the same
 * manifest's CBOR independently.
 */
export async function readContentCredentials(data: Uint8Array, mime: string) {
  const asset: Asset = mime === 'image/png' ? new PNG(data) : mime === 'image/jpeg' ? new JPEG(data) : (() => { throw new Error(`no reader for ${mime}`); })();
  const jumbf = asset.getManifestJUMBF();
  if (!jumbf) return null;
  const store = ManifestStore.read(SuperBox.fromBuffer(jumbf as Uint8Array<ArrayBuffer>));
  const result = await store.validate(asset);
  const manifest = store.getActiveManifest()!;
  const assertions = manifest.assertions?.assertions ?? [];
  const actions = assertions.find((a): a is ActionAssertion => a instanceof ActionAssertion);
  // `when` is not mapped by c2pa-ts 0.9.4: read from the assertion's decoded CBOR (a tdate decodes to a Date)
  const rawActions = ((actions?.sourceBox?.contentBoxes[0] as CBORBox | undefined)?.content as { actions?: { when?: unknown }[] } | undefined)?.actions ?? [];
  return {
    valid: result.isValid,
    codes: result.statusEntries.map((e) => `${e.success ? '' : '!'}${e.code}`),
    manifestCount: store.manifests.length,
    claim: { generator: manifest.claim?.claimGeneratorName, format: manifest.claim?.format, version: manifest.claim?.version },
    assertionLabels: assertions.map((a) => a.label),
    actions: (actions?.actions ?? []).map((a, i) => ({ ...a, when: rawActions[i]?.when })),
    signer: manifest.signature?.signatureData.certificate?.subject,
    chain: manifest.signature?.signatureData.chainCertificates.map((c) => c.subject) ?? [],
    /** the COSE signature's bytes */
    signatureBytes: manifest.signature?.signatureData.signature,
  };
}

let cached: Promise<ReturnType<typeof signerFrom>> | undefined;
/** Signing credentials for tests: a fresh development chain, made once per test file. */
export function testSigningCredentials() {
  cached ??= makeDevelopmentChain().then((c) => signerFrom(c.keyPem, c.chainPem));
  return cached.then((signer) => ({ signer }));
}
