/**
 * Team workspaces and their members. Who may do what (the role matrix) is decided here, so tRPC,
 * loaders, sockets and jobs all get the same answer:
 *
 * | action                                   | viewer | editor | admin | owner |
 * | ---------------------------------------- | ------ | ------ | ----- | ----- |
 * | see the workspace, members, boards       |   ✓    |   ✓    |   ✓   |   ✓   |
 * | create / rename boards, edit boards      |        |   ✓    |   ✓   |   ✓   |
 * | delete boards                            |        |        |   ✓   |   ✓   |
 * | invite, revoke, resend, change roles,    |        |        |   ✓   |   ✓   |
 * |   remove members (never the owner)       |        |        |       |       |
 * | rename, delete, transfer ownership       |        |        |       |   ✓   |
 * | leave (owners transfer first)            |   ✓    |   ✓    |   ✓   |       |
 */
import { sql, type Kysely } from 'kysely';
import { audit } from './audit.js';
import { z } from 'zod';
import type { DB, Role } from '../../db/schema.js';
import { AppError } from '../shared/errors.js';
import { rooms } from '../shared/realtime.js';
import { publish } from '../boards/bus.js';
import type { Actor, Deps } from './deps.js';
import { requirePermission, requireRole } from './workspaces.js';
import { recordCredit } from './credits.js';
import { allThumbKeys } from './thumbnails.js';


export const WorkspaceNameInput = z.string().trim().min(1, 'Give the workspace a name.').max(60, 'Keep the name under 60 characters.');
export const AssignableRole = z.enum(['admin', 'editor', 'viewer']);

type MembersDeps = Pick<Deps, 'db' | 'notifier'> & Partial<Pick<Deps, 'storage' | 'log'>>;

function changed(deps: Pick<Deps, 'notifier'>, workspaceId: string, what: 'members' | 'invitations' | 'boards' | 'workspace') {
  deps.notifier.emit(rooms.workspace(workspaceId), 'workspace:changed', { workspaceId, what });
}

async function teamWorkspace(db: Kysely<DB>, workspaceId: string) {
  const ws = await db.selectFrom('workspace').select(['id', 'name', 'kind']).where('id', '=', workspaceId).executeTakeFirst();
  if (!ws) throw new AppError('NOT_FOUND');
  return ws;
}

/**
 * A new team workspace, owned by the actor. With billing off there is no way to buy credits, so it
 * starts with `TEAM_STARTING_CREDITS` (once, keyed by the workspace); with billing on it starts at 0.
 */
export async function createTeamWorkspace(deps: MembersDeps & Pick<Deps, 'config'>, actor: Actor, rawName: string) {
  const name = WorkspaceNameInput.parse(rawName);
  const ws = await deps.db.transaction().execute(async (trx) => {
    const row = await trx.insertInto('workspace').values({ name, kind: 'team' }).returning(['id', 'name', 'kind']).executeTakeFirstOrThrow();
    await trx.insertInto('membership').values({ workspace_id: row.id, user_id: actor.userId, role: 'owner', last_active_at: new Date() }).execute();
    const grant = deps.config.stripe ? 0 : deps.config.teamStartingCredits;
    if (grant > 0) await recordCredit(trx, { workspaceId: row.id, userId: actor.userId, delta: grant, reason: 'team_grant', ref: row.id });
    await publish(trx, { k: 'join', w: row.id, u: actor.userId });
    return row;
  });
  return { ...ws, role: 'owner' as Role };
}

export async function getWorkspace(db: Kysely<DB>, actor: Actor, workspaceId: string) {
  const role = await requireRole(db, actor, workspaceId, 'viewer');
  const ws = await teamWorkspace(db, workspaceId);
  return { ...ws, role };
}

export async function renameWorkspace(deps: MembersDeps, actor: Actor, workspaceId: string, rawName: string) {
  const name = WorkspaceNameInput.parse(rawName);
  await requirePermission(deps.db, actor, workspaceId, 'workspace.rename');
  const row = await deps.db.updateTable('workspace').set({ name }).where('id', '=', workspaceId).returning(['id', 'name', 'kind']).executeTakeFirstOrThrow();
  changed(deps, workspaceId, 'workspace');
  return row;
}

/** Owner only; a team workspace only (the personal one goes with the account). `confirmName` must match. */
export async function deleteWorkspace(deps: MembersDeps, actor: Actor, workspaceId: string, confirmName: string) {
  await requirePermission(deps.db, actor, workspaceId, 'workspace.delete');
  const ws = await teamWorkspace(deps.db, workspaceId);
  if (ws.kind !== 'team') throw new AppError('INVALID_INPUT', { userMessage: 'Your personal workspace cannot be deleted; delete your account instead.' });
  if (confirmName.trim() !== ws.name) throw new AppError('INVALID_INPUT', { userMessage: `Type the workspace name, “${ws.name}”, to confirm.` });
  const files = await deps.db.selectFrom('asset').select(['id', 'storage_key']).where('workspace_id', '=', workspaceId).execute();
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('workspace').where('id', '=', workspaceId).execute(); // members, boards, invitations, assets cascade
    await publish(trx, { k: 'kick', w: workspaceId, u: null });
  });
  changed(deps, workspaceId, 'workspace');
  if (deps.storage) {
    const storage = deps.storage;
    await Promise.all(files.flatMap((f) => [storage.delete(f.storage_key), ...allThumbKeys(f.id).map((k) => storage.delete(k))])).catch((err) => deps.log?.warn('deleting a workspace’s files failed', { err }));
  }
  return { id: workspaceId };
}

export interface MemberView {
  userId: string;
  name: string;
  email: string;
  role: Role;
  joinedAt: Date;
  lastActiveAt: Date | null;
}

