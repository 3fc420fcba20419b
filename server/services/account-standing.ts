/**
 * An account's standing, the one record of it (`account_standing`, read through the
 * `active_standing` view: rows whose `until` has not passed; ADR 0022). Operators write it
 * (server/services/takedown.ts: suspend, ban, reinstate) and so does moderation (an automatic,
 * timed suspension after repeated refused prompts, server/services/moderation/prompts.ts). This
 * module is the one place that answers "may this person generate / sign in" and says why not.
 *
 * - suspended (by an operator until lifted, or by moderation until `until`): `requirePermission`
 *   refuses the actions in SUSPENDED_MAY_NOT with ACCOUNT_SUSPENDED, naming the reason, the end and
 *   how to appeal; the board socket opens boards read-only and the board append statement refuses
 *   the account's edits (server/boards/store.ts).
 * - banned: no session may be created (the better-auth session hook refuses with words, a trigger
 *   closes the race: migrations 0095, 0140), and the ban deletes every session, which ends the
 *   account's sockets on every process (the session-end trigger, server/realtime/sessions.ts).
 *
 * Lifting (an operator's reinstate, from /admin/users, /admin/moderation or a granted appeal) deletes
 * the one row, so every check above passes again at once, and clears the refusal count.
 */
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { publish } from '../boards/bus.js';
import { AppError } from '../shared/errors.js';
import type { Permission } from '../shared/permissions.js';
import { reasonLabel } from '../shared/reports.js';

export type Standing = 'good' | 'suspended' | 'banned';

/** What a suspended account may not do (it may still look, download, delete and leave). */
export const SUSPENDED_MAY_NOT: ReadonlySet<Permission> = new Set<Permission>(['generation.create', 'asset.upload', 'board.create', 'board.edit', 'board.rename', 'board.comment', 'board.share']);

/** The row as the checks read it (from `active_standing`; all null: good standing). */
export interface StandingRow {
  status: 'suspended' | 'banned' | null;
  reason: string | null;
  note: string | null;
  until: Date | null;
  source: 'operator' | 'moderation' | null;
}

export interface StandingView {
  status: Standing;
  /** the reason code (REPORT_REASONS or 'refused_prompts') */
  reason: string | null;
  reasonLabel: string | null;
  /** what moderation counted, for an automatic suspension (an operator's note is told by mail, not shown here) */
  detail: string | null;
  since: Date | null;
  /** when it ends by itself; null: until an operator lifts it */
  until: Date | null;
  source: 'operator' | 'moderation' | null;
}

/** The person's standing now. */
export async function standingOf(db: Kysely<DB>, userId: string): Promise<StandingView> {
  const row = await db.selectFrom('active_standing').select(['status', 'reason', 'note', 'since', 'until', 'source']).where('user_id', '=', userId).executeTakeFirst();
  if (!row) return { status: 'good', reason: null, reasonLabel: null, detail: null, since: null, until: null, source: null };
  return {
    status: row.status,
    reason: row.reason,
    reasonLabel: reasonLabel(row.reason),
    detail: row.source === 'moderation' ? row.note : null,
    since: row.since,
    until: row.until,
    source: row.source,
  };
}

const when = (d: Date) => d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';

/** What a suspended person reads when an action is refused: why, until when, and how to appeal. */
export function suspendedMessage(row: Pick<StandingRow, 'reason' | 'note' | 'until' | 'source'>): string {
  const end = row.until ? ` until ${when(row.until)}` : ' until moderators lift it';
  const detail = row.source === 'moderation' && row.note ? ` (${row.note.replace(/\.$/, '')})` : '';
  return (
    `Your account is suspended${end}. Reason: ${reasonLabel(row.reason ?? 'other')}${detail}. ` +
    'You can still look at, download and delete your work, but not generate, upload or change boards. ' +
    'If you think this is a mistake, ask for a review on your account page (Settings → Account) or in the studio.'
  );
}

