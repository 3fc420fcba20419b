/**
 * The workspace's queue (issue 18): its queued and running generations in the order workers take
 * them, each with its place in line, and the viewer's recent failures (to run again).
 *
 * Reordering: pg-boss hands out generation jobs by (priority desc, created_on), across every
 * workspace. A person reorders only their own queued jobs, and only among the places in line those
 * jobs already hold: the job rows keep their places and the generations they carry are permuted
 * (the payload's generationId, and the provider group with it). So moving a job up never jumps
 * anyone else's, and what a worker takes next changes for real (docs/decisions/0021). The rows are
 * locked while they are rewritten; pg-boss's fetch skips locked rows, so a worker never takes a
 * half-moved job. A job waiting for a retry keeps its place and cannot be moved.
 */
import { sql } from 'kysely';
import type { z } from 'zod';
import { AppError } from '../shared/errors.js';
import { CancelAllInput, QueueInput, ReorderInput, type QueueItem, type QueueView } from '../shared/queue.js';
import { rooms } from '../shared/realtime.js';
import type { Actor, Deps } from './deps.js';
import { cancelGenerationById, GENERATION_QUEUE } from './generations.js';
import { resolveWorkspace } from './workspaces.js';

/** pg-boss's schema (jobs/boss.ts uses the default). */
const BOSS = 'pgboss';

interface Slot {
  id: string;
  generation_id: string;
}

/** Places in line (1 = next) of the given generations' jobs, among every job a worker could take now. */
async function positions(deps: Pick<Deps, 'db'>, generationIds: string[]) {
  const map = new Map<string, { position: number | null; retrying: boolean }>();
  if (generationIds.length === 0) return map;
  const { rows } = await sql<{ generation_id: string; state: string; position: string | null }>`
    select generation_id, state, position from (
      select data->>'generationId' as generation_id, state::text as state,
        case when state = 'created' and start_after <= now()
          then row_number() over (partition by (state = 'created' and start_after <= now()) order by priority desc, created_on) end as position
      from ${sql.table(`${BOSS}.job`)}
      where name = ${GENERATION_QUEUE} and state in ('created', 'retry')
    ) t where generation_id = any(${generationIds}::text[])`.execute(deps.db);
  for (const r of rows) map.set(r.generation_id, { position: r.position === null ? null : Number(r.position), retrying: r.state === 'retry' });
  return map;
}

export async function getQueue(deps: Pick<Deps, 'db'>, actor: Actor, raw: z.input<typeof QueueInput>): Promise<QueueView> {
  const input = QueueInput.parse(raw);
  const workspaceId = await resolveWorkspace(deps.db, actor, input.workspaceId, 'viewer');
  const base = () =>
    deps.db
      .selectFrom('generation')
      .innerJoin('user', 'user.id', 'generation.user_id')
      .select(['generation.id', 'generation.user_id', 'user.name as user_name', 'generation.kind', 'generation.status', 'generation.progress', 'generation.prompt', 'generation.params', 'generation.provider', 'generation.status_message', 'generation.error_message', 'generation.created_at', 'generation.started_at'])
      .where('generation.workspace_id', '=', workspaceId);
  const [active, failed] = await Promise.all([
    base().where('generation.status', 'in', ['queued', 'running']).orderBy('generation.created_at').limit(200).execute(),
    base()
      .where('generation.status', '=', 'failed')
      .where('generation.user_id', '=', actor.userId)
      .where('generation.finished_at', '>', sql<Date>`now() - interval '1 day'`)
      .orderBy('generation.finished_at', 'desc')
      .limit(10)
      .execute(),
  ]);
  const places = await positions(deps, active.filter((g) => g.status === 'queued').map((g) => g.id));
  type Row = (typeof active)[number];
  const item = (g: Row): QueueItem => ({
    id: g.id,
    userId: g.user_id,
    userName: g.user_name,
    mine: g.user_id === actor.userId,
    kind: g.kind,
    status: g.status,
    progress: g.progress,
    prompt: g.prompt,
    model: g.params.model,
    provider: g.provider,
    position: g.status === 'queued' ? (places.get(g.id)?.position ?? null) : null,
    retrying: g.status === 'queued' && (places.get(g.id)?.retrying ?? false),
    statusMessage: g.status === 'queued' || g.status === 'running' ? g.status_message : null,
    errorMessage: g.error_message,
    createdAt: g.created_at.toISOString(),
  });
  const items = active.map(item);
  const rank = (i: QueueItem) => (i.status === 'running' ? 0 : i.position !== null ? 1 : 2);
  items.sort((a, b) => rank(a) - rank(b) || (a.position ?? 0) - (b.position ?? 0) || a.createdAt.localeCompare(b.createdAt));
  return { workspaceId, active: items, failed: failed.map(item) };
}

