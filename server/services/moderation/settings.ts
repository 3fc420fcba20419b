/**
 * What members and owners do with moderation: see the workspace's image policy (owners choose a
 * stricter one), see their own standing (suspended, slowed); and the
 * per-asset verdicts the board needs (its items carry only asset ids).
 */
import type { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { POLICY_RANK, SetImagePolicyInput, stricter, type ImagePolicy, type ImageVerdict } from '../../shared/moderation.js';
import { audit } from '../audit.js';
import type { Actor, Deps } from '../deps.js';
import { requirePermission, requireRole } from '../workspaces.js';
import { verdictOf } from './images.js';
import { standingOf } from '../account-standing.js';
import { slowDownOf } from './prompts.js';

export interface ImagePolicyView {
  workspaceId: string;
  /** The operator's default for every workspace. */
  operatorDefault: ImagePolicy;
  /** The owner's own choice; null: the default. */
  chosen: ImagePolicy | null;
  /** What applies. */
  effective: ImagePolicy;
  /** The classifier's score from which an image counts as flagged (0–1). */
  threshold: number;
}

export async function getImagePolicy(deps: Deps, actor: Actor, workspaceId: string): Promise<ImagePolicyView> {
  await requireRole(deps.db, actor, workspaceId, 'viewer');
  const ws = await deps.db.selectFrom('workspace').select('image_policy').where('id', '=', workspaceId).executeTakeFirstOrThrow();
  const def = deps.config.moderation.imagePolicy;
  return { workspaceId, operatorDefault: def, chosen: ws.image_policy, effective: stricter(def, ws.image_policy), threshold: deps.config.moderation.imageThreshold };
}

/** Owner only. A policy looser than the operator's default is refused; null goes back to the default. */
export async function setImagePolicy(deps: Deps, actor: Actor, raw: z.input<typeof SetImagePolicyInput>): Promise<ImagePolicyView> {
  const input = SetImagePolicyInput.parse(raw);
  await requirePermission(deps.db, actor, input.workspaceId, 'moderation.policy');
  const def = deps.config.moderation.imagePolicy;
  if (input.policy && POLICY_RANK[input.policy] < POLICY_RANK[def]) {
    throw new AppError('INVALID_INPUT', { userMessage: 'This service blocks flagged images everywhere; a workspace can be stricter than that, not less strict.' });
  }
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('workspace').set({ image_policy: input.policy }).where('id', '=', input.workspaceId).execute();
    await audit(trx, actor.userId, 'moderation.image-policy.changed', { workspaceId: input.workspaceId, policy: input.policy ?? 'default' });
  });
  return getImagePolicy(deps, actor, input.workspaceId);
}

/** Flagged assets among those asked for, with how the workspace shows them (unflagged ones are left out). */
export async function assetVerdicts(deps: Deps, actor: Actor, workspaceId: string, assetIds: string[]): Promise<Record<string, Exclude<ImageVerdict, 'none'>>> {
  await requireRole(deps.db, actor, workspaceId, 'viewer');
  if (assetIds.length === 0) return {};
  const [rows, ws] = await Promise.all([
    deps.db.selectFrom('asset').select(['id', 'nsfw_flagged']).where('workspace_id', '=', workspaceId).where('id', 'in', assetIds).where('deleted_at', 'is', null).execute(),
    deps.db.selectFrom('workspace').select('image_policy').where('id', '=', workspaceId).executeTakeFirstOrThrow(),
  ]);
  // Every id must be this workspace's: another workspace's asset is answered like one that does not exist.
  if (rows.length !== new Set(assetIds).size) throw new AppError('NOT_FOUND', { userMessage: 'Some of these images are no longer in this workspace. Reload the board.' });
  const policy = stricter(deps.config.moderation.imagePolicy, ws.image_policy);
  return Object.fromEntries(rows.filter((r) => r.nsfw_flagged).map((r) => [r.id, verdictOf(r.nsfw_flagged, policy) as Exclude<ImageVerdict, 'none'>]));
}

export interface StandingView {
  /** The account's suspension in force (moderation's automatic one or an operator's), from the one standing record. */
  suspended: { reason: string; until: Date | null; appealed: boolean } | null;
  slowedUntil: Date | null;
  recentRefusals: number;
  windowMinutes: number;
}

/** The signed-in person's own standing, for the studio's notice. Appeals go through `createAppeal` (server/services/reports.ts). */
export async function myStanding(deps: Deps, actor: Actor): Promise<StandingView> {
  const [standing, slow, appeal] = await Promise.all([
    standingOf(deps.db, actor.userId),
    slowDownOf(deps, actor.userId),
    deps.db.selectFrom('appeal').select('id').where('user_id', '=', actor.userId).where('asset_id', 'is', null).where('status', '=', 'open').executeTakeFirst(),
  ]);
  const reason = standing.status === 'suspended' ? `${standing.reasonLabel}${standing.detail ? ` (${standing.detail.replace(/\.$/, '')})` : ''}.` : null;
  return {
    suspended: reason ? { reason, until: standing.until, appealed: appeal !== undefined } : null,
    slowedUntil: slow.slowedUntil,
    recentRefusals: slow.recentRefusals,
    windowMinutes: deps.config.moderation.windowMinutes,
  };
}
