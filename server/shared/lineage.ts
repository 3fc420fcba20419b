import { z } from 'zod';
import { LINEAGE_LABELS, type LineageKindName } from './lineage-words.js';

/** Lineage of an output (issue 18): where it came from and what was made from it. Shared by the service and the detail page. */

export { LINEAGE_LABELS, type LineageKindName };

/** One step of the chain or one child: an output, or a step whose output is gone ("removed"). */
export interface LineageNode {
  /** The output's id; null when the step's output was deleted (or never stored). */
  assetId: string | null;
  generationId: string | null;
  /** Shown as "removed": deleted, hidden by moderators or withheld by the workspace's image policy. */
  removed: boolean;
  media: 'image' | 'video' | null;
  /** The prompt, while the generation row still exists. */
  prompt: string | null;
  model: string | null;
  seed: number | null;
  /** How this step was made from the step before it (null for the first prompt). */
  lineage: LineageKindName | null;
  /** The generation's state (a child may still be queued or running). */
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled' | null;
  createdAt: string | null;
}

export interface LineageChild extends LineageNode {
  children: LineageChild[];
}

export interface LineageView {
  /** From the first prompt to this output's parent (oldest first). */
  ancestors: LineageNode[];
  /** Outputs made from this one, and theirs (two levels, capped). */
  children: LineageChild[];
  /** More children exist than are shown. */
  truncated: boolean;
  /** What the one-click actions cost (null: this output's model is no longer offered, or it is an upload). */
  rerunCost: number | null;
  variationCount: number;
  variationCost: number | null;
}

export const LINEAGE_MAX_DEPTH = 50;
export const LINEAGE_MAX_CHILDREN = 24;

export const AssetIdInput = z.object({ assetId: z.uuid({ error: 'Not a valid item.' }) });

/** One click on the detail page: run again identically, or make variations (same prompt, new seeds). */
export const FromAssetInput = z.object({
  assetId: z.uuid({ error: 'Not a valid item.' }),
  mode: z.enum(['rerun', 'variation'], { error: 'Choose re-run or variations.' }),
});
