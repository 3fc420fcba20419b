import type { Kysely } from 'kysely';
import type { DB, Role } from '../../db/schema.js';
import { AppError } from '../shared/errors.js';
import type { Actor } from './deps.js';
import { recordCredit } from './credits.js';

const RANK: Record<Role, number> = { viewer: 1, editor: 2, admin: 3, owner: 4 };

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

/**
 * Checks that the actor is a member of the workspace with at least `min` role.
 * A non-member gets NOT_FOUND (never FORBIDDEN): the workspace's existence is not revealed.
 */
export async function requireRole(db: Kysely<DB>, actor: Actor, workspaceId: string, min: Role): Promise<Role> {
  const m = await db
    .selectFrom('membership')
    .select('role')
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', actor.userId)
    .executeTakeFirst();
  if (!m) throw new AppError('NOT_FOUND');
  if (RANK[m.role] < RANK[min]) throw new AppError('FORBIDDEN');
  return m.role;
}

/** The workspace a request acts in: the one named (if the actor may), else their personal one. */
export async function resolveWorkspace(db: Kysely<DB>, actor: Actor, workspaceId: string | undefined, min: Role): Promise<string> {
  const id = workspaceId ?? (await personalWorkspaceId(db, actor));
  await requireRole(db, actor, id, min);
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
