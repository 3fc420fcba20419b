/**
 * API keys (issue 18, ADR 0019): created, named and scoped by a signed-in person, shown once,
 * stored as a SHA-256 hash, revocable; used by /api/v1 (server/http/api-v1) to act as their user.
 *
 * - A personal key is its user's alone and may act in any workspace the user belongs to (its
 *   personal workspace by default). A workspace key acts in its one workspace only, and is seen
 *   and revoked by the workspace's owners and admins (`api.manage`).
 * - A key never grants more than its user has: every call goes through the same service checks as
 *   the UI, with the key's user as the actor; the scopes only narrow that.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { z } from 'zod';
import { AppError } from '../shared/errors.js';
import { API_KEY_PATTERN, CreateApiKeyInput, ListApiKeysInput, MAX_KEYS_PER_OWNER, RevokeApiKeyInput, type ApiKeyView, type ApiScopeName } from '../shared/api.js';
import { audit } from './audit.js';
import type { Actor, Deps } from './deps.js';
import { personalWorkspaceId, requirePermission, requireRole } from './workspaces.js';
import { can } from '../shared/permissions.js';

/** Who a request with a valid key acts as. */
export interface ApiPrincipal {
  keyId: string;
  kind: 'personal' | 'workspace';
  userId: string;
  /** The key's workspace: the only one a workspace key may touch; a personal key's default. */
  workspaceId: string;
  scopes: ApiScopeName[];
}

export const hashApiKey = (token: string) => createHash('sha256').update(token).digest('hex');

function viewQuery(deps: Pick<Deps, 'db'>) {
  return deps.db
    .selectFrom('api_key')
    .innerJoin('workspace', 'workspace.id', 'api_key.workspace_id')
    .innerJoin('user', 'user.id', 'api_key.user_id')
    .select(['api_key.id', 'api_key.name', 'api_key.kind', 'api_key.workspace_id', 'workspace.name as workspace_name', 'api_key.prefix', 'api_key.scopes', 'api_key.created_at', 'user.name as user_name', 'api_key.last_used_at', 'api_key.revoked_at']);
}
type ViewRow = Awaited<ReturnType<ReturnType<typeof viewQuery>['executeTakeFirstOrThrow']>>;
const toView = (r: ViewRow): ApiKeyView => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  workspaceId: r.workspace_id,
  workspaceName: r.workspace_name,
  prefix: r.prefix,
  scopes: r.scopes,
  createdAt: r.created_at,
  createdBy: r.user_name,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

const isPersonal = async (deps: Pick<Deps, 'db'>, workspaceId: string) =>
  (await deps.db.selectFrom('workspace').select('kind').where('id', '=', workspaceId).executeTakeFirst())?.kind === 'personal';

/** Creates a key and answers it with its secret, the only time the secret is ever shown. */
export async function createApiKey(deps: Deps, actor: Actor, raw: z.input<typeof CreateApiKeyInput>): Promise<{ key: ApiKeyView; token: string }> {
  const input = CreateApiKeyInput.parse(raw);
  const kind = input.workspaceId ? 'workspace' : 'personal';
  let workspaceId: string;
  if (input.workspaceId) {
    await requirePermission(deps.db, actor, input.workspaceId, 'api.manage');
    if (await isPersonal(deps, input.workspaceId)) throw new AppError('INVALID_INPUT', { userMessage: 'Keys for your personal workspace are personal keys: leave the workspace out.' });
    workspaceId = input.workspaceId;
  } else {
    workspaceId = await personalWorkspaceId(deps.db, actor);
  }
  const token = `fk_${randomBytes(32).toString('base64url')}`;
  const id = await deps.db.transaction().execute(async (trx) => {
    // One owner's keys are counted under a lock, so two clicks cannot pass the cap together.
    await sql`select pg_advisory_xact_lock(hashtextextended(${`api-keys:${kind === 'workspace' ? workspaceId : actor.userId}`}, 0))`.execute(trx);
    let count = trx.selectFrom('api_key').select((eb) => eb.fn.countAll<string>().as('n')).where('revoked_at', 'is', null).where('kind', '=', kind);
    count = kind === 'workspace' ? count.where('workspace_id', '=', workspaceId) : count.where('user_id', '=', actor.userId);
    const { n } = await count.executeTakeFirstOrThrow();
    if (Number(n) >= MAX_KEYS_PER_OWNER) throw new AppError('CONFLICT', { userMessage: `There are already ${MAX_KEYS_PER_OWNER} active keys. Revoke one you no longer use first.` });
    const row = await trx
      .insertInto('api_key')
      .values({ user_id: actor.userId, workspace_id: workspaceId, kind, name: input.name, prefix: token.slice(0, 10), token_hash: hashApiKey(token), scopes: input.scopes })
      .returning('id')
      .executeTakeFirstOrThrow();
    await audit(trx, actor.userId, 'api-key.created', { keyId: row.id, kind, workspaceId, scopes: input.scopes });
    return row.id;
  });
  const key = await viewQuery(deps).where('api_key.id', '=', id).executeTakeFirstOrThrow();
  return { key: toView(key), token };
}

/**
 * The keys the actor may see: their own personal keys, and the workspace keys of `workspaceId`
 * when it is a team workspace they manage (owners and admins; null otherwise). Revoked keys are
 * listed too, newest first.
 */
