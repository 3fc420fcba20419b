/**
 * Invitations by email. The link carries a random token; only its SHA-256 is stored. A token is
 * single-use, expires (INVITATION_TTL_DAYS), can be revoked, and resending replaces it. Accepting
 * needs a signed-in account with the invited address (after sign-up works the same way).
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { DB, Role } from '../../db/schema.js';
import { composeMail, mailName } from '../mail/index.js';
import { hitLimit } from './rate-limits.js';
import { AppError } from '../shared/errors.js';
import { rooms } from '../shared/realtime.js';
import { requireVerifiedEmail } from './accounts.js';
import { publish } from '../boards/bus.js';
import type { Actor, Deps } from './deps.js';
import { AssignableRole } from './members.js';
import { notify } from './notifications.js';
import { requirePermission } from './workspaces.js';

export const InviteInput = z.object({
  workspaceId: z.uuid(),
  email: z.email('Enter an email address.').trim().toLowerCase().max(254),
  role: AssignableRole.default('editor'),
});

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const newToken = () => randomBytes(32).toString('base64url');

export interface InvitationView {
  id: string;
  email: string;
  role: Exclude<Role, 'owner'>;
  expiresAt: Date;
  sentAt: Date;
  expired: boolean;
  invitedBy: string | null;
}

type InviteDeps = Pick<Deps, 'db' | 'notifier' | 'mailer' | 'config'>;

async function sendInvitationMail(deps: InviteDeps, opts: { to: string; token: string; workspaceName: string; inviterName: string; role: string; expiresAt: Date }) {
  const url = `${deps.config.baseUrl}/invite/${opts.token}`;
  const workspace = mailName(opts.workspaceName);
  const inviter = mailName(opts.inviterName);
  await deps.mailer.send(
    composeMail({
      to: opts.to,
      subject: `${inviter} invited you to the workspace ${workspace} on Flux Klein`,
      heading: `Join the workspace ${workspace}`,
      paragraphs: [
        `${inviter} invited you to the workspace ${workspace} on Flux Klein as ${opts.role === 'admin' ? 'an admin' : `an ${opts.role}`}.`,
        `The link works once and until ${opts.expiresAt.toUTCString()}. If you do not have an account yet, you can create one with this address after opening it.`,
      ],
      action: { label: 'Accept the invitation', url },
      reason: 'You got this email because someone invited this address to a workspace. If you did not expect it, you can ignore it.',
    }),
  );
}

/** Invitations and resends are limited per sender and per workspace per hour (each send counts against both). */
async function requireInvitationBudget(deps: InviteDeps, actor: Actor, workspaceId: string) {
  const { perSenderPerHour, perWorkspacePerHour } = deps.config.invitationLimits;
  const sender = await hitLimit(deps.db, `invite-sender:${actor.userId}`, { max: perSenderPerHour, windowSeconds: 3600 });
  const workspace = sender.allowed ? await hitLimit(deps.db, `invite-workspace:${workspaceId}`, { max: perWorkspacePerHour, windowSeconds: 3600 }) : sender;
  if (!workspace.allowed) throw new AppError('TOO_MANY_INVITATIONS');
}

async function context(deps: InviteDeps, actor: Actor, workspaceId: string) {
  await requirePermission(deps.db, actor, workspaceId, 'members.manage');
  const ws = await deps.db.selectFrom('workspace').select(['id', 'name', 'kind']).where('id', '=', workspaceId).executeTakeFirstOrThrow();
  const inviter = await deps.db.selectFrom('user').select(['name', 'email']).where('id', '=', actor.userId).executeTakeFirstOrThrow();
  return { ws, inviterName: inviter.name || inviter.email };
}

/** Admins and owners invite (with a confirmed email address); a pending invitation to the same address is replaced. */
export async function inviteMember(deps: InviteDeps, actor: Actor, raw: z.input<typeof InviteInput>): Promise<InvitationView> {
  const input = InviteInput.parse(raw);
  const { ws, inviterName } = await context(deps, actor, input.workspaceId);
  await requireVerifiedEmail(deps.db, actor);
  if (ws.kind !== 'team') throw new AppError('INVALID_INPUT', { userMessage: 'Invite people to a team workspace: create one first.' });
  const member = await deps.db
    .selectFrom('membership')
    .innerJoin('user', 'user.id', 'membership.user_id')
    .select('user.id')
    .where('membership.workspace_id', '=', ws.id)
    .where(sql`lower(${sql.ref('user.email')})`, '=', input.email)
    .executeTakeFirst();
  if (member) throw new AppError('CONFLICT', { userMessage: `${input.email} is already a member of this workspace.` });
  await requireInvitationBudget(deps, actor, ws.id);
  const token = newToken();
  const expiresAt = new Date(Date.now() + deps.config.invitationTtlDays * 86400_000);
  const row = await deps.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('invitation')
      .set({ revoked_at: new Date() })
      .where('workspace_id', '=', ws.id)
      .where(sql`lower(email)`, '=', input.email)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .execute();
    return trx
      .insertInto('invitation')
      .values({ workspace_id: ws.id, email: input.email, role: input.role, token_hash: hashToken(token), invited_by: actor.userId, expires_at: expiresAt })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
  await sendInvitationMail(deps, { to: input.email, token, workspaceName: ws.name, inviterName, role: input.role, expiresAt });
  const existing = await deps.db.selectFrom('user').select('id').where(sql`lower(email)`, '=', input.email).executeTakeFirst();
  if (existing) {
    // The notification links to the invitation by id (not by token): only this account, with a
    // confirmed address that is the invited one, can open and accept it there.
    await notify(deps, { userId: existing.id, workspaceId: null, kind: 'invitation_received', title: `${inviterName} invited you to ${ws.name}`, body: 'Accept it here, or from the email we sent you.', link: `/invitations/${row.id}`, ref: row.id });
  }
  deps.notifier.emit(rooms.workspace(ws.id), 'workspace:changed', { workspaceId: ws.id, what: 'invitations' });
  return toView(row);
}

