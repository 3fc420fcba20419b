import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Config } from '../config.js';
import { AppError } from '../shared/errors.js';
import type { Actor } from './deps.js';

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
