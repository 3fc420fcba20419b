import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { betterAuth } from 'better-auth';
import { twoFactor } from 'better-auth/plugins';
import { composeMail, type Mailer } from '../mail/index.js';
import { CLIENT_IP_HEADER } from '../http/security.js';
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

/** Rate limits on the auth endpoints (per client IP, kept in Postgres so they hold across processes). */
export const AUTH_RATE_LIMITS = {
  '/sign-in/email': { window: 60, max: 10 },
  '/sign-up/email': { window: 60, max: 10 },
  '/request-password-reset': { window: 300, max: 5 },
  '/send-verification-email': { window: 300, max: 5 },
  '/two-factor/*': { window: 60, max: 10 },
};

export function createAuth(opts: { config: Config; db: Kysely<DB>; log: Logger; mailer: Mailer }) {
  const { config, db, log, mailer } = opts;
  const send = (m: Parameters<typeof composeMail>[0]) =>
    mailer.send(composeMail(m)).catch((err) => log.error('auth mail failed', { err, subject: m.subject }));
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
      revokeSessionsOnPasswordReset: true,
      resetPasswordTokenExpiresIn: 60 * 60,
      sendResetPassword: async ({ user, url }) =>
        send({
          to: user.email,
          subject: 'Reset your Flux Klein password',
          heading: 'Reset your password',
          paragraphs: ['Someone asked to reset the password of the Flux Klein account for this address. If it was you, choose a new password with the link below. It works once, within an hour.', 'If it was not you, ignore this message: your password stays as it is.'],
          action: { label: 'Choose a new password', url },
          reason: 'You got this message because a password reset was requested for your account.',
        }),
    },
    emailVerification: {
      sendOnSignUp: true,
      autoSignInAfterVerification: true,
      expiresIn: 60 * 60 * 24,
      sendVerificationEmail: async ({ user, url }) =>
        send({
          to: user.email,
          subject: 'Confirm your email address for Flux Klein',
          heading: 'Confirm your email address',
          paragraphs: [`Welcome${user.name ? `, ${user.name}` : ''}! Please confirm that this address is yours. Until you do, you can use Flux Klein but cannot invite others.`],
          action: { label: 'Confirm my address', url },
          reason: 'You got this message because this address was used to create an account or was added to one.',
        }),
    },
    rateLimit: {
      enabled: config.authRateLimit,
      storage: 'database',
      window: 60,
      max: 200,
      customRules: AUTH_RATE_LIMITS,
    },
    plugins: [twoFactor({ issuer: 'Flux Klein', backupCodeOptions: { amount: 8 } })],
    session: {
      expiresIn: 60 * 60 * 24 * 30,
      updateAge: 60 * 60 * 24,
    },
    advanced: {
      useSecureCookies: config.baseUrl.startsWith('https://'),
      defaultCookieAttributes: { httpOnly: true, sameSite: 'lax' },
      // The client address as Express resolved it (server/http/security.ts overwrites any value a client sends).
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
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
