import { createHash, randomInt } from 'node:crypto';
import type { Generation, GenerationStatus } from '../../db/schema.js';
import { AppError } from '../shared/errors.js';
import { ASPECT_RATIOS, CreateGenerationInput, ListInput, MAX_SEED } from '../shared/generation.js';
import { rooms, type GenerationEvent } from '../shared/realtime.js';
import { ProviderError, type ProviderOutput } from '../providers/types.js';
import type { Actor, Deps } from './deps.js';
import { beforeCursor, decodeCursor, page } from './pagination.js';
import { requireRole, resolveWorkspace } from './workspaces.js';
import type { z } from 'zod';

export const GENERATION_QUEUE = 'generation';

export interface GenerationView {
  id: string;
  workspaceId: string;
  status: GenerationStatus;
  progress: number;
  prompt: string;
  model: string;
  aspectRatio: string;
  width: number;
  height: number;
  seed: number;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  assets: { id: string; url: string; width: number | null; height: number | null }[];
}

export const fileUrl = (assetId: string) => `/files/${assetId}`;

function toView(g: Generation, assets: GenerationView['assets']): GenerationView {
  return {
    id: g.id,
    workspaceId: g.workspace_id,
    status: g.status,
    progress: g.progress,
    prompt: g.prompt,
    model: g.params.model,
    aspectRatio: g.params.aspectRatio,
    width: g.params.width,
    height: g.params.height,
    seed: g.params.seed,
    errorCode: g.error_code,
    errorMessage: g.error_message,
    createdAt: g.created_at,
    finishedAt: g.finished_at,
    assets,
  };
}

async function assetsFor(deps: Deps, generationIds: string[]) {
  if (generationIds.length === 0) return new Map<string, GenerationView['assets']>();
  const rows = await deps.db
    .selectFrom('asset')
    .select(['id', 'generation_id', 'width', 'height'])
    .where('generation_id', 'in', generationIds)
    .where('deleted_at', 'is', null)
    .orderBy('created_at', 'asc')
    .execute();
  const map = new Map<string, GenerationView['assets']>();
  for (const r of rows) {
    const list = map.get(r.generation_id!) ?? [];
    list.push({ id: r.id, url: fileUrl(r.id), width: r.width, height: r.height });
    map.set(r.generation_id!, list);
  }
  return map;
}

/** Inserts the generation row and enqueues its job in one transaction: no job without a row, no row without a job. */
export async function createGeneration(deps: Deps, actor: Actor, raw: z.input<typeof CreateGenerationInput>): Promise<GenerationView> {
  const input = CreateGenerationInput.parse(raw);
  const workspaceId = await resolveWorkspace(deps.db, actor, input.workspaceId, 'editor');
  const size = ASPECT_RATIOS[input.aspectRatio];
  const model = deps.providers.defaultModel;
  const info = deps.providers.modelInfo(model)!;
  const seed = input.seed ?? randomInt(0, MAX_SEED);
  const gen = await deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('generation')
      .values({
        workspace_id: workspaceId,
        user_id: actor.userId,
        kind: 'image',
        mode: 'text',
        prompt: input.prompt,
        params: JSON.stringify({ model, aspectRatio: input.aspectRatio, width: size.width, height: size.height, seed }),
        provider: info.provider,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await deps.jobs.send(GENERATION_QUEUE, { generationId: row.id }, { trx, singletonKey: row.id });
    return row;
  });
  const view = toView(gen, []);
  publish(deps, gen);
  return view;
}

export async function listGenerations(deps: Deps, actor: Actor, raw: z.input<typeof ListInput>) {
  const input = ListInput.parse(raw);
  const workspaceId = await resolveWorkspace(deps.db, actor, input.workspaceId, 'viewer');
  const cursor = decodeCursor(input.cursor);
  let q = deps.db.selectFrom('generation').selectAll().where('workspace_id', '=', workspaceId);
  if (cursor) q = q.where(beforeCursor('generation', cursor));
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(input.limit + 1).execute();
  const { items, nextCursor } = page(rows, input.limit);
  const assets = await assetsFor(deps, items.map((g) => g.id));
  return { items: items.map((g) => toView(g, assets.get(g.id) ?? [])), nextCursor };
}

async function loadForActor(deps: Deps, actor: Actor, id: string) {
  const g = await deps.db.selectFrom('generation').selectAll().where('id', '=', id).executeTakeFirst();
  if (!g) throw new AppError('NOT_FOUND');
  await requireRole(deps.db, actor, g.workspace_id, 'viewer');
  return g;
}

export async function getGeneration(deps: Deps, actor: Actor, id: string): Promise<GenerationView> {
  const g = await loadForActor(deps, actor, id);
  const assets = await assetsFor(deps, [g.id]);
  return toView(g, assets.get(g.id) ?? []);
}

/** Cancels a queued or running generation; the worker notices and stops the provider. */
export async function cancelGeneration(deps: Deps, actor: Actor, id: string): Promise<GenerationView> {
  const g = await loadForActor(deps, actor, id);
  await requireRole(deps.db, actor, g.workspace_id, 'editor');
  const updated = await deps.db
    .updateTable('generation')
    .set({ status: 'canceled', finished_at: new Date(), updated_at: new Date() })
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'running'])
    .returningAll()
    .executeTakeFirst();
  if (!updated) throw new AppError('CONFLICT', { userMessage: 'This generation has already finished.' });
  publish(deps, updated);
  return toView(updated, []);
}

