/**
 * Images: what the classifier says about each output and reference, and what a workspace's
 * policy makes of it. The job (server/services/generations.ts `runGeneration`) calls
 * `classifyImage` on each output the provider returned, while the same pixels are marked and
 * stored, and writes the rows that make an output visible only with its result; it calls
 * `screenReferences` before anything is sent to the provider. Request handlers only read the
 * stored results.
 *
 * An asset is flagged when the classifier's unsafe score (Porn + Hentai + Sexy) reaches
 * MODERATION_IMAGE_THRESHOLD. What members see of a flagged asset follows the workspace's
 * effective policy, computed when read (so a stricter choice applies to what is already there):
 * `blur` — shown blurred with a "Show" button; `block` — not listed, not shown, not served.
 */
import { sql } from 'kysely';
import type { Database } from '../../../db/index.js';
import type { ImagePolicy, ImageVerdict } from '../../shared/moderation.js';
import { stricter } from '../../shared/moderation.js';
import type { Config } from '../../config.js';
import type { Deps } from '../deps.js';
import { unsafeScore, type Classification } from './classifier.js';

export interface ImageResult {
  classification: Classification | null;
  flagged: boolean;
}

export const isFlagged = (config: Pick<Config, 'moderation'>, c: Classification | null) => c !== null && unsafeScore(c.scores) >= config.moderation.imageThreshold;

/** The columns an asset row stores for a result. */
export function resultColumns(r: ImageResult) {
  return {
    nsfw_scores: r.classification ? JSON.stringify(r.classification.scores) : null,
    nsfw_model: r.classification?.model ?? null,
    nsfw_flagged: r.classification ? r.flagged : null,
    classified_at: r.classification ? new Date() : null,
  };
}

export async function classifyImage(deps: Pick<Deps, 'config' | 'moderation'>, data: Buffer, mime: string): Promise<ImageResult> {
  const classification = await deps.moderation.classifier.classify(data, mime);
  return { classification, flagged: isFlagged(deps.config, classification) };
}

/** The workspace's policy in force: the operator's default, or the owner's stricter choice. */
export async function effectivePolicy(deps: { db: Database; config: Pick<Config, 'moderation'> }, workspaceId: string): Promise<ImagePolicy> {
  const ws = await deps.db.selectFrom('workspace').select('image_policy').where('id', '=', workspaceId).executeTakeFirst();
  return stricter(deps.config.moderation.imagePolicy, ws?.image_policy);
}

export const verdictOf = (flagged: boolean | null, policy: ImagePolicy): ImageVerdict => (flagged ? policy : 'none');

/**
 * SQL for "this asset is blocked" given the joined workspace row: flagged, and the operator's
 * default or the workspace's own policy is block. Used to leave blocked assets out of lists.
 */
export function blockedSql(config: Pick<Config, 'moderation'>, assetTable = 'asset', workspaceTable = 'workspace') {
  const block = config.moderation.imagePolicy === 'block';
  return sql<boolean>`(coalesce(${sql.ref(`${assetTable}.nsfw_flagged`)}, false) and (${block} or coalesce(${sql.ref(`${workspaceTable}.image_policy`)} = 'block', false)))`;
}

/**
 * Classifies the references of a generation that were never classified (uploads are classified
 * when a job first uses them, not when uploaded), stores the results, and says whether any of
 * them is flagged under a blocking policy (the job then sends nothing to the provider).
 */
export async function screenReferences(deps: Deps, generationId: string, workspaceId: string, read: (key: string) => Promise<Buffer>): Promise<{ blocked: boolean }> {
  const refs = await deps.db
    .selectFrom('generation_reference')
    .innerJoin('asset', 'asset.id', 'generation_reference.asset_id')
    .select(['asset.id', 'asset.storage_key', 'asset.mime', 'asset.nsfw_flagged', 'asset.classified_at'])
    .where('generation_reference.generation_id', '=', generationId)
    .execute();
  let anyFlagged = false;
  for (const r of refs) {
    let flagged = r.nsfw_flagged;
    if (!r.classified_at) {
      const result = await classifyImage(deps, await read(r.storage_key), r.mime);
      await deps.db.updateTable('asset').set(resultColumns(result)).where('id', '=', r.id).execute();
      flagged = result.classification ? result.flagged : null;
    }
    if (flagged) anyFlagged = true;
  }
  return { blocked: anyFlagged && (await effectivePolicy(deps, workspaceId)) === 'block' };
}
