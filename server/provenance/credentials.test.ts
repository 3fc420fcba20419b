import { webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { issueCertificate as issue, readContentCredentials, writeOperatorChain, type Issued } from '../testing/c2pa.js';
import { loadSigningCredentials, markFor, markOutput } from './index.js';

/** Where the keys that sign C2PA manifests come from: the operator's PEM files, or a development chain made once. */
const dirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fk-c2pa-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const logger = () => {
  const lines: { level: string; msg: string; data?: Record<string, unknown> }[] = [];
  return { lines, info: (msg: string, data?: Record<string, unknown>) => void lines.push({ level: 'info', msg, data }), warn: (msg: string, data?: Record<string, unknown>) => void lines.push({ level: 'warn', msg, data }) };
};
const configFor = (dataDir: string, env: Record<string, string> = {}) => loadConfig({ DATA_DIR: dataDir, ...env });
const signWith = async (credentials: Awaited<ReturnType<typeof loadSigningCredentials>>) => {
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } }).png().toBuffer();
  const out = await markOutput({ data: png, mime: 'image/png', width: 8, height: 8 }, markFor({ provider: 'bfl', modelLabel: 'FLUX.2 [klein] 9B', createdAt: new Date() }), credentials);
  return readContentCredentials(out.data, 'image/png');
};

const writeFiles = (dir: string, files: Record<string, string>) => {
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return (name: string) => path.join(dir, name);
};

