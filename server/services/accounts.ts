import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError } from '../shared/errors.js';
import type { Actor } from './deps.js';

/** Unconfirmed accounts can use the product but cannot bring others in (invitations call this). */
export async function requireVerifiedEmail(db: Kysely<DB>, actor: Actor): Promise<void> {
  const user = await db.selectFrom('user').select('emailVerified').where('id', '=', actor.userId).executeTakeFirst();
  if (!user) throw new AppError('UNAUTHORIZED');
  if (!user.emailVerified) {
    throw new AppError('FORBIDDEN', { userMessage: 'Confirm your email address first: follow the link we sent you, or ask for a new one on your account page.' });
  }
}
