/**
 * The key and certificate chain that sign our C2PA manifests (c2pa.ts).
 *
 * The operator configures them with C2PA_SIGNING_CERT (PEM: the signing certificate first, then
 * its intermediates) and C2PA_SIGNING_KEY (PEM: its private key, PKCS#8, SEC1 or PKCS#1). Without
 * them a development chain is made once into DATA_DIR/c2pa/: a self-signed root and an ES256
 * signing certificate issued by it. The manifests it signs are well-formed and their signatures
 * verify, but no validator trusts that root, so they show as "unknown signer" anywhere else.
 *
 * Both are checked at boot by signing and validating a small image with them, so a key that does
 * not match its certificate, or a certificate C2PA does not accept for signing (self-signed, no
 * digitalSignature key usage, no email-protection or document-signing EKU, expired), stops the
 * start with a message naming the variable, not the first generation.
 */
import { constants, createPrivateKey, createPublicKey, randomBytes, sign as cryptoSign, webcrypto, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { CoseAlgorithmIdentifier, type Signer } from '@trustnxt/c2pa-ts/cose';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export type CredentialSource = 'configured' | 'development';

/** What signs manifests: a c2pa-ts Signer, and where its certificate came from (for logs and docs). */
export interface SigningCredentials {
  signer: Signer;
  source: CredentialSource;
  /** subject of the signing certificate, e.g. "CN=Flux Klein development signer (not trusted), O=Flux Klein" */
  subject: string;
  notAfter: Date;
}

export class CredentialsError extends Error {}

/** Where the development chain lives, and what is in it. */
export const DEV_DIR = 'c2pa';
const DEV_FILES = { chain: 'signer.pem', key: 'signer.key', root: 'root.pem', readme: 'README.txt' } as const;

const DEV_README = `Development C2PA signing credentials, made by Flux Klein because C2PA_SIGNING_CERT and
C2PA_SIGNING_KEY are not set.

signer.pem  the signing certificate and the development root that issued it
signer.key  its private key (keep it private)
root.pem    the development root alone

Manifests signed with these are well-formed and their signatures verify, but no C2PA validator
trusts this root: they show as signed by an unknown or untrusted signer. For production, get a
signing certificate from a certificate authority on the C2PA trust list and set C2PA_SIGNING_CERT
and C2PA_SIGNING_KEY. Delete this folder to have a new chain made at the next start.
`;

/** Splits a PEM file into its blocks by label ("CERTIFICATE", "PRIVATE KEY", …). */
function pemBlocks(text: string): { label: string; der: Buffer }[] {
  const out: { label: string; der: Buffer }[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ label: m[1]!, der: Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64') });
  return out;
}

/** The COSE algorithm for a private key, or an error that says which keys work. */
function algorithmFor(key: KeyObject): { alg: CoseAlgorithmIdentifier; sign: (data: Uint8Array) => Uint8Array } {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const byCurve: Record<string, [CoseAlgorithmIdentifier, string]> = {
      prime256v1: [CoseAlgorithmIdentifier.ES256, 'sha256'],
      secp384r1: [CoseAlgorithmIdentifier.ES384, 'sha384'],
      secp521r1: [CoseAlgorithmIdentifier.ES512, 'sha512'],
    };
    const found = curve ? byCurve[curve] : undefined;
    if (!found) throw new CredentialsError(`an EC key on ${curve ?? 'an unknown curve'}; C2PA signs with P-256, P-384 or P-521`);
    const [alg, hash] = found;
    // COSE wants ECDSA signatures as r‖s (IEEE P1363), not DER (RFC 9053 §2.1).
    return { alg, sign: (data) => cryptoSign(hash, data, { key, dsaEncoding: 'ieee-p1363' }) };
  }
  if (type === 'ed25519') return { alg: CoseAlgorithmIdentifier.Ed25519, sign: (data) => cryptoSign(null, data, key) };
  if (type === 'rsa' || type === 'rsa-pss') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw new CredentialsError(`an RSA key of ${bits} bits; C2PA needs at least 2048`);
    // PS256: RSASSA-PSS with SHA-256, salt as long as the hash
    return { alg: CoseAlgorithmIdentifier.PS256, sign: (data) => cryptoSign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }) };
  }
  throw new CredentialsError(`a ${type ?? 'unknown'} key; C2PA signs with EC (P-256/384/521), Ed25519 or RSA keys`);
}