const toView = (r: { id: string; email: string; role: Exclude<Role, 'owner'>; expires_at: Date; sent_at: Date; invited_by: string | null }): InvitationView => ({
  id: r.id,
  email: r.email,
  role: r.role,
  expiresAt: r.expires_at,
  sentAt: r.sent_at,
  expired: r.expires_at.getTime() <= Date.now(),
  invitedBy: r.invited_by,
});

/** Pending (not accepted, not revoked) invitations, expired ones marked. */
export async function listInvitations(deps: Pick<Deps, 'db'>, actor: Actor, workspaceId: string): Promise<InvitationView[]> {
  await requirePermission(deps.db, actor, workspaceId, 'members.manage');
  const rows = await deps.db
    .selectFrom('invitation')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map(toView);
}

async function pendingInvitation(deps: Pick<Deps, 'db'>, actor: Actor, invitationId: string) {
  const inv = await deps.db.selectFrom('invitation').selectAll().where('id', '=', invitationId).executeTakeFirst();
  if (!inv) throw new AppError('NOT_FOUND');
  await requirePermission(deps.db, actor, inv.workspace_id, 'members.manage');
  if (inv.accepted_at) throw new AppError('INVITATION_USED');
  if (inv.revoked_at) throw new AppError('INVITATION_REVOKED');
  return inv;
}

export async function revokeInvitation(deps: Pick<Deps, 'db' | 'notifier'>, actor: Actor, invitationId: string) {
  const inv = await pendingInvitation(deps, actor, invitationId);
  await deps.db.updateTable('invitation').set({ revoked_at: new Date() }).where('id', '=', inv.id).where('accepted_at', 'is', null).execute();
  deps.notifier.emit(rooms.workspace(inv.workspace_id), 'workspace:changed', { workspaceId: inv.workspace_id, what: 'invitations' });
  return { id: inv.id };
}

/** Sends a fresh link (the old one stops working) with a new expiry. */
export async function resendInvitation(deps: InviteDeps, actor: Actor, invitationId: string): Promise<InvitationView> {
  const inv = await pendingInvitation(deps, actor, invitationId);
  await requireVerifiedEmail(deps.db, actor);
  const { ws, inviterName } = await context(deps, actor, inv.workspace_id);
  await requireInvitationBudget(deps, actor, ws.id);
  const token = newToken();
  const expiresAt = new Date(Date.now() + deps.config.invitationTtlDays * 86400_000);
  const row = await deps.db
    .updateTable('invitation')
    .set({ token_hash: hashToken(token), expires_at: expiresAt, sent_at: new Date() })
    .where('id', '=', inv.id)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new AppError('CONFLICT', { userMessage: 'This invitation was accepted or withdrawn in the meantime.' });
  await sendInvitationMail(deps, { to: row.email, token, workspaceName: ws.name, inviterName, role: row.role, expiresAt });
  return toView(row);
}

export type InvitationStatus = 'pending' | 'expired' | 'used' | 'revoked';

/**
 * How an invitation is found: by the token from the email (the token is the secret), or by its id
 * for the signed-in person it was sent to (from their notification): then their account's address
 * must be the invited one, or the invitation does not exist for them.
 */
export type InvitationKey = { token: string } | { invitationId: string };

async function invitedAddressOf(db: Kysely<DB>, actor: Actor | null): Promise<{ email: string; emailVerified: boolean } | null> {
  if (!actor) return null;
  return (await db.selectFrom('user').select(['email', 'emailVerified']).where('id', '=', actor.userId).executeTakeFirst()) ?? null;
}

const keyFilter = (key: InvitationKey) => ('token' in key ? ({ column: 'invitation.token_hash', value: hashToken(key.token) } as const) : ({ column: 'invitation.id', value: key.invitationId } as const));

