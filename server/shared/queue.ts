import { z } from 'zod';
import type { GenerationStatusName } from './generation.js';

/** The workspace's queue (issue 18): shared by the service, the studio panel and /queue. */

export interface QueueItem {
  id: string;
  userId: string;
  userName: string;
  /** The viewer's own job: they may reorder it (queued) and cancel it. */
  mine: boolean;
  kind: 'image' | 'video';
  status: GenerationStatusName;
  progress: number;
  prompt: string;
  model: string;
  provider: string;
  /** 1 = the next job a worker takes (across every workspace); null while running, retrying or finished. */
  position: number | null;
  /** Waiting for a retry after a provider failure: its place is kept by the queue, it cannot be moved. */
  retrying: boolean;
  statusMessage: string | null;
  errorMessage: string | null;
  createdAt: string;
}

export interface QueueView {
  workspaceId: string;
  /** Queued and running jobs, in the order workers take them (running first). */
  active: QueueItem[];
  /** The viewer's recent failed jobs (re-run from here). */
  failed: QueueItem[];
}

export const MAX_REORDER = 100;

export const QueueInput = z.object({ workspaceId: z.uuid().optional() });

/** The viewer's queued jobs in the order they want them run; every queued job of theirs, each once. */
export const ReorderInput = z.object({
  workspaceId: z.uuid().optional(),
  ids: z
    .array(z.uuid({ error: 'Not a valid job.' }))
    .min(1, 'Nothing to reorder.')
    .max(MAX_REORDER, `At most ${MAX_REORDER} jobs can be reordered at once.`)
    .refine((ids) => new Set(ids).size === ids.length, 'Each job can appear once.'),
});

export const CancelAllInput = z.object({ workspaceId: z.uuid().optional() });
