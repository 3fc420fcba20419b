/**
 * Operators: the people named in ADMIN_EMAILS, who see other people's data on the /admin pages
 * (privacy requests today). Every admin page and procedure calls `requireOperator` first.
 *
 * An address in ADMIN_EMAILS is not proof by itself: anyone may sign up with it first. So the
 * account's address must be confirmed, and when the account has two-factor on, the session must
 * have been made by completing the second factor (`session.twoFactorVerified`), because
 * better-auth asks for it only on a password sign-in: a session from an OAuth sign-in, or one
 * that existed before two-factor was turned on, never passed it.
 *
 * Every refusal is NOT_FOUND, the same as for an address that is not listed at all: the admin
 * pages do not exist for anyone else, and an answer that differed would tell whoever registered
 * a listed address that it is one.
 */
import { AppError } from '../shared/errors.js';
import type { Actor, Deps } from './deps.js';

export async function isOperator(deps: Pick<Deps, 'db' | 'config'>, actor: Actor): Promise<boolean> {
  const user = await deps.db.selectFrom('user').select(['email', 'emailVerified', 'twoFactorEnabled']).where('id', '=', actor.userId).executeTakeFirst();
  if (!user || !user.emailVerified || !deps.config.adminEmails.includes(user.email.toLowerCase())) return false;
  if (!user.twoFactorEnabled) return true;
  if (!actor.sessionId) return false;
  const session = await deps.db
    .selectFrom('session')
    .select('id')
    .where('id', '=', actor.sessionId)
    .where('userId', '=', actor.userId)
    .where('twoFactorVerified', '=', true)
    .where('expiresAt', '>', new Date())
    .executeTakeFirst();
  return Boolean(session);
}

export async function requireOperator(deps: Pick<Deps, 'db' | 'config'>, actor: Actor): Promise<void> {
  if (!(await isOperator(deps, actor))) throw new AppError('NOT_FOUND');
}