describe('C2PA signing credentials', () => {
  it('without configuration: a development chain is made once into DATA_DIR/c2pa/, shared by processes starting together, and signs manifests that validate', async () => {
    const dataDir = tempDir();
    const log = logger();
    const config = configFor(dataDir);
    // web and worker starting at the same moment
    const [a, b] = await Promise.all([loadSigningCredentials(config, log), loadSigningCredentials(config, log)]);
    const c = await loadSigningCredentials(config); // a later start
    expect(Buffer.from(a.signer.certificate.rawData).equals(Buffer.from(b.signer.certificate.rawData))).toBe(true);
    expect(Buffer.from(c.signer.certificate.rawData).equals(Buffer.from(a.signer.certificate.rawData))).toBe(true);
    expect(a.source).toBe('development');
    const dir = path.join(dataDir, 'c2pa');
    expect(fs.readdirSync(dir).sort()).toEqual(['README.txt', 'root.pem', 'signer.key', 'signer.pem']);
    expect(fs.statSync(path.join(dir, 'signer.key')).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dataDir).filter((n) => n.startsWith('.c2pa-'))).toEqual([]); // no half-made folders left
    expect(fs.readFileSync(path.join(dir, 'README.txt'), 'utf8')).toContain('no C2PA validator');

    // Read with Node's own X.509 parser: an ES256 signing certificate issued by a self-signed development root.
    const [leafPem, rootPem] = fs.readFileSync(path.join(dir, 'signer.pem'), 'utf8').split(/(?<=-----END CERTIFICATE-----)\s*/).filter(Boolean);
    const leaf = new NodeX509(leafPem!);
    const root = new NodeX509(rootPem!);
    expect(leaf.subject).toContain('Flux Klein development signer (not trusted)');
    expect(leaf.ca).toBe(false);
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.4']); // email protection: C2PA's signing profile
    expect(leaf.checkIssued(root)).toBe(true);
    expect(leaf.verify(root.publicKey)).toBe(true);
    expect(root.ca).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(root.raw.equals(new NodeX509(fs.readFileSync(path.join(dir, 'root.pem'))).raw)).toBe(true);

    const read = await signWith(a);
    expect(read?.valid).toBe(true);
    expect(read?.signer).toBe('CN=Flux Klein development signer (not trusted), O=Flux Klein');
    expect(read?.chain).toEqual([]); // the root is a trust anchor: validators bring their own, it is not sent
    expect(log.lines[0]).toMatchObject({ level: 'info', msg: expect.stringContaining('development certificate that validators do not trust') });
  });

  it('in production without configuration the development chain still signs, and the log warns that validators do not trust it', async () => {
    const log = logger();
    await loadSigningCredentials(configFor(tempDir(), { NODE_ENV: 'production' }), log);
    expect(log.lines).toEqual([expect.objectContaining({ level: 'warn', msg: expect.stringContaining('set C2PA_SIGNING_CERT and C2PA_SIGNING_KEY') })]);
  });

  it("with C2PA_SIGNING_CERT and C2PA_SIGNING_KEY: the operator's chain (signer, intermediate; SEC1 key) signs, and no development chain is made", async () => {
    const dataDir = tempDir();
    const chain = await writeOperatorChain(tempDir());
    const log = logger();
    const credentials = await loadSigningCredentials(configFor(dataDir, { C2PA_SIGNING_CERT: chain.certPath, C2PA_SIGNING_KEY: chain.keyPath }), log);
    expect(credentials.source).toBe('configured');
    const read = await signWith(credentials);
    expect(read?.valid).toBe(true);
    expect(read?.signer).toBe('CN=Flux Klein, O=Example Operator');
    expect(read?.chain).toEqual(['CN=Example Signing CA']);
    expect(fs.existsSync(path.join(dataDir, 'c2pa'))).toBe(false);
    expect(log.lines).toEqual([expect.objectContaining({ level: 'info', msg: 'C2PA manifests are signed with the configured certificate', data: expect.objectContaining({ subject: 'CN=Flux Klein, O=Example Operator' }) })]);
  });

  it('signs with every key type C2PA allows: EC P-256/P-384, Ed25519, RSA (as PS256)', async () => {
    const root = await issue({ subject: 'CN=Example Root CA', ca: true });
    const rsa = { modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
    const kinds: [string, RsaHashedKeyGenParams | EcKeyGenParams | Algorithm, number][] = [
      ['P-256', { name: 'ECDSA', namedCurve: 'P-256' }, -7],
      ['P-384', { name: 'ECDSA', namedCurve: 'P-384' }, -35],
      ['Ed25519', { name: 'Ed25519' }, -8],
      ['RSA', { name: 'RSASSA-PKCS1-v1_5', ...rsa }, -37],
    ];
    for (const [name, keyAlgorithm, cose] of kinds) {
      const signer = await issue({ subject: `CN=${name} signer`, issuer: root, keyAlgorithm });
      const dir = tempDir();
      const key = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(await webcrypto.subtle.exportKey('pkcs8', signer.keys.privateKey)).toString('base64')}\n-----END PRIVATE KEY-----\n`;
      const file = writeFiles(dir, { 'chain.pem': signer.cert.toString('pem'), 'signer.key': key });
      const credentials = await loadSigningCredentials(configFor(tempDir(), { C2PA_SIGNING_CERT: file('chain.pem'), C2PA_SIGNING_KEY: file('signer.key') }));
      expect(credentials.signer.algorithm, name).toBe(cose);
      const read = await signWith(credentials);
      expect(read?.valid, name).toBe(true);
      expect(read?.signer).toBe(`CN=${name} signer`);
    }
  });

  const DAY = 86_400_000;
  it('refuses, at boot and by name, a key without its certificate, unreadable files, a key that is not the certificate’s, and certificates C2PA does not accept', async () => {
    const root = await issue({ subject: 'CN=Example Root CA', ca: true });
    const good = await issue({ subject: 'CN=Good signer', issuer: root });
    const other = await issue({ subject: 'CN=Other signer', issuer: root });
    const selfSigned = await issue({ subject: 'CN=Self-signed signer' });
    const expired = await issue({ subject: 'CN=Expired signer', issuer: root, notAfter: new Date(Date.now() - DAY) });
    const noEku = await issue({ subject: 'CN=No EKU', issuer: root, eku: null });
    const serverAuth = await issue({ subject: 'CN=TLS server', issuer: root, eku: ['1.3.6.1.5.5.7.3.1'] });
    const dir = tempDir();
    const pem = (i: Issued) => i.cert.toString('pem');
    const pkcs8 = async (i: Issued) => `-----BEGIN PRIVATE KEY-----\n${Buffer.from(await webcrypto.subtle.exportKey('pkcs8', i.keys.privateKey)).toString('base64')}\n-----END PRIVATE KEY-----\n`;
    const file = writeFiles(dir, {
      'good.pem': pem(good),
      'good.key': await pkcs8(good),
      'other.key': await pkcs8(other),
      'self.pem': pem(selfSigned),
      'self.key': await pkcs8(selfSigned),
      'expired.pem': pem(expired),
      'expired.key': await pkcs8(expired),
      'noeku.pem': pem(noEku),
      'noeku.key': await pkcs8(noEku),
      'tls.pem': pem(serverAuth),
      'tls.key': await pkcs8(serverAuth),
      'garbage.pem': 'not a certificate',
    });

    expect(() => configFor(tempDir(), { C2PA_SIGNING_CERT: file('good.pem') })).toThrow(new ConfigError('Invalid configuration:\n  C2PA_SIGNING_KEY: must be set together with C2PA_SIGNING_CERT (the signing certificate chain and its private key, PEM files)'));
    expect(() => configFor(tempDir(), { C2PA_SIGNING_KEY: file('good.key') })).toThrow(/C2PA_SIGNING_CERT: must be set together with C2PA_SIGNING_KEY/);

    const cases: [string, string, RegExp][] = [
      ['good.pem', 'missing.key', /C2PA_SIGNING_KEY: cannot read .*missing\.key \(ENOENT\)/],
      ['garbage.pem', 'good.key', /C2PA_SIGNING_CERT holds no PEM certificate/],
      ['good.pem', 'good.pem', /C2PA_SIGNING_KEY is not a PEM private key/],
      ['good.pem', 'other.key', /C2PA_SIGNING_KEY does not belong to the first certificate in C2PA_SIGNING_CERT/],
      ['self.pem', 'self.key', /a manifest signed with it does not validate \(signingCredential\.invalid\)/],
      ['expired.pem', 'expired.key', /does not validate \(signingCredential\.expired\)/],
      ['noeku.pem', 'noeku.key', /does not validate \(signingCredential\.invalid\)/],
      ['tls.pem', 'tls.key', /does not validate \(signingCredential\.invalid\)/],
    ];
    for (const [cert, key, message] of cases) {
      const dataDir = tempDir();
      const attempt = loadSigningCredentials(configFor(dataDir, { C2PA_SIGNING_CERT: file(cert), C2PA_SIGNING_KEY: file(key) }));
      await expect(attempt, `${cert} + ${key}`).rejects.toThrow(ConfigError);
      await expect(attempt, `${cert} + ${key}`).rejects.toThrow(message);
      expect(fs.existsSync(path.join(dataDir, 'c2pa'))).toBe(false); // no fallback to the development chain
    }
  });

  it('a development folder missing its certificate says how to recover instead of making a second key', async () => {
    const dataDir = tempDir();
    await loadSigningCredentials(configFor(dataDir));
    const key = fs.readFileSync(path.join(dataDir, 'c2pa', 'signer.key'));
    fs.rmSync(path.join(dataDir, 'c2pa', 'signer.pem'));
    await expect(loadSigningCredentials(configFor(dataDir))).rejects.toThrow(/c2pa is incomplete .* delete the folder to have a new development chain made, or set C2PA_SIGNING_CERT and C2PA_SIGNING_KEY/);
    expect(fs.readFileSync(path.join(dataDir, 'c2pa', 'signer.key')).equals(key)).toBe(true);
  });
});
