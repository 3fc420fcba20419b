import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { betterAuth } from 'better-auth';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { DB } from '../../db/schema.js';
import { ensurePersonalWorkspace } from '../services/workspaces.js';
import type { Logger } from '../log.js';

/**
 * The secret that signs session cookies. Configured with BETTER_AUTH_SECRET; in the embedded
 * single-machine mode a random one is generated once and kept under DATA_DIR.
 */
export function resolveAuthSecret(config: Config): string {
  if (config.authSecret) return config.authSecret;
  if (config.env === 'production' && config.databaseUrl) {
    throw new Error('BETTER_AUTH_SECRET must be set when running in production against DATABASE_URL (all nodes need the same secret).');
  }
  const file = path.join(config.dataDir, 'auth-secret');
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch {
    /* first start */
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

export function createAuth(opts: { config: Config; db: Kysely<DB>; log: Logger }) {
  const { config, db, log } = opts;
  return betterAuth({
    appName: 'Flux Klein',
    baseURL: config.baseUrl,
    basePath: '/api/auth',
    secret: resolveAuthSecret(config),
    trustedOrigins: config.trustedOrigins,
    database: { db, type: 'postgres' },
    telemetry: { enabled: false },
    emailAndPassword: {
      enabled: true,
      minPasswordLength: 8,
      maxPasswordLength: 128,
      autoSignIn: true,
    },
    session: {
      expiresIn: 60 * 60 * 24 * 30,
      updateAge: 60 * 60 * 24,
    },
    advanced: {
      useSecureCookies: config.baseUrl.startsWith('https://'),
      defaultCookieAttributes: { httpOnly: true, sameSite: 'lax' },
    },
    logger: {
      disabled: config.logLevel === 'silent',
      log: (level, message, ...args) => {
        const fn = level === 'error' ? log.error : level === 'warn' ? log.warn : log.debug;
        fn(`auth: ${message}`, args.length ? { args } : undefined);
      },
    },
    databaseHooks: {
      user: {
        create: {
          // Every new user gets a personal workspace.
          after: async (user) => {
            await ensurePersonalWorkspace(db, { id: user.id, name: user.name }, { signupCredits: config.signupCredits });
          },
        },
      },
    },
  });
}

export type Auth = ReturnType<typeof createAuth>;

/** The signed-in user for a request's headers, or null. */
export async function getSessionUser(auth: Auth, headers: Headers) {
  const s = await auth.api.getSession({ headers });
  return s ? { id: s.user.id, name: s.user.name, email: s.user.email, sessionId: s.session.id } : null;
}
export type SessionUser = NonNullable<Awaited<ReturnType<typeof getSessionUser>>>;