/** A c2pa-ts Signer over a private key (node:crypto) and a certificate chain, checked to belong together. */
export function signerFrom(keyPem: string, chainPem: string, names = { key: 'the key', cert: 'the certificate' }): Signer {
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new CredentialsError(`${names.key} is not a PEM private key (${(err as Error).message})`);
  }
  const certs = pemBlocks(chainPem)
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => {
      try {
        return new x509.X509Certificate(new Uint8Array(b.der));
      } catch (err) {
        throw new CredentialsError(`${names.cert} holds a certificate that cannot be read (${(err as Error).message})`);
      }
    });
  const [certificate, ...chain] = certs;
  if (!certificate) throw new CredentialsError(`${names.cert} holds no PEM certificate`);
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!Buffer.from(certificate.publicKey.rawData).equals(spki)) {
    throw new CredentialsError(`${names.key} does not belong to the first certificate in ${names.cert} (the signing certificate must come first, then its intermediates)`);
  }
  let algorithm: ReturnType<typeof algorithmFor>;
  try {
    algorithm = algorithmFor(key);
  } catch (err) {
    throw new CredentialsError(`${names.key} is ${(err as Error).message}`);
  }
  return {
    algorithm: algorithm.alg,
    certificate,
    // A trust anchor (self-signed root) is not sent along: validators have their own.
    chainCertificates: chain.filter((c) => c.subject !== c.issuer),
    sign: async (payload) => new Uint8Array(algorithm.sign(payload)),
  };
}

/** The operator's key and certificate, from the two PEM files. */
export function loadConfiguredCredentials(certPath: string, keyPath: string): SigningCredentials {
  const read = (p: string, name: string) => {
    try {
      return fs.readFileSync(p, 'utf8');
    } catch (err) {
      throw new CredentialsError(`${name}: cannot read ${p} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  const signer = signerFrom(read(keyPath, 'C2PA_SIGNING_KEY'), read(certPath, 'C2PA_SIGNING_CERT'), { key: 'C2PA_SIGNING_KEY', cert: 'C2PA_SIGNING_CERT' });
  return { signer, source: 'configured', subject: signer.certificate.subject, notAfter: signer.certificate.notAfter };
}

const DAY = 86_400_000;
const ES256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A self-signed development root and an ES256 signing certificate it issued, with the PEM files to keep. */
export async function makeDevelopmentChain(now = new Date()): Promise<{ chainPem: string; keyPem: string; rootPem: string }> {
  const subtle = webcrypto.subtle;
  const rootKeys = (await subtle.generateKey(ES256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const signerKeys = (await subtle.generateKey(ES256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const serial = () => randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'); // positive
  const notBefore = new Date(now.getTime() - DAY);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=Flux Klein development root (not trusted), O=Flux Klein',
    notBefore,
    notAfter: new Date(now.getTime() + 20 * 365 * DAY),
    keys: rootKeys,
    signingAlgorithm: ES256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=Flux Klein development signer (not trusted), O=Flux Klein',
    issuer: root.subject,
    notBefore,
    notAfter: new Date(now.getTime() + 10 * 365 * DAY),
    signingKey: rootKeys.privateKey,
    publicKey: signerKeys.publicKey,
    signingAlgorithm: ES256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      // C2PA's signing profile: email protection (or document signing), never "any"
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.emailProtection], false),
      await x509.SubjectKeyIdentifierExtension.create(signerKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(root, false),
    ],
  });
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', signerKeys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n').trim()}\n-----END PRIVATE KEY-----\n`;
  const rootPem = `${root.toString('pem')}\n`;
  return { chainPem: `${leaf.toString('pem')}\n${rootPem}`, keyPem, rootPem };
}

/**
 * The development chain under DATA_DIR/c2pa/, made on first use. Several processes may start at
 * once (web and worker): each makes its chain in a folder of its own and renames it into place;
 * the first rename wins and the others read the winner's files, so all sign with one key.
 */
export async function loadDevelopmentCredentials(dataDir: string): Promise<SigningCredentials> {
  const dir = path.join(dataDir, DEV_DIR);
  if (!fs.existsSync(path.join(dir, DEV_FILES.key))) {
    fs.mkdirSync(dataDir, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(dataDir, '.c2pa-'));
    try {
      const made = await makeDevelopmentChain();
      fs.writeFileSync(path.join(tmp, DEV_FILES.chain), made.chainPem);
      fs.writeFileSync(path.join(tmp, DEV_FILES.root), made.rootPem);
      fs.writeFileSync(path.join(tmp, DEV_FILES.readme), DEV_README);
      fs.writeFileSync(path.join(tmp, DEV_FILES.key), made.keyPem, { mode: 0o600 });
      try {
        fs.renameSync(tmp, dir); // atomic; replaces only a missing or empty folder
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        // another process was first: use its chain
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  let keyPem: string;
  let chainPem: string;
  try {
    keyPem = fs.readFileSync(path.join(dir, DEV_FILES.key), 'utf8');
    chainPem = fs.readFileSync(path.join(dir, DEV_FILES.chain), 'utf8');
  } catch {
    throw new CredentialsError(`${dir} is incomplete (${DEV_FILES.key} and ${DEV_FILES.chain} are needed): delete the folder to have a new development chain made, or set C2PA_SIGNING_CERT and C2PA_SIGNING_KEY`);
  }
  const signer = signerFrom(keyPem, chainPem, { key: path.join(dir, DEV_FILES.key), cert: path.join(dir, DEV_FILES.chain) });
  return { signer, source: 'development', subject: signer.certificate.subject, notAfter: signer.certificate.notAfter };
}
