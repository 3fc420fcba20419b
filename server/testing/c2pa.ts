import { createPrivateKey, webcrypto } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { JPEG, PNG, type Asset } from '@trustnxt/c2pa-ts/asset';
import { CBORBox, SuperBox } from '@trustnxt/c2pa-ts/jumbf';
import { ActionAssertion, ManifestStore } from '@trustnxt/c2pa-ts/manifest';
import { makeDevelopmentChain, signerFrom } from '../provenance/credentials.js';
import { MP4 } from '../provenance/bmff.js';
import { WebP } from '../provenance/riff.js';

/**
 * Reads a file's C2PA manifest back with the library's own reader and validator (c2pa-ts:
 * `getManifestJUMBF` → `SuperBox.fromBuffer` → `ManifestStore.read` → `validate`), not with our
 * writer's code, for the tests of our marking. ExifTool (server/testing/exiftool.ts) reads the same
 * manifest's CBOR independently.
 */
export async function readContentCredentials(data: Uint8Array, mime: string) {
  // WebP: the container is ours (server/provenance/riff.ts; c2pa-ts has none), the manifest reading and validation the library's.
  const asset: Asset = mime === 'image/png' ? new PNG(data) : mime === 'image/jpeg' ? new JPEG(data) : mime === 'image/webp' ? new WebP(data) : mime === 'video/mp4' ? new MP4(data) : (() => { throw new Error(`no reader for ${mime}`); })();
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

// ---- an operator's PKI, made for tests (a real one comes from a CA on the C2PA trust list) ----
const ES256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
export type Issued = { cert: x509.X509Certificate; keys: CryptoKeyPair };

/** A certificate: a CA, or a signing certificate (document-signing EKU unless told otherwise); self-signed without an issuer. */
export async function issueCertificate(opts: { subject: string; issuer?: Issued; ca?: boolean; eku?: string[] | null; notAfter?: Date; keyAlgorithm?: RsaHashedKeyGenParams | EcKeyGenParams | Algorithm }): Promise<Issued> {
  const keys = (await webcrypto.subtle.generateKey(opts.keyAlgorithm ?? ES256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(Boolean(opts.ca), opts.ca ? 1 : undefined, true),
    new x509.KeyUsagesExtension(opts.ca ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (opts.issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(opts.issuer.cert, false));
  if (!opts.ca && opts.eku !== null) extensions.push(new x509.ExtendedKeyUsageExtension(opts.eku ?? ['1.3.6.1.5.5.7.3.36' /* documentSigning */], false));
  const common = { serialNumber: String(Math.floor(Math.random() * 1e9) + 1), notBefore: new Date(Date.now() - 2 * DAY), notAfter: opts.notAfter ?? new Date(Date.now() + 365 * DAY), signingAlgorithm: ES256, extensions };
  const cert = opts.issuer
    ? await x509.X509CertificateGenerator.create({ ...common, subject: opts.subject, issuer: opts.issuer.cert.subject, signingKey: opts.issuer.keys.privateKey, publicKey: keys.publicKey })
    : await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: opts.subject, keys, signingAlgorithm: opts.keyAlgorithm ?? ES256 });
  return { cert, keys };
}

/** The key as SEC1 "EC PRIVATE KEY" PEM, as `openssl ecparam -genkey` writes it. */
export async function sec1Pem(k: Issued): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', k.keys.privateKey));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ type: 'sec1', format: 'pem' }) as string;
}

/** Root → intermediate → signer, written as an operator would configure them: chain.pem (signer first) and signer.key. */
export async function writeOperatorChain(dir: string, subject = 'CN=Flux Klein, O=Example Operator') {
  const root = await issueCertificate({ subject: 'CN=Example Root CA', ca: true });
  const intermediate = await issueCertificate({ subject: 'CN=Example Signing CA', issuer: root, ca: true });
  const signer = await issueCertificate({ subject, issuer: intermediate });
  const certPath = path.join(dir, 'chain.pem');
  const keyPath = path.join(dir, 'signer.key');
  fs.writeFileSync(certPath, [signer, intermediate, root].map((i) => i.cert.toString('pem')).join('\n'));
  fs.writeFileSync(keyPath, await sec1Pem(signer), { mode: 0o600 });
  return { certPath, keyPath, subject, intermediate: intermediate.cert.subject };
}
