import { ConfigError, type Config } from '../config.js';
import type { Logger } from '../log.js';
import { signC2pa, verifyC2pa } from './c2pa.js';
import { CredentialsError, loadConfiguredCredentials, loadDevelopmentCredentials, type SigningCredentials } from './credentials.js';
import { ALGORITHMIC_MEDIA } from './xmp.js';

/** A 1 × 1 PNG to sign and validate at boot. */
const PROBE = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNoaGgAAAMEAYFL09IQAAAAAElFTkSuQmCC', 'base64');

/**
 * The credentials that sign C2PA manifests: the operator's (C2PA_SIGNING_CERT + C2PA_SIGNING_KEY),
 * or the development chain under DATA_DIR/c2pa/. Proven at boot by signing a small image and
 * validating it; throws CredentialsError with a message naming what to fix.
 */
export async function loadSigningCredentials(config: Pick<Config, 'dataDir' | 'env' | 'c2pa'>, log?: Pick<Logger, 'info' | 'warn'>): Promise<SigningCredentials> {
  try {
    return await load(config, log);
  } catch (err) {
    if (err instanceof CredentialsError) throw new ConfigError(`Invalid C2PA signing credentials:\n  ${err.message}`);
    throw err;
  }
}

async function load(config: Pick<Config, 'dataDir' | 'env' | 'c2pa'>, log?: Pick<Logger, 'info' | 'warn'>): Promise<SigningCredentials> {
  const credentials = config.c2pa ? loadConfiguredCredentials(config.c2pa.certPath, config.c2pa.keyPath) : await loadDevelopmentCredentials(config.dataDir);
  const names = config.c2pa ? 'C2PA_SIGNING_CERT / C2PA_SIGNING_KEY' : `the development chain in ${config.dataDir}/c2pa`;
  const probe = await signC2pa(PROBE, 'image/png', { digitalSourceType: ALGORITHMIC_MEDIA, aiSystem: 'boot check', creatorTool: 'Flux Klein', createdAt: new Date(), credit: '' }, credentials.signer);
  const check = await verifyC2pa(probe, 'image/png');
  if (!check.valid) {
    throw new CredentialsError(`${names}: a manifest signed with it does not validate (${check.failures.join(', ')}). C2PA needs a signing certificate (not self-signed) with the digitalSignature key usage and the email-protection or document-signing extended key usage, within its validity period.`);
  }
  const fields = { source: credentials.source, subject: credentials.subject, notAfter: credentials.notAfter.toISOString() };
  if (credentials.source === 'development') {
    const say = config.env === 'production' ? log?.warn : log?.info;
    say?.call(log, 'C2PA manifests are signed with a development certificate that validators do not trust; set C2PA_SIGNING_CERT and C2PA_SIGNING_KEY for one they do', fields);
  } else {
    log?.info('C2PA manifests are signed with the configured certificate', fields);
  }
  return credentials;
}
