import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { betterAuth } from 'better-auth';
import { genericOAuth, twoFactor, type GenericOAuthConfig } from 'better-auth/plugins';
import { composeMail, type Mailer } from '../mail/index.js';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { DB } from '../../db/schema.js';
import { ensurePersonalWorkspace } from '../services/workspaces.js';
import { cancelDeletion } from '../services/privacy.js';
import { audit } from '../services/audit.js';
import { truncateIp } from '../services/consent.js';
import { acceptPolicies } from '../services/policies.js';
import type { Logger } from '../log.js';
import { APIError, createAuthMiddleware } from 'better-auth/api';
import { bannedMessage, maySignIn } from '../services/account-standing.js';
import { enforcePasswordPolicy } from './password-policy.js';
import { signInAddressLimit } from './sign-in-limit.js';
import { accountThrottleKey, CLIENT_IP_HEADER, REAL_IP_HEADER } from '../http/security.js';

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

/** The endpoints whose new session is the completion of a second factor. */
const SECOND_FACTOR_PATHS = new Set(['/two-factor/verify-totp', '/two-factor/verify-backup-code', '/two-factor/verify-otp']);

/** How passwords are hashed and checked (default: better-auth's scrypt). */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(data: { hash: string; password: string }): Promise<boolean>;
}

export function createAuth(opts: { config: Config; db: Kysely<DB>; log: Logger; mailer: Mailer; passwordHasher?: PasswordHasher }) {
  const { config, db, log, mailer } = opts;
  const limitSignInPerAddress = signInAddressLimit(db, config);
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
      ...(opts.passwordHasher ? { password: opts.passwordHasher } : {}),
      minPasswordLength: 8,
      maxPasswordLength: 128,
      // Sign-up answers the same whether or not the address has an account (no enumeration); the
      // sign-up form signs the person in right after, through the throttled sign-in.
      autoSignIn: false,
      onExistingUserSignUp: async ({ user }) =>
        send({
          to: user.email,
          subject: 'Someone tried to create a Flux Klein account with your address',
          heading: 'You already have an account',
          paragraphs: ['Someone (perhaps you) tried to create a new Flux Klein account with this address. You already have one, so nothing was created.', 'If it was you, sign in, or reset your password if you forgot it.'],
          action: { label: 'Sign in', url: `${config.baseUrl}/sign-in` },
          reason: 'You got this message because your address was entered on the sign-up page.',
        }),
      revokeSessionsOnPasswordReset: true,
      // Anyone can keep an account's sign-in limit tripped; the owner who proves the address by a
      // reset link gets in at once (the reset endpoints are limited per client address, not account).
      onPasswordReset: async ({ user }) => {
        await db.deleteFrom('rateLimit').where('key', '=', accountThrottleKey(user.email)).execute();
      },
      resetPasswordTokenExpiresIn: 60 * 60,
      // Not awaited: the answer must not wait for SMTP, or a known address would answer measurably
      // later than an unknown one (which sends nothing). `send` logs failures.
      sendResetPassword: async ({ user, url }) => {
        void send({
          to: user.email,
          subject: 'Reset your Flux Klein password',
          heading: 'Reset your password',
          paragraphs: ['Someone asked to reset the password of the Flux Klein account for this address. If it was you, choose a new password with the link below. It works once, within an hour.', 'If it was not you, ignore this message: your password stays as it is.'],
          action: { label: 'Choose a new password', url },
          reason: 'You got this message because a password reset was requested for your account.',
        });
      },
    },
    emailVerification: {
      sendOnSignUp: true,
      // A link is not a sign-in: signing in by it would skip the password and two-factor. The
      // person is usually signed in already (sign-up signs in); elsewhere /verify-email says "sign in".
      autoSignInAfterVerification: false,
      expiresIn: 60 * 60 * 24,
      sendVerificationEmail: async ({ user, url }) =>
        send({
          to: user.email,
          subject: 'Confirm your email address for Flux Klein',
          heading: 'Confirm your email address',
          paragraphs: [`Welcome${user.name ? `, ${user.name}` : ''}! Please confirm that this address is yours. Until you do, you can use Flux Klein but cannot invite others.`],
          action: { label: 'Confirm my address', url: landOnVerifyPage(url) },
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
    account: { accountLinking: { enabled: true, allowDifferentEmails: true } },
    user: {
      changeEmail: {
        enabled: true,
        // Two steps: the current address approves the move, then the new address confirms itself
        // (better-auth sends that second link through sendVerificationEmail). Nothing changes before both.
        sendChangeEmailConfirmation: async ({ user, newEmail, url }) =>
          send({
            to: user.email,
            subject: 'Approve the new email address for your Flux Klein account',
            heading: 'Approve the change of email address',
            paragraphs: [`Someone signed in to your Flux Klein account asked to change its address to ${newEmail}. If it was you, approve it below; we then send a confirmation link to the new address.`, 'If it was not you, ignore this message and change your password.'],
            action: { label: 'Approve the change', url },
            reason: 'You got this message because a change of email address was requested for your account.',
          }),
      },
    },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        // Sign-in attempts are limited per client address too (per account: the limiter below).
        await limitSignInPerAddress(ctx);
        // Every endpoint that sets a password refuses common ones and ones made of the name or address.
        await enforcePasswordPolicy(ctx);
      }),
    },
    plugins: [twoFactor({ issuer: 'Flux Klein', backupCodeOptions: { amount: 8 } }), ...oauthPlugins(config)],
    session: {
      expiresIn: 60 * 60 * 24 * 30,
      updateAge: 60 * 60 * 24,
      // Set only on sessions made by completing a second factor (see the session hook below).
      additionalFields: { twoFactorVerified: { type: 'boolean', required: false, defaultValue: false, input: false } },
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
      session: {
        create: {
          // Sign-in's limiter sees a per-account key as its "address"; the session records the real one.
          // A session made by /two-factor/verify-* passed the second factor; operator pages ask for
          // that when the account has two-factor on (server/services/operators.ts).
          before: async (session, ctx) => {
            // A banned account signs in by no path (password, OAuth, second factor); a trigger backs this up (0095).
            if (!(await maySignIn(db, session.userId))) {
              throw new APIError('FORBIDDEN', { message: bannedMessage(config.appealsEmail), code: 'ACCOUNT_BANNED' });
            }
            const real = ctx?.request?.headers.get(REAL_IP_HEADER) ?? ctx?.headers?.get(REAL_IP_HEADER);
            const secondFactor = SECOND_FACTOR_PATHS.has(ctx?.path ?? '');
            if (!real && !secondFactor) return undefined;
            return { data: { ...session, ...(real ? { ipAddress: real } : {}), ...(secondFactor ? { twoFactorVerified: true } : {}) } };
          },
          // Signing in during the grace period cancels a pending account deletion.
          after: async (session) => {
            await cancelDeletion({ db }, session.userId);
            await audit(db, session.userId, 'sign-in', { network: truncateIp(session.ipAddress) });
          },
        },
      },
      user: {
        create: {
          // Every new user gets a personal workspace.
          after: async (user) => {
            await ensurePersonalWorkspace(db, { id: user.id, name: user.name }, { signupCredits: config.signupCredits });
            await acceptPolicies(db, user.id, 'sign-up');
          },
        },
      },
    },
  });
}