/** The refusal for an account in this standing taking a blocked action, or null. */
export function standingRefusal(row: StandingRow | null | undefined, permission: Permission): AppError | null {
  if (!row?.status) return null;
  if (row.status === 'banned') return new AppError('ACCOUNT_BANNED');
  if (SUSPENDED_MAY_NOT.has(permission)) return new AppError('ACCOUNT_SUSPENDED', { userMessage: suspendedMessage(row) });
  return null;
}

/** Whether the person may sign in (a banned account may not; see the session hook and trigger). */
export async function maySignIn(db: Kysely<DB>, userId: string): Promise<boolean> {
  return (await standingOf(db, userId)).status !== 'banned';
}

/** Open appeals about an account whose earlier standing ran out are closed as 'ended' before a new decision. */
async function endStaleAppeals(trx: Transaction<DB>, userId: string, hadActive: boolean): Promise<void> {
  if (hadActive) return;
  await trx.updateTable('appeal').set({ status: 'ended', answered_at: new Date() }).where('user_id', '=', userId).where('asset_id', 'is', null).where('status', '=', 'open').execute();
}

/**
 * Moderation's automatic suspension, until `until`. Written only when the account has no standing
 * in force (an operator's suspension or ban is at least as strong and is kept); a row that ran out
 * is replaced. True when it was written.
 */
export async function suspendAutomatically(trx: Transaction<DB>, userId: string, s: { note: string; until: Date }): Promise<boolean> {
  const active = await trx.selectFrom('active_standing').select('status').where('user_id', '=', userId).executeTakeFirst();
  if (active) return false;
  await endStaleAppeals(trx, userId, false);
  await trx
    .insertInto('account_standing')
    .values({ user_id: userId, status: 'suspended', reason: 'refused_prompts', note: s.note, decided_by: null, until: s.until, source: 'moderation' })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ status: 'suspended', reason: 'refused_prompts', note: s.note, decided_by: null, since: new Date(), until: s.until, source: 'moderation' }))
    .execute();
  return true;
}

/** An operator's suspension or ban, until lifted; replaces whatever was there (an automatic suspension included). */
export async function setOperatorStanding(trx: Transaction<DB>, userId: string, s: { status: 'suspended' | 'banned'; reason: string; note: string | null; decidedBy: string }): Promise<void> {
  const active = await trx.selectFrom('active_standing').select('status').where('user_id', '=', userId).executeTakeFirst();
  await endStaleAppeals(trx, userId, Boolean(active));
  const row = { status: s.status, reason: s.reason, note: s.note, decided_by: s.decidedBy, until: null, source: 'operator' as const };
  await trx
    .insertInto('account_standing')
    .values({ user_id: userId, ...row })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ ...row, since: new Date() }))
    .execute();
}

/**
 * Lifts whatever standing is in force (suspension of either source, or ban): the one row goes, so
 * every check passes again at once. The refusal count goes too, or the next refused prompt would
 * suspend again at once. Null when the account was in good standing.
 */
export async function liftStanding(trx: Transaction<DB>, userId: string): Promise<{ was: 'suspended' | 'banned'; source: 'operator' | 'moderation' } | null> {
  const active = await trx.selectFrom('active_standing').select(['status', 'source']).where('user_id', '=', userId).executeTakeFirst();
  await trx.deleteFrom('account_standing').where('user_id', '=', userId).execute();
  await trx.deleteFrom('moderation_refusal').where('user_id', '=', userId).execute();
  return active ? { was: active.status, source: active.source } : null;
}

/** Open boards follow a change at once: each process re-checks the person's boards (server/boards/socket.ts). */
export async function announceStanding(db: Kysely<DB>, userId: string): Promise<void> {
  const workspaces = await db.selectFrom('membership').select('workspace_id').where('user_id', '=', userId).execute();
  for (const w of workspaces) await publish(db, { k: 'role', w: w.workspace_id, u: userId });
}

/** The words a banned person sees (server/shared/reports.ts, shared with the sign-in page). */
export { bannedMessage, banAppealHowTo } from '../shared/reports.js';
