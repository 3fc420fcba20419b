/**
 * An account's standing: good (no row), suspended or banned (`account_standing`, set by operators
 * in server/services/takedown.ts). What each means is enforced where the action happens:
 *
 * - suspended: `requirePermission` refuses the actions in SUSPENDED_MAY_NOT with ACCOUNT_SUSPENDED
 *   (generate, upload, create or change boards); the board socket opens boards read-only and the
 *   board append statement refuses the account's edits (server/boards/store.ts).
 * - banned: no session may be created (the better-auth session hook refuses with words, a trigger
 *   closes the race: migration 0095), and the ban deletes every session, which ends the account's
 *   sockets on every process (the session-end trigger, server/realtime/sessions.ts).
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError } from '../shared/errors.js';
import type { Permission } from '../shared/permissions.js';

export type Standing = 'good' | 'suspended' | 'banned';

/** What a suspended account may not do (it may still look, download, delete and leave). */
export const SUSPENDED_MAY_NOT: ReadonlySet<Permission> = new Set<Permission>(['generation.create', 'asset.upload', 'board.create', 'board.edit', 'board.rename', 'board.comment', 'board.share']);

export async function standingOf(db: Kysely<DB>, userId: string): Promise<{ status: Standing; reason: string | null; since: Date | null }> {
  const row = await db.selectFrom('account_standing').select(['status', 'reason', 'since']).where('user_id', '=', userId).executeTakeFirst();
  return row ? { status: row.status, reason: row.reason, since: row.since } : { status: 'good', reason: null, since: null };
}

/** The refusal for an account in this standing taking a blocked action, or null. */
export function standingRefusal(status: Standing | null | undefined, permission: Permission): AppError | null {
  if (status === 'banned') return new AppError('ACCOUNT_BANNED');
  if (status === 'suspended' && SUSPENDED_MAY_NOT.has(permission)) return new AppError('ACCOUNT_SUSPENDED');
  return null;
}

/** The words a banned person sees (server/shared/reports.ts, shared with the sign-in page). */
export { bannedMessage, banAppealHowTo } from '../shared/reports.js';
