/**
 * Lineage (issue 18): where an output came from and what was made from it. Each generation records
 * its parent generation and the output it was made from (a re-run, variations, an edit with the
 * output as a reference: server/services/generations.ts). The ids are kept without foreign keys, so
 * an ancestor deleted later still has its place in the chain, shown as "removed".
 * Everything is read within the output's workspace: a step in another workspace reads as removed.
 */
import { sql } from 'kysely';
import type { Generation } from '../../db/schema.js';
import { AppError } from '../shared/errors.js';
import { LINEAGE_MAX_CHILDREN, LINEAGE_MAX_DEPTH, type LineageChild, type LineageNode, type LineageView } from '../shared/lineage.js';
import { stricter } from '../shared/moderation.js';
import { creditCost } from '../providers/index.js';
import type { Actor, Deps } from './deps.js';
import { VARIATION_COUNT } from './generations.js';
import { verdictOf } from './moderation/images.js';
import { requireRole } from './workspaces.js';

interface ChainRow {
  id: string;
  parent_generation_id: string | null;
  parent_asset_id: string | null;
  depth: number;
}

type GenRow = Pick<Generation, 'id' | 'prompt' | 'params' | 'lineage' | 'status' | 'created_at'>;
interface AssetRow {
  id: string;
  generation_id: string | null;
  media: 'image' | 'video';
  gone: boolean;
}

export async function getLineage(deps: Deps, actor: Actor, assetId: string): Promise<LineageView> {
  const asset = await deps.db.selectFrom('asset').select(['id', 'workspace_id', 'generation_id']).where('id', '=', assetId).where('deleted_at', 'is', null).where('hidden_at', 'is', null).executeTakeFirst();
  if (!asset) throw new AppError('NOT_FOUND');
  await requireRole(deps.db, actor, asset.workspace_id, 'viewer');
  const ws = asset.workspace_id;
  const empty: LineageView = { ancestors: [], children: [], truncated: false, rerunCost: null, variationCount: 0, variationCost: null };
  if (!asset.generation_id) return { ...empty, children: await childrenOf(deps, ws, [asset.id]) };

  // The chain up, through generations of this workspace, at most LINEAGE_MAX_DEPTH steps.
  const { rows: chain } = await sql<ChainRow>`
    with recursive chain (id, parent_generation_id, parent_asset_id, depth) as (
      select g.id, g.parent_generation_id, g.parent_asset_id, 0 from generation g where g.id = ${asset.generation_id} and g.workspace_id = ${ws}
      union all
      select p.id, p.parent_generation_id, p.parent_asset_id, c.depth + 1
        from chain c join generation p on p.id = c.parent_generation_id and p.workspace_id = ${ws}
        where c.depth < ${LINEAGE_MAX_DEPTH}
    )
    select * from chain order by depth`.execute(deps.db);
  const gens = await generationsById(deps, chain.map((c) => c.id));
  const assets = await assetsById(deps, ws, chain.map((c) => c.parent_asset_id).filter((x): x is string => !!x));

  const ancestors: LineageNode[] = [];
  for (let d = 1; d < chain.length; d++) {
    ancestors.push(node(gens.get(chain[d]!.id) ?? null, chain[d - 1]!.parent_asset_id, assets));
  }
  // The step above the last one read is gone (its generation deleted, or never in this workspace).
  const top = chain.at(-1);
  if (top?.parent_generation_id && chain.length <= LINEAGE_MAX_DEPTH) ancestors.push(node(null, top.parent_asset_id, assets));
  ancestors.reverse();

  const own = gens.get(asset.generation_id);
  const model = own ? deps.providers.modelInfo(own.params.model) : undefined;
  const variationCount = model ? Math.min(VARIATION_COUNT, model.maxOutputs) : 0;
  const children = await childrenOf(deps, ws, [asset.id]);
  return {
    ancestors,
    children,
    truncated: children.length >= LINEAGE_MAX_CHILDREN,
    rerunCost: model && own ? creditCost(model, { count: own.params.count ?? 1, durationSeconds: own.params.durationSeconds }) : null,
    variationCount,
    variationCost: model && own ? creditCost(model, { count: variationCount, durationSeconds: own.params.durationSeconds }) : null,
  };
}

