import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Config } from '../config.js';
import { AppError } from '../shared/errors.js';
import type { Actor } from './deps.js';
import { truncateIp } from './consent.js';

/** Unconfirmed accounts can use the product but cannot bring others in (invitations call this). */
export async function requireVerifiedEmail(db: Kysely<DB>, actor: Actor): Promise<void> {
  const user = await db.selectFrom('user').select('emailVerified').where('id', '=', actor.userId).executeTakeFirst();
  if (!user) throw new AppError('UNAUTHORIZED');
  if (!user.emailVerified) {
    throw new AppError('FORBIDDEN', { userMessage: 'Verify your email address first: follow the link we sent you, or ask for a new one on your account page.' });
  }
}

export type SignInProvider = 'github' | 'google';
export interface SignInMethod {
  /** better-auth's account row id (what unlinking takes). */
  id: string;
  /** `credential` (email and password), `github` or `google`. */
  providerId: string;
  /** The provider's id for the person ("auth provider ID"); for `credential`, our user id. */
  accountId: string;
  createdAt: Date;
}

/**
 * The ways the actor can sign in, and the configured providers not linked yet. Read-only: linking
 * and unlinking go through better-auth (`/link-social`, `/unlink-account`), which refuses to remove
 * the last method.
 */
export async function listSignInMethods(deps: { db: Kysely<DB>; config: Pick<Config, 'oauth'> }, actor: Actor) {
  const methods: SignInMethod[] = await deps.db
    .selectFrom('account')
    .select(['id', 'providerId', 'accountId', 'createdAt'])
    .where('userId', '=', actor.userId)
    .orderBy('createdAt')
    .execute();
  const configured = Object.keys(deps.config.oauth) as SignInProvider[];
  return {
    methods,
    available: configured.filter((p) => !methods.some((m) => m.providerId === p)),
    /** False when only one method is left: the page does not offer to remove it. */
    canRemove: methods.length > 1,
  };
}

/**
 * The actor's live sessions for the security page, by session id: the token (the bearer secret
 * in the cookie) never leaves the server, and the address is shown as its network only.
 */
export async function listMySessions(db: Kysely<DB>, actor: Actor, currentSessionId: string) {
  const rows = await db
    .selectFrom('session')
    .select(['id', 'userAgent', 'ipAddress', 'updatedAt'])
    .where('userId', '=', actor.userId)
    .where('expiresAt', '>', new Date())
    .execute();
  return rows
    .map((s) => ({ id: s.id, userAgent: s.userAgent, network: truncateIp(s.ipAddress), lastActive: s.updatedAt, current: s.id === currentSessionId }))
    .sort((a, b) => Number(b.current) - Number(a.current) || +new Date(b.lastActive) - +new Date(a.lastActive));
}

/**
 * Signs one of the actor's own devices out, named by session id. Another person's session is
 * NOT_FOUND (the same answer as for an id that does not exist). The revocation itself goes
 * through better-auth (`revokeSession`), so its session hooks run.
 */
export async function revokeMySession(
  deps: { db: Kysely<DB>; revokeByToken: (token: string) => Promise<unknown> },
  actor: Actor,
  sessionId: string,
): Promise<{ id: string }> {
  const row = await deps.db.selectFrom('session').select('token').where('id', '=', sessionId).where('userId', '=', actor.userId).executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  await deps.revokeByToken(row.token);
  return { id: sessionId };
}