/**
 * Puts the actor's queued jobs (all or some of them) in the given order, within the places in line
 * they hold. Refuses a job of someone else (JOB_NOT_YOURS), of another workspace (NOT_FOUND), and a
 * job that started, finished or waits for a retry meanwhile (QUEUE_CHANGED); nothing moves then.
 */
export async function reorderQueue(deps: Pick<Deps, 'db' | 'notifier'>, actor: Actor, raw: z.input<typeof ReorderInput>): Promise<QueueView> {
  const input = ReorderInput.parse(raw);
  const workspaceId = await resolveWorkspace(deps.db, actor, input.workspaceId, 'generation.create');
  await deps.db.transaction().execute(async (trx) => {
    const gens = await trx.selectFrom('generation').select(['id', 'user_id', 'status', 'provider']).where('id', 'in', input.ids).where('workspace_id', '=', workspaceId).forUpdate().execute();
    if (gens.length !== input.ids.length) throw new AppError('NOT_FOUND', { userMessage: 'One of these jobs is not in this workspace.' });
    if (gens.some((g) => g.user_id !== actor.userId)) throw new AppError('JOB_NOT_YOURS');
    if (gens.some((g) => g.status !== 'queued')) throw new AppError('QUEUE_CHANGED');
    // Their job rows, locked, in the order a worker would take them: these are the places to fill.
    const { rows: slots } = await sql<Slot>`
      select id, data->>'generationId' as generation_id from ${sql.table(`${BOSS}.job`)}
      where name = ${GENERATION_QUEUE} and state = 'created' and data->>'generationId' = any(${input.ids}::text[])
      order by priority desc, created_on
      for update`.execute(trx);
    if (slots.length !== input.ids.length) throw new AppError('QUEUE_CHANGED');
    const provider = new Map(gens.map((g) => [g.id, g.provider]));
    for (const [i, slot] of slots.entries()) {
      const gid = input.ids[i]!;
      if (slot.generation_id === gid) continue;
      await sql`
        update ${sql.table(`${BOSS}.job`)}
        set data = jsonb_set(data, '{generationId}', to_jsonb(${gid}::text)), group_id = ${provider.get(gid)!}, group_tier = ${provider.get(gid)!}
        where id = ${slot.id} and state = 'created'`.execute(trx);
    }
  });
  deps.notifier.emit(rooms.workspace(workspaceId), 'queue:changed', { workspaceId });
  return getQueue(deps, actor, { workspaceId });
}

/** Cancels every queued or running job of the actor's in the workspace (credits released); others' jobs are left alone. */
export async function cancelAllMine(deps: Deps, actor: Actor, raw: z.input<typeof CancelAllInput>): Promise<{ canceled: number }> {
  const input = CancelAllInput.parse(raw);
  const workspaceId = await resolveWorkspace(deps.db, actor, input.workspaceId, 'generation.cancel');
  const mine = await deps.db.selectFrom('generation').select('id').where('workspace_id', '=', workspaceId).where('user_id', '=', actor.userId).where('status', 'in', ['queued', 'running']).execute();
  let canceled = 0;
  for (const g of mine) if (await cancelGenerationById(deps, g.id)) canceled++;
  if (canceled > 0) deps.notifier.emit(rooms.workspace(workspaceId), 'queue:changed', { workspaceId });
  return { canceled };
}