function node(g: GenRow | null, assetId: string | null, assets: Map<string, AssetRow>): LineageNode {
  const a = assetId ? assets.get(assetId) : undefined;
  const visible = a && !a.gone;
  return {
    assetId: visible ? a.id : null,
    generationId: g?.id ?? null,
    removed: !visible,
    media: visible ? a.media : null,
    prompt: g?.prompt ?? null,
    model: g?.params.model ?? null,
    seed: g ? g.params.seed : null,
    lineage: g?.lineage ?? null,
    status: g?.status ?? null,
    createdAt: g?.created_at.toISOString() ?? null,
  };
}

async function generationsById(deps: Deps, ids: string[]) {
  const map = new Map<string, GenRow>();
  if (ids.length === 0) return map;
  const rows = await deps.db.selectFrom('generation').select(['id', 'prompt', 'params', 'lineage', 'status', 'created_at']).where('id', 'in', ids).execute();
  for (const r of rows) map.set(r.id, r);
  return map;
}

/** Assets of the workspace by id, with whether members may see them (deleted, hidden or blocked: gone). */
async function assetsById(deps: Deps, ws: string, ids: string[]) {
  const map = new Map<string, AssetRow>();
  if (ids.length === 0) return map;
  const rows = await deps.db
    .selectFrom('asset')
    .innerJoin('workspace', 'workspace.id', 'asset.workspace_id')
    .select(['asset.id', 'asset.generation_id', 'asset.media', 'asset.deleted_at', 'asset.hidden_at', 'asset.nsfw_flagged', 'workspace.image_policy'])
    .where('asset.id', 'in', ids)
    .where('asset.workspace_id', '=', ws)
    .execute();
  for (const r of rows) {
    const blocked = verdictOf(r.nsfw_flagged, stricter(deps.config.moderation.imagePolicy, r.image_policy)) === 'block';
    map.set(r.id, { id: r.id, generation_id: r.generation_id, media: r.media, gone: r.deleted_at !== null || r.hidden_at !== null || blocked });
  }
  return map;
}

/** Generations made from these outputs (two levels), each shown by its first visible output. */
async function childrenOf(deps: Deps, ws: string, parentAssetIds: string[], level = 0): Promise<(LineageChild & { parentAssetId: string })[]> {
  if (parentAssetIds.length === 0) return [];
  const kids = await deps.db
    .selectFrom('generation')
    .select(['id', 'prompt', 'params', 'lineage', 'status', 'created_at', 'parent_asset_id'])
    .where('workspace_id', '=', ws)
    .where('parent_asset_id', 'in', parentAssetIds)
    .orderBy('created_at')
    .limit(LINEAGE_MAX_CHILDREN)
    .execute();
  if (kids.length === 0) return [];
  const outputs = await deps.db
    .selectFrom('asset')
    .select(['id', 'generation_id'])
    .where('generation_id', 'in', kids.map((k) => k.id))
    .where('source', '=', 'output')
    .orderBy('output_index')
    .execute();
  const visible = await assetsById(deps, ws, outputs.map((o) => o.id));
  const byGen = new Map<string, string[]>();
  for (const o of outputs) byGen.set(o.generation_id!, [...(byGen.get(o.generation_id!) ?? []), o.id]);
  const grandchildren = level < 1 ? await childrenOf(deps, ws, outputs.map((o) => o.id), level + 1) : [];
  return kids.map((k) => {
    const ids = byGen.get(k.id) ?? [];
    const shown = ids.find((id) => !visible.get(id)?.gone) ?? null;
    const mine = new Set(ids);
    return {
      ...node(k, shown, visible),
      // Still queued or running (or failed): nothing to show yet, but nothing was removed either.
      removed: ids.length > 0 && !shown,
      parentAssetId: k.parent_asset_id!,
      children: grandchildren.filter((g) => mine.has(g.parentAssetId)),
    };
  });
}