export async function listApiKeys(deps: Deps, actor: Actor, raw: z.input<typeof ListApiKeysInput>): Promise<{ personal: ApiKeyView[]; workspace: ApiKeyView[] | null }> {
  const input = ListApiKeysInput.parse(raw);
  const personal = await viewQuery(deps).where('api_key.kind', '=', 'personal').where('api_key.user_id', '=', actor.userId).orderBy('api_key.created_at', 'desc').execute();
  let workspace: ViewRow[] | null = null;
  if (input.workspaceId) {
    const role = await requireRole(deps.db, actor, input.workspaceId, 'viewer');
    if (can(role, 'api.manage') && !(await isPersonal(deps, input.workspaceId))) {
      workspace = await viewQuery(deps).where('api_key.kind', '=', 'workspace').where('api_key.workspace_id', '=', input.workspaceId).orderBy('api_key.created_at', 'desc').execute();
    }
  }
  return { personal: personal.map(toView), workspace: workspace?.map(toView) ?? null };
}

/** Revokes a key at once (its next request is refused). Yours, or your workspace's when you manage it; NOT_FOUND otherwise. */
export async function revokeApiKey(deps: Deps, actor: Actor, raw: z.input<typeof RevokeApiKeyInput>): Promise<ApiKeyView> {
  const { id } = RevokeApiKeyInput.parse(raw);
  const key = await deps.db.selectFrom('api_key').select(['id', 'kind', 'user_id', 'workspace_id', 'revoked_at']).where('id', '=', id).executeTakeFirst();
  if (!key) throw new AppError('NOT_FOUND');
  if (key.kind === 'personal' && key.user_id !== actor.userId) throw new AppError('NOT_FOUND');
  if (key.kind === 'workspace') await requirePermission(deps.db, actor, key.workspace_id, 'api.manage');
  if (!key.revoked_at) {
    await deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('api_key').set({ revoked_at: new Date(), revoked_by: actor.userId }).where('id', '=', id).where('revoked_at', 'is', null).execute();
      await audit(trx, actor.userId, 'api-key.revoked', { keyId: id, kind: key.kind, workspaceId: key.workspace_id });
    });
  }
  return toView(await viewQuery(deps).where('api_key.id', '=', id).executeTakeFirstOrThrow());
}

/**
 * The principal of an `Authorization` header's key, or a refusal a developer can act on:
 * API_KEY_MISSING (no Bearer key), API_KEY_INVALID (malformed or unknown), API_KEY_REVOKED,
 * ACCOUNT_BANNED. Records when the key was last used (at most once a minute per key).
 */
export async function authenticateApiKey(deps: Pick<Deps, 'db'>, authorization: string | undefined): Promise<ApiPrincipal> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) throw new AppError('API_KEY_MISSING');
  const token = match[1]!;
  if (!API_KEY_PATTERN.test(token)) throw new AppError('API_KEY_INVALID');
  const key = await deps.db
    .selectFrom('api_key')
    .leftJoin('account_standing', 'account_standing.user_id', 'api_key.user_id')
    .select(['api_key.id', 'api_key.kind', 'api_key.user_id', 'api_key.workspace_id', 'api_key.scopes', 'api_key.revoked_at', 'api_key.last_used_at', 'account_standing.status as standing'])
    .where('api_key.token_hash', '=', hashApiKey(token))
    .executeTakeFirst();
  if (!key) throw new AppError('API_KEY_INVALID');
  if (key.revoked_at) throw new AppError('API_KEY_REVOKED');
  if (key.standing === 'banned') throw new AppError('ACCOUNT_BANNED');
  if (!key.last_used_at || Date.now() - key.last_used_at.getTime() > 60_000) {
    await deps.db.updateTable('api_key').set({ last_used_at: new Date() }).where('id', '=', key.id).execute();
  }
  return { keyId: key.id, kind: key.kind, userId: key.user_id, workspaceId: key.workspace_id, scopes: key.scopes };
}

/** Refuses a call the key's scopes do not cover, naming what is missing. */
export function requireScope(principal: ApiPrincipal, scope: ApiScopeName): void {
  if (!principal.scopes.includes(scope)) {
    throw new AppError('API_KEY_SCOPE', { userMessage: `This API key has the scope${principal.scopes.length === 1 ? '' : 's'} ${principal.scopes.join(', ')}; this needs “${scope}”. Create a key with that scope in Settings → API.` });
  }
}

/**
 * The workspace a call acts in: the one asked for or the key's. A workspace key may touch its own
 * workspace only (another one is NOT_FOUND, as for a non-member); membership and role are checked
 * by the service called next, as for the UI.
 */
export function apiWorkspace(principal: ApiPrincipal, requested: string | undefined): string {
  if (principal.kind === 'workspace' && requested && requested !== principal.workspaceId) throw new AppError('NOT_FOUND');
  return requested ?? principal.workspaceId;
}

/** For reads by id: a workspace key sees only rows of its workspace (NOT_FOUND otherwise). */
export function requireKeyWorkspace(principal: ApiPrincipal, workspaceId: string): void {
  if (principal.kind === 'workspace' && workspaceId !== principal.workspaceId) throw new AppError('NOT_FOUND');
}