function publish(deps: Deps, g: Generation, assetIds?: string[]) {
  const event: GenerationEvent = {
    id: g.id,
    workspaceId: g.workspace_id,
    status: g.status,
    progress: g.progress,
    prompt: g.prompt,
    errorCode: g.error_code,
    errorMessage: g.error_message,
    assetIds,
  };
  deps.notifier.emit(rooms.user(g.user_id), 'generation:update', event);
}

const PROVIDER_MESSAGES: Record<ProviderError['code'], string> = {
  PROVIDER_UNAVAILABLE: 'The image model is not reachable right now. Please try again in a minute.',
  CONTENT_REFUSED: 'The model refused this prompt. Try rephrasing it.',
  TIMEOUT: 'The model took too long to answer. Please try again.',
  BAD_RESPONSE: 'The model sent back something we could not use. Please try again.',
  CANCELED: 'The generation was canceled.',
  RATE_LIMITED: 'The model is busy right now. Please try again in a minute.',
  OUT_OF_CREDITS: 'The model provider account is out of credit. Please tell the operator.',
  INVALID_REQUEST: 'The model did not accept these settings. Try different ones.',
};

/**
 * The job handler's work: runs one generation to its end. Idempotent: a generation that already
 * finished is left alone, so a retried or duplicated job does nothing twice.
 */
export async function runGeneration(deps: Deps, generationId: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
  const started = await deps.db
    .updateTable('generation')
    .set({ status: 'running', started_at: new Date(), updated_at: new Date() })
    .where('id', '=', generationId)
    .where('status', 'in', ['queued', 'running'])
    .returningAll()
    .executeTakeFirst();
  if (!started) return; // finished, canceled or gone: nothing to do.
  publish(deps, started);

  const abort = new AbortController();
  const onOuterAbort = () => abort.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let lastProgress = -1;
  const provider = deps.providers.get(started.provider);
  try {
    const outputs = await provider.generate(
      {
        id: started.id,
        kind: started.kind,
        model: started.params.model,
        prompt: started.prompt,
        width: started.params.width,
        height: started.params.height,
        seed: started.params.seed,
        count: 1,
        references: [],
      },
      {
        signal: abort.signal,
        onProgress: async (percent) => {
          const p = Math.max(0, Math.min(99, Math.round(percent)));
          if (p <= lastProgress) return;
          lastProgress = p;
          const row = await deps.db
            .updateTable('generation')
            .set({ progress: p, updated_at: new Date() })
            .where('id', '=', generationId)
            .where('status', '=', 'running')
            .returningAll()
            .executeTakeFirst();
          if (!row) abort.abort(); // canceled (or deleted) meanwhile
          else publish(deps, row);
        },
      },
    );
    if (outputs.length === 0) throw new ProviderError('BAD_RESPONSE', 'The provider returned no media.');
    // Store files first; the rows that point at them are written in one transaction.
    const stored: { key: string; sha256: string; out: ProviderOutput }[] = [];
    for (const [i, out] of outputs.entries()) {
      const sha256 = createHash('sha256').update(out.data).digest('hex');
      const ext = out.mime === 'image/png' ? 'png' : out.mime === 'image/webp' ? 'webp' : out.mime === 'video/mp4' ? 'mp4' : 'bin';
      const key = `ws/${started.workspace_id}/out/${started.id}-${i}.${ext}`;
      await deps.storage.put(key, out.data);
      stored.push({ key, sha256, out });
    }
    const done = await deps.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('generation')
        .set({ status: 'succeeded', progress: 100, finished_at: new Date(), updated_at: new Date() })
        .where('id', '=', generationId)
        .where('status', '=', 'running')
        .returningAll()
        .executeTakeFirst();
      if (!row) return null;
      const assets = await trx
        .insertInto('asset')
        .values(
          stored.map((s) => ({
            workspace_id: started.workspace_id,
            user_id: started.user_id,
            generation_id: started.id,
            source: 'output' as const,
            media: s.out.mime.startsWith('video/') ? ('video' as const) : ('image' as const),
            storage_key: s.key,
            mime: s.out.mime,
            size_bytes: s.out.data.length,
            width: s.out.width,
            height: s.out.height,
            sha256: s.sha256,
          })),
        )
        .onConflict((oc) => oc.column('storage_key').doNothing())
        .returning('id')
        .execute();
      return { row, assetIds: assets.map((a) => a.id) };
    });
    if (!done) {
      // Canceled while rendering: the files are not referenced by anything; remove them.
      await Promise.all(stored.map((s) => deps.storage.delete(s.key)));
      return;
    }
    publish(deps, done.row, done.assetIds);
  } catch (err) {
    const pe = err instanceof ProviderError ? err : null;
    if (pe?.code === 'CANCELED' || abort.signal.aborted) {
      const current = await deps.db.selectFrom('generation').select('status').where('id', '=', generationId).executeTakeFirst();
      if (current?.status !== 'running') return; // a user canceled it: already recorded and announced
    }
    if (!pe) deps.log.error('generation failed unexpectedly', { generationId, err });
    const failed = await deps.db
      .updateTable('generation')
      .set({
        status: 'failed',
        finished_at: new Date(),
        updated_at: new Date(),
        error_code: pe?.code ?? 'GENERATION_FAILED',
        error_message: pe ? PROVIDER_MESSAGES[pe.code] : 'The generation failed. Please try again.',
      })
      .where('id', '=', generationId)
      .where('status', '=', 'running')
      .returningAll()
      .executeTakeFirst();
    if (failed) publish(deps, failed);
  } finally {
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
}
