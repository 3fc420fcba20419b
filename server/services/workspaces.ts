import type { Kysely } from 'kysely';
import type { DB, Role } from '../../db/schema.js';
import { AppError } from '../shared/errors.js';
import { can, deniedReason, ROLE_RANK, type Permission } from '../shared/permissions.js';
import type { Actor } from './deps.js';
import { recordCredit } from './ledger.js';
import { standingRefusal } from './account-standing.js';


/** Creates the personal workspace every user has, with the sign-up credit grant; safe to call twice. */
export async function ensurePersonalWorkspace(db: Kysely<DB>, user: { id: string; name: string }, opts: { signupCredits?: number } = {}): Promise<string> {
  return db.transaction().execute(async (trx) => {
    // Serialise per user so two concurrent calls cannot create two personal workspaces.
    await trx.selectFrom('user').select('id').where('id', '=', user.id).forUpdate().executeTakeFirst();
    const existing = await trx
      .selectFrom('membership')
      .innerJoin('workspace', 'workspace.id', 'membership.workspace_id')
      .select('workspace.id')
      .where('membership.user_id', '=', user.id)
      .where('workspace.kind', '=', 'personal')
      .executeTakeFirst();
    if (existing) return existing.id;
    const name = user.name?.trim() ? `${user.name.trim()}'s workspace` : 'Personal workspace';
    const ws = await trx.insertInto('workspace').values({ name, kind: 'personal' }).returning('id').executeTakeFirstOrThrow();
    await trx.insertInto('membership').values({ workspace_id: ws.id, user_id: user.id, role: 'owner' }).execute();
    if (opts.signupCredits && opts.signupCredits > 0) {
      await recordCredit(trx, { workspaceId: ws.id, userId: user.id, delta: opts.signupCredits, reason: 'signup_grant', ref: user.id });
    }
    return ws.id;
  });
}

export async function personalWorkspaceId(db: Kysely<DB>, actor: Actor): Promise<string> {
  const row = await db
    .selectFrom('membership')
    .innerJoin('workspace', 'workspace.id', 'membership.workspace_id')
    .select('workspace.id')
    .where('membership.user_id', '=', actor.userId)
    .where('workspace.kind', '=', 'personal')
    .executeTakeFirst();
  if (row) return row.id;
  const user = await db.selectFrom('user').select(['id', 'name']).where('id', '=', actor.userId).executeTakeFirst();
  if (!user) throw new AppError('UNAUTHORIZED');
  return ensurePersonalWorkspace(db, user);
}

/** The actor's role in the workspace; a non-member gets NOT_FOUND (never FORBIDDEN): the workspace's existence is not revealed. */
async function memberRole(db: Kysely<DB>, actor: Actor, workspaceId: string): Promise<Role> {
  return (await membership(db, actor, workspaceId)).role;
}

/** The actor's role and account standing (one query); NOT_FOUND for a non-member. */
async function membership(db: Kysely<DB>, actor: Actor, workspaceId: string) {
  const m = await db
    .selectFrom('membership')
    .leftJoin('active_standing', 'active_standing.user_id', 'membership.user_id')
    .select(['membership.role', 'active_standing.status', 'active_standing.reason', 'active_standing.note', 'active_standing.until', 'active_standing.source'])
    .where('membership.workspace_id', '=', workspaceId)
    .where('membership.user_id', '=', actor.userId)
    .executeTakeFirst();
  if (!m) throw new AppError('NOT_FOUND');
  return m;
}

/**
 * Checks that the actor is a member of the workspace with at least `min` role (NOT_FOUND for a
 * non-member). Actions are checked with `requirePermission`; this is for plain membership.
 */
export async function requireRole(db: Kysely<DB>, actor: Actor, workspaceId: string, min: Role): Promise<Role> {
  const role = await memberRole(db, actor, workspaceId);
  if (ROLE_RANK[role] < ROLE_RANK[min]) throw new AppError('FORBIDDEN');
  return role;
}

/**
 * Checks that the actor may take the action in the workspace (the table in
 * server/shared/permissions.ts): NOT_FOUND for a non-member, FORBIDDEN with the reason in words for
 * a member whose role is too low, ACCOUNT_SUSPENDED for a suspended account's content changes.
 */
export async function requirePermission(db: Kysely<DB>, actor: Actor, workspaceId: string, permission: Permission): Promise<Role> {
  const { role, ...standing } = await membership(db, actor, workspaceId);
  if (!can(role, permission)) throw new AppError('FORBIDDEN', { userMessage: deniedReason(role, permission)! });
  // A suspended account keeps its roles but may not create or change content (server/services/account-standing.ts).
  const refusal = standingRefusal(standing, permission);
  if (refusal) throw refusal;
  return role;
}

/**
 * The workspace a request acts in: the one named (if the actor may), else their personal one.
 * `need` is a permission (server/shared/permissions.ts) or, for plain membership, 'viewer'.
 */
export async function resolveWorkspace(db: Kysely<DB>, actor: Actor, workspaceId: string | undefined, need: Permission | 'viewer'): Promise<string> {
  const id = workspaceId ?? (await personalWorkspaceId(db, actor));
  if (need === 'viewer') await requireRole(db, actor, id, 'viewer');
  else await requirePermission(db, actor, id, need);
  return id;
}

export async function listMyWorkspaces(db: Kysely<DB>, actor: Actor) {
  return db
    .selectFrom('membership')
    .innerJoin('workspace', 'workspace.id', 'membership.workspace_id')
    .select(['workspace.id', 'workspace.name', 'workspace.kind', 'membership.role'])
    .where('membership.user_id', '=', actor.userId)
    .orderBy('workspace.kind', 'asc')
    .orderBy('workspace.created_at', 'asc')
    .execute();
}