/**
 * Verification links land on /verify-email (which says whether it worked) unless the caller named
 * another page, e.g. the account page for a change of address.
 */
function landOnVerifyPage(url: string): string {
  const link = new URL(url);
  const cb = link.searchParams.get('callbackURL');
  if (!cb || cb === '/') link.searchParams.set('callbackURL', '/verify-email');
  return link.toString();
}

/**
 * GitHub (its OAuth 2.0 endpoints and /user API) and Google (OpenID Connect discovery), through
 * better-auth's generic OAuth plugin so their endpoints can point at a local fake in tests. Only
 * what the account needs is kept: the provider's account id, email, name.
 */
function oauthPlugins(config: Config) {
  const { github, google } = config.oauth;
  const providers: GenericOAuthConfig[] = [];
  if (github) {
    providers.push({
      providerId: 'github',
      name: 'GitHub',
      clientId: github.clientId,
      clientSecret: github.clientSecret,
      authorizationUrl: `${github.oauthUrl}/login/oauth/authorize`,
      tokenUrl: `${github.oauthUrl}/login/oauth/access_token`,
      scopes: ['read:user', 'user:email'],
      getUserInfo: async (tokens) => {
        const headers = { authorization: `Bearer ${tokens.accessToken}`, accept: 'application/vnd.github+json', 'user-agent': 'flux-klein' };
        const res = await fetch(`${github.apiUrl}/user`, { headers });
        if (!res.ok) return null;
        const u = (await res.json()) as { id: number; login: string; name?: string | null; email?: string | null; avatar_url?: string };
        let email = u.email ?? null;
        let verified = Boolean(email);
        if (!email) {
          const emails = (await (await fetch(`${github.apiUrl}/user/emails`, { headers })).json().catch(() => [])) as { email: string; primary: boolean; verified: boolean }[];
          const primary = emails.find((e) => e.primary && e.verified);
          email = primary?.email ?? null;
          verified = Boolean(primary);
        }
        return { id: String(u.id), name: u.name || u.login, email, image: u.avatar_url, emailVerified: verified };
      },
    });
  }
  if (google) {
    providers.push({ providerId: 'google', name: 'Google', clientId: google.clientId, clientSecret: google.clientSecret, discoveryUrl: google.discoveryUrl, scopes: ['openid', 'email', 'profile'] });
  }
  return providers.length ? [genericOAuth({ config: providers })] : [];
}

export type Auth = ReturnType<typeof createAuth>;

/** The signed-in user for a request's headers, or null. */
export async function getSessionUser(auth: Auth, headers: Headers) {
  const s = await auth.api.getSession({ headers });
  return s ? { id: s.user.id, name: s.user.name, email: s.user.email, sessionId: s.session.id } : null;
}
export type SessionUser = NonNullable<Awaited<ReturnType<typeof getSessionUser>>>;