/** Members with roles and their last activity (board edits, visits, generations) in this workspace. */
export async function listMembers(db: Kysely<DB>, actor: Actor, workspaceId: string): Promise<MemberView[]> {
  await requireRole(db, actor, workspaceId, 'viewer');
  const rows = await db
    .selectFrom('membership')
    .innerJoin('user', 'user.id', 'membership.user_id')
    .select([
      'membership.user_id',
      'user.name',
      'user.email',
      'membership.role',
      'membership.created_at',
      sql<Date | null>`greatest(membership.last_active_at, (select max(g.created_at) from generation g where g.workspace_id = membership.workspace_id and g.user_id = membership.user_id))`.as('last_active'),
    ])
    .where('membership.workspace_id', '=', workspaceId)
    .orderBy(sql`case membership.role when 'owner' then 0 when 'admin' then 1 when 'editor' then 2 else 3 end`)
    .orderBy('user.name')
    .execute();
  return rows.map((r) => ({ userId: r.user_id, name: r.name, email: r.email, role: r.role, joinedAt: r.created_at, lastActiveAt: r.last_active }));
}

async function targetMembership(db: Kysely<DB>, workspaceId: string, userId: string) {
  const m = await db.selectFrom('membership').select(['role']).where('workspace_id', '=', workspaceId).where('user_id', '=', userId).executeTakeFirst();
  if (!m) throw new AppError('NOT_FOUND', { userMessage: 'That person is not a member of this workspace.' });
  return m;
}

/** Admins and owners change roles; nobody changes the owner's role here (transfer ownership instead). */
export async function setMemberRole(deps: MembersDeps, actor: Actor, workspaceId: string, userId: string, rawRole: string) {
  const role = AssignableRole.parse(rawRole);
  await requirePermission(deps.db, actor, workspaceId, 'members.manage');
  if (userId === actor.userId) throw new AppError('FORBIDDEN', { userMessage: 'You cannot change your own role.' });
  const target = await targetMembership(deps.db, workspaceId, userId);
  if (target.role === 'owner') throw new AppError('FORBIDDEN', { userMessage: 'The owner’s role changes only by transferring ownership.' });
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('membership').set({ role }).where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute();
    await publish(trx, { k: 'role', w: workspaceId, u: userId });
    await audit(trx, actor.userId, 'role.changed', { workspaceId, memberId: userId, from: target.role, to: role });
  });
  changed(deps, workspaceId, 'members');
  return { userId, role };
}

/** Admins and owners remove members (never the owner); the removed member's open boards close at once. */
export async function removeMember(deps: MembersDeps, actor: Actor, workspaceId: string, userId: string) {
  await requirePermission(deps.db, actor, workspaceId, 'members.manage');
  if (userId === actor.userId) throw new AppError('INVALID_INPUT', { userMessage: 'To leave the workspace, use “Leave workspace”.' });
  const target = await targetMembership(deps.db, workspaceId, userId);
  if (target.role === 'owner') throw new AppError('FORBIDDEN', { userMessage: 'The owner cannot be removed.' });
  await dropMembership(deps, workspaceId, userId);
  return { userId };
}

/** Any member but the owner may leave a team workspace. */
export async function leaveWorkspace(deps: MembersDeps, actor: Actor, workspaceId: string) {
  const role = await requireRole(deps.db, actor, workspaceId, 'viewer');
  const ws = await teamWorkspace(deps.db, workspaceId);
  if (ws.kind !== 'team') throw new AppError('INVALID_INPUT', { userMessage: 'You cannot leave your personal workspace.' });
  if (role === 'owner') throw new AppError('FORBIDDEN', { userMessage: 'Transfer ownership to another member before you leave.' });
  await dropMembership(deps, workspaceId, actor.userId);
  return { workspaceId };
}

async function dropMembership(deps: MembersDeps, workspaceId: string, userId: string) {
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('membership').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute();
    await publish(trx, { k: 'kick', w: workspaceId, u: userId });
  });
  changed(deps, workspaceId, 'members');
  deps.notifier.emit(rooms.user(userId), 'workspace:changed', { workspaceId, what: 'members' });
}

/** The owner hands the workspace to another member, and becomes an admin. */
export async function transferOwnership(deps: MembersDeps, actor: Actor, workspaceId: string, userId: string) {
  await requirePermission(deps.db, actor, workspaceId, 'workspace.transfer');
  if (userId === actor.userId) throw new AppError('INVALID_INPUT', { userMessage: 'You already own this workspace.' });
  const ws = await teamWorkspace(deps.db, workspaceId);
  if (ws.kind !== 'team') throw new AppError('INVALID_INPUT', { userMessage: 'A personal workspace cannot be transferred.' });
  await deps.db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom('membership').select(['user_id', 'role']).where('workspace_id', '=', workspaceId).where('user_id', 'in', [actor.userId, userId]).forUpdate().execute();
    if (rows.find((r) => r.user_id === actor.userId)?.role !== 'owner') throw new AppError('FORBIDDEN');
    if (!rows.some((r) => r.user_id === userId)) throw new AppError('NOT_FOUND', { userMessage: 'That person is not a member of this workspace.' });
    await trx.updateTable('membership').set({ role: 'owner' }).where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute();
    await trx.updateTable('membership').set({ role: 'admin' }).where('workspace_id', '=', workspaceId).where('user_id', '=', actor.userId).execute();
    await publish(trx, { k: 'role', w: workspaceId, u: userId });
    await publish(trx, { k: 'role', w: workspaceId, u: actor.userId });
    await audit(trx, actor.userId, 'role.changed', { workspaceId, memberId: userId, to: 'owner', previousOwner: actor.userId });
  });
  changed(deps, workspaceId, 'members');
  return { ownerId: userId };
}