/** What the invitation page shows before accepting; nothing about invitations one may not open. */
export async function invitationInfo(deps: Pick<Deps, 'db'>, key: InvitationKey, actor: Actor | null = null) {
  const { column, value } = keyFilter(key);
  const inv = await deps.db
    .selectFrom('invitation')
    .innerJoin('workspace', 'workspace.id', 'invitation.workspace_id')
    .leftJoin('user', 'user.id', 'invitation.invited_by')
    .select(['invitation.id', 'invitation.email', 'invitation.role', 'invitation.expires_at', 'invitation.accepted_at', 'invitation.revoked_at', 'workspace.name as workspaceName', 'user.name as inviterName'])
    .where(column, '=', value)
    .executeTakeFirst();
  if (!inv) return null;
  if ('invitationId' in key && (await invitedAddressOf(deps.db, actor))?.email.toLowerCase() !== inv.email.toLowerCase()) return null;
  const status: InvitationStatus = inv.accepted_at ? 'used' : inv.revoked_at ? 'revoked' : inv.expires_at.getTime() <= Date.now() ? 'expired' : 'pending';
  return { email: inv.email, role: inv.role, workspaceName: inv.workspaceName, inviterName: inv.inviterName ?? 'Someone', status, expiresAt: inv.expires_at };
}

/**
 * Accepts with the signed-in account. Refused when expired, used, revoked or sent to another
 * address (the invitation stays usable by the right person). Marks the token used and adds the
 * membership in one transaction, so two tabs cannot both use it.
 */
export async function acceptInvitation(deps: Pick<Deps, 'db' | 'notifier'>, actor: Actor, key: InvitationKey): Promise<{ workspaceId: string; role: Role }> {
  const byId = 'invitationId' in key;
  const result = await deps.db.transaction().execute(async (trx) => {
    const { column, value } = keyFilter(key);
    const inv = await trx.selectFrom('invitation').selectAll().where(column, '=', value).forUpdate().executeTakeFirst();
    const user = await trx.selectFrom('user').select(['id', 'email', 'name', 'emailVerified']).where('id', '=', actor.userId).executeTakeFirst();
    if (!user) throw new AppError('UNAUTHORIZED');
    const sameAddress = inv !== undefined && user.email.toLowerCase() === inv.email.toLowerCase();
    if (!inv || (byId && !sameAddress)) {
      throw new AppError('NOT_FOUND', { userMessage: byId ? 'This invitation was not found for your account.' : 'This invitation link is not valid. Check that you copied all of it.' });
    }
    // Without the emailed token nothing proves the address is theirs, except its confirmation.
    if (byId && !user.emailVerified) {
      throw new AppError('FORBIDDEN', { userMessage: 'Confirm your email address first (follow the link we sent you), or accept from the invitation email.' });
    }
    if (inv.accepted_at) throw new AppError('INVITATION_USED');
    if (inv.revoked_at) throw new AppError('INVITATION_REVOKED');
    if (inv.expires_at.getTime() <= Date.now()) throw new AppError('INVITATION_EXPIRED');
    if (!sameAddress) throw new AppError('INVITATION_WRONG_EMAIL', { userMessage: `This invitation was sent to ${inv.email}. Sign in with that address to accept it.` });
    await trx.updateTable('invitation').set({ accepted_at: new Date(), accepted_by: actor.userId }).where('id', '=', inv.id).execute();
    const existing = await trx.selectFrom('membership').select('role').where('workspace_id', '=', inv.workspace_id).where('user_id', '=', actor.userId).executeTakeFirst();
    if (!existing) {
      await trx.insertInto('membership').values({ workspace_id: inv.workspace_id, user_id: actor.userId, role: inv.role, last_active_at: new Date() }).execute();
      await publish(trx, { k: 'join', w: inv.workspace_id, u: actor.userId });
    }
    const ws = await trx.selectFrom('workspace').select('name').where('id', '=', inv.workspace_id).executeTakeFirstOrThrow();
    return { inv, user, joined: !existing, role: existing?.role ?? inv.role, workspaceName: ws.name };
  });
  const { inv, user, joined, workspaceName } = result;
  if (joined) {
    const who = user.name || user.email;
    if (inv.invited_by) {
      await notify(deps, { userId: inv.invited_by, workspaceId: inv.workspace_id, kind: 'invitation_accepted', title: `${who} accepted your invitation`, body: `They joined ${workspaceName}.`, link: `/workspaces/${inv.workspace_id}`, ref: inv.id });
    }
    const others = await deps.db.selectFrom('membership').select('user_id').where('workspace_id', '=', inv.workspace_id).where('user_id', 'not in', [actor.userId, ...(inv.invited_by ? [inv.invited_by] : [])]).execute();
    for (const o of others) {
      await notify(deps, { userId: o.user_id, workspaceId: inv.workspace_id, kind: 'member_joined', title: `${who} joined ${workspaceName}`, body: null, link: `/workspaces/${inv.workspace_id}`, ref: `${inv.workspace_id}:${actor.userId}:${inv.id}` });
    }
    deps.notifier.emit(rooms.workspace(inv.workspace_id), 'workspace:changed', { workspaceId: inv.workspace_id, what: 'members' });
  }
  return { workspaceId: inv.workspace_id, role: result.role };
}
