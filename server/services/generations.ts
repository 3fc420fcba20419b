import { markFor, markOutput, markThumbnail, UnmarkableFile } from '../provenance/index.js';
import { createHash, randomInt, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { sql, type Transaction } from 'kysely';
import type { z } from 'zod';
import type { DB, Generation, GenerationParams, GenerationStatus, LineageKind } from '../../db/schema.js';
import { creditCost, type ModelInfo } from '../shared/models.js';
import { fileUrl, type GenerationAssetView, type GenerationView } from '../shared/views.js';
import { ProviderError, type ProviderOutput, type ReferenceImage } from '../providers/types.js';
import { AppError } from '../shared/errors.js';
import { ASPECT_RATIOS, CreateGenerationInput, ListInput, MAX_SEED, RerunInput } from '../shared/generation.js';
import { rooms, type GenerationEvent } from '../shared/realtime.js';
import { partlyReturned, publishBalance, reserveCredits, settleCredits } from './credits.js';
import { checkGenerationLimits } from './generation-limits.js';
import { moderatePrompt } from './moderation/prompts.js';
import { classifyImage, effectivePolicy, resultColumns, screenReferences, verdictOf, type ImageResult } from './moderation/images.js';
import { stricter, type ImagePolicy, type ImageVerdict } from '../shared/moderation.js';
import type { Actor, Deps, GenerationChange } from './deps.js';
import { beforeCursor, decodeCursor, page } from './pagination.js';
import { rememberPrompt } from './prompt-history.js';
import { requirePermission, requireRole, resolveWorkspace } from './workspaces.js';
import { makeThumbnails, putThumbnails } from './thumbnails.js';

export const GENERATION_QUEUE = 'generation';

export type { GenerationAssetView, GenerationView } from '../shared/views.js';

/** Longest provider status line kept and shown. */
const STATUS_MESSAGE_MAX = 160;

function toView(g: Generation, assets: GenerationAssetView[], referenceIds: string[], withheld: number, creditsReturned: number): GenerationView {
  const p = g.params;
  return {
    id: g.id,
    workspaceId: g.workspace_id,
    boardId: g.board_id,
    kind: g.kind,
    mode: g.mode,
    status: g.status,
    progress: g.progress,
    prompt: g.prompt,
    model: p.model,
    provider: g.provider,
    aspectRatio: p.aspectRatio,
    width: p.width,
    height: p.height,
    seed: p.seed,
    count: p.count ?? 1,
    steps: p.steps ?? null,
    guidance: p.guidance ?? null,
    durationSeconds: p.durationSeconds ?? null,
    fps: p.fps ?? null,
    negativePrompt: p.negativePrompt ?? null,
    statusMessage: g.status === 'queued' || g.status === 'running' ? g.status_message : null,
    parentGenerationId: g.parent_generation_id,
    lineage: g.lineage,
    creditCost: g.credit_cost,
    errorCode: g.error_code,
    errorMessage: g.error_message,
    createdAt: g.created_at,
    updatedAt: g.updated_at.getTime(),
    finishedAt: g.finished_at,
    referenceIds,
    assets,
    withheld,
    creditsReturned,
  };
}

async function detailsFor(deps: Pick<Deps, 'db' | 'config'>, ids: string[]) {
  const assets = new Map<string, GenerationAssetView[]>();
  const refs = new Map<string, string[]>();
  const withheld = new Map<string, number>();
  if (ids.length === 0) return { assets, refs, withheld, returned: new Map<string, number>() };
  const [assetRows, refRows, returned] = await Promise.all([
    deps.db
      .selectFrom('asset')
      .innerJoin('workspace', 'workspace.id', 'asset.workspace_id')
      .select(['asset.id', 'asset.generation_id', 'asset.width', 'asset.height', 'asset.media', 'asset.mime', 'asset.saved', 'asset.nsfw_flagged', 'workspace.image_policy'])
      .where('generation_id', 'in', ids)
      .where('source', '=', 'output')
      .where('deleted_at', 'is', null)
      .where('hidden_at', 'is', null) // hidden by moderators: not shown in the studio either
      .orderBy('storage_key', 'asc')
      .execute(),
    deps.db.selectFrom('generation_reference').select(['generation_id', 'asset_id']).where('generation_id', 'in', ids).orderBy('position').execute(),
    partlyReturned(deps.db, ids),
  ]);
  for (const r of assetRows) {
    const verdict = verdictOf(r.nsfw_flagged, stricter(deps.config.moderation.imagePolicy, r.image_policy));
    if (verdict === 'block') {
      withheld.set(r.generation_id!, (withheld.get(r.generation_id!) ?? 0) + 1);
      continue;
    }
    const list = assets.get(r.generation_id!) ?? [];
    list.push({ id: r.id, url: fileUrl(r.id), width: r.width, height: r.height, media: r.media, mime: r.mime, saved: r.saved, moderation: verdict });
    assets.set(r.generation_id!, list);
  }
  for (const r of refRows) refs.set(r.generation_id, [...(refs.get(r.generation_id) ?? []), r.asset_id]);
  return { assets, refs, withheld, returned };
}

async function viewsOf(deps: Pick<Deps, 'db' | 'config'>, rows: Generation[]): Promise<GenerationView[]> {
  const { assets, refs, withheld, returned } = await detailsFor(deps, rows.map((g) => g.id));
  return rows.map((g) => toView(g, assets.get(g.id) ?? [], refs.get(g.id) ?? [], withheld.get(g.id) ?? 0, returned.get(g.id) ?? 0));
}

/** Checks the request against the model's capabilities; every refusal names what to change. */
function checkAgainstModel(model: ModelInfo, input: z.output<typeof CreateGenerationInput>) {
  const bad = (userMessage: string) => new AppError('INVALID_INPUT', { userMessage });
  if (model.kind !== input.kind) throw bad(`${model.label} makes ${model.kind === 'video' ? 'videos' : 'images'}; pick a ${input.kind} model.`);
  if (input.count > model.maxOutputs) throw bad(`${model.label} makes at most ${model.maxOutputs} output${model.maxOutputs === 1 ? '' : 's'} at a time.`);
  if (input.referenceAssetIds.length > model.maxReferences) throw bad(`${model.label} takes at most ${model.maxReferences} reference image${model.maxReferences === 1 ? '' : 's'}.`);
  if (input.steps !== undefined) {
    if (!model.steps) throw bad(`${model.label} has a fixed number of steps.`);
    if (input.steps < model.steps.min || input.steps > model.steps.max) throw bad(`Steps must be between ${model.steps.min} and ${model.steps.max} for ${model.label}.`);
  }
  if (input.negativePrompt && !model.negativePrompt) throw bad(`${model.label} does not take a negative prompt. Leave that field empty or pick another model.`);
  if (input.guidance !== undefined) {
    if (!model.guidance) throw bad(`${model.label} does not take a guidance value.`);
    if (input.guidance < model.guidance.min || input.guidance > model.guidance.max) throw bad(`Guidance must be between ${model.guidance.min} and ${model.guidance.max} for ${model.label}.`);
  }
  if (model.kind === 'video') {
    const d = input.durationSeconds ?? model.durations![0]!;
    if (!model.durations!.includes(d)) throw bad(`Clip length must be one of ${model.durations!.join(', ')} seconds for ${model.label}.`);
    const f = input.fps ?? model.fps![0]!;
    if (!model.fps!.includes(f)) throw bad(`Frame rate must be one of ${model.fps!.join(', ')} fps for ${model.label}.`);
  } else if (input.durationSeconds !== undefined || input.fps !== undefined) {
    throw bad('Clip length and frame rate apply to video models only.');
  }
}

/**
 * Validates, checks the rate limits, reserves credits, inserts the generation and its references and enqueues its job in
 * one transaction: no job without a row, no row without a job, no charge without either.
 */
export interface CreateOptions {
  rerunOf?: string;
  /** Where it comes from (a re-run or variations of an output); an edit's parent is found from its references. */
  parent?: { generationId: string; assetId: string | null; lineage: LineageKind };
}

export async function createGeneration(deps: Deps, actor: Actor, raw: z.input<typeof CreateGenerationInput>, opts: CreateOptions = {}): Promise<GenerationView> {
  const input = CreateGenerationInput.parse(raw);
  const workspaceId = await resolveWorkspace(deps.db, actor, input.workspaceId, 'generation.create');
  const modelId = input.model ?? deps.providers.defaultModel(input.kind);
  const model = deps.providers.modelInfo(modelId);
  if (!model) throw new AppError('INVALID_INPUT', { userMessage: `There is no model called “${modelId}”. Pick one from the list.` });
  checkAgainstModel(model, input);
  let parent = opts.parent ?? null;
  if (input.referenceAssetIds.length > 0) {
    const found = await deps.db
      .selectFrom('asset')
      .select(['id', 'generation_id'])
      .where('id', 'in', input.referenceAssetIds)
      .where('workspace_id', '=', workspaceId)
      .where('media', '=', 'image')
      .where('deleted_at', 'is', null)
      .where('hidden_at', 'is', null) // hidden by moderators: not a reference any more
      .execute();
    if (found.length !== input.referenceAssetIds.length) {
      throw new AppError('NOT_FOUND', { userMessage: 'A reference image was not found in this workspace. Remove it and add it again.' });
    }
    // An edit made with an output as a reference: that output is its parent (the first such reference).
    if (!parent) {
      const byId = new Map(found.map((f) => [f.id, f.generation_id]));
      const first = input.referenceAssetIds.find((id) => byId.get(id));
      if (first) parent = { generationId: byId.get(first)!, assetId: first, lineage: 'edit' };
    }
  }
  if (input.boardId) await deps.boards?.requireBoardInWorkspace(deps, input.boardId, workspaceId);
  // Moderation before anything is reserved or sent: a refused prompt is counted and costs nothing (server/services/moderation).
  await moderatePrompt(deps, actor, workspaceId, input.prompt);
  const size = ASPECT_RATIOS[input.aspectRatio];
  const params: GenerationParams = {
    model: model.id,
    aspectRatio: input.aspectRatio,
    width: size.width,
    height: size.height,
    seed: input.seed ?? randomInt(0, MAX_SEED),
    count: model.kind === 'video' ? 1 : input.count,
    ...(model.steps ? { steps: input.steps ?? model.steps.default } : {}),
    ...(model.guidance ? { guidance: input.guidance ?? model.guidance.default } : {}),
    ...(model.kind === 'video' ? { durationSeconds: input.durationSeconds ?? model.durations![0], fps: input.fps ?? model.fps![0] } : {}),
    ...(input.negativePrompt ? { negativePrompt: input.negativePrompt } : {}),
  };
  const cost = creditCost(model, { count: params.count ?? 1, durationSeconds: params.durationSeconds });
  const gen = await deps.db.transaction().execute(async (trx) => {
    const id = randomUUID();
    // Limits, then credits: both take the ledger lock before any row that references the workspace.
    await checkGenerationLimits(trx, deps.config.generationLimits, { userId: actor.userId, workspaceId });
    await reserveCredits(trx, { workspaceId, userId: actor.userId, generationId: id, cost });
    const row = await trx
      .insertInto('generation')
      .values({
        id,
        workspace_id: workspaceId,
        user_id: actor.userId,
        kind: model.kind,
        mode: input.referenceAssetIds.length > 0 ? 'image' : 'text',
        prompt: input.prompt,
        params: JSON.stringify(params),
        // The model's first provider whose breaker is closed; the job may still move along the pool.
        provider: deps.providers.pick(model.id),
        credit_cost: cost,
        board_id: input.boardId ?? null,
        rerun_of: opts.rerunOf ?? null,
        parent_generation_id: parent?.generationId ?? null,
        parent_asset_id: parent?.assetId ?? null,
        lineage: parent?.lineage ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    if (input.referenceAssetIds.length > 0) {
      await trx
        .insertInto('generation_reference')
        .values(input.referenceAssetIds.map((asset_id, position) => ({ generation_id: row.id, asset_id, position })))
        .execute();
    }
    await deps.jobs.send(GENERATION_QUEUE, { generationId: row.id }, { trx, singletonKey: row.id, group: row.provider });
    await rememberPrompt(trx, actor.userId, input.prompt, input.negativePrompt || null);
    return row;
  });
  const [view] = await viewsOf(deps, [gen]);
  await announce(deps, gen, view!.assets);
  if (cost > 0) await publishBalance(deps, workspaceId);
  return view!;
}

/** Runs a generation again with the same settings and references; a new seed if asked. */
export async function rerunGeneration(deps: Deps, actor: Actor, raw: z.input<typeof RerunInput>): Promise<GenerationView> {
  const input = RerunInput.parse(raw);
  const g = await loadForActor(deps, actor, input.id);
  // Its first output (if any is left) is the parent the new one's lineage points at.
  const first = await deps.db.selectFrom('asset').select('id').where('generation_id', '=', g.id).where('source', '=', 'output').where('deleted_at', 'is', null).orderBy('output_index').executeTakeFirst();
  return runAgain(deps, actor, g, {
    seed: input.seed,
    parent: { generationId: g.id, assetId: first?.id ?? null, lineage: input.seed === undefined ? 'rerun' : 'variation' },
  });
}

/**
 * The same generation again: model, prompt, negative prompt, aspect ratio, count, steps, guidance,
 * clip settings and references; the seed kept (undefined), given, or new (null).
 */
async function runAgain(deps: Deps, actor: Actor, g: Generation, opts: { seed: number | null | undefined; count?: number; parent: NonNullable<CreateOptions['parent']> }) {
  const refs = await deps.db.selectFrom('generation_reference').select('asset_id').where('generation_id', '=', g.id).orderBy('position').execute();
  const p = g.params;
  return createGeneration(
    deps,
    actor,
    {
      workspaceId: g.workspace_id,
      boardId: g.board_id ?? undefined,
      kind: g.kind,
      model: p.model,
      prompt: g.prompt,
      ...(p.negativePrompt ? { negativePrompt: p.negativePrompt } : {}),
      aspectRatio: p.aspectRatio as keyof typeof ASPECT_RATIOS,
      seed: opts.seed === undefined ? p.seed : opts.seed,
      count: opts.count ?? p.count ?? 1,
      steps: p.steps,
      guidance: p.guidance,
      durationSeconds: p.durationSeconds,
      fps: p.fps,
      referenceAssetIds: refs.map((r) => r.asset_id),
    },
    { rerunOf: g.id, parent: opts.parent },
  );
}

/** Outputs a "Make variations" click asks for (images; a video model makes one clip). */
export const VARIATION_COUNT = 4;

/**
 * One click on an output's page: run its generation again with everything identical (seed, aspect
 * ratio and references included), or make variations (same settings, a new random seed, up to four
 * outputs). The new generation's parent is this output.
 */
export async function generateFromAsset(deps: Deps, actor: Actor, input: { assetId: string; mode: 'rerun' | 'variation' }): Promise<GenerationView> {
  const asset = await deps.db
    .selectFrom('asset')
    .select(['id', 'workspace_id', 'generation_id'])
    .where('id', '=', input.assetId)
    .where('deleted_at', 'is', null)
    .where('hidden_at', 'is', null)
    .executeTakeFirst();
  if (!asset) throw new AppError('NOT_FOUND');
  await requireRole(deps.db, actor, asset.workspace_id, 'viewer');
  if (!asset.generation_id) throw new AppError('INVALID_INPUT', { userMessage: 'This is an uploaded image: use it as a reference instead.' });
  const g = await deps.db.selectFrom('generation').selectAll().where('id', '=', asset.generation_id).executeTakeFirst();
  if (!g) throw new AppError('NOT_FOUND', { userMessage: 'The settings this was made with are no longer stored.' });
  const parent = { generationId: g.id, assetId: asset.id, lineage: input.mode } as const;
  if (input.mode === 'rerun') return runAgain(deps, actor, g, { seed: undefined, parent });
  const model = deps.providers.modelInfo(g.params.model);
  return runAgain(deps, actor, g, { seed: null, count: Math.min(VARIATION_COUNT, model?.maxOutputs ?? 1), parent });
}

export async function listGenerations(deps: Deps, actor: Actor, raw: z.input<typeof ListInput>) {
  const input = ListInput.parse(raw);
  const workspaceId = await resolveWorkspace(deps.db, actor, input.workspaceId, 'viewer');
  const cursor = decodeCursor(input.cursor);
  let q = deps.db.selectFrom('generation').selectAll().where('workspace_id', '=', workspaceId);
  if (cursor) q = q.where(beforeCursor('generation', cursor));
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(input.limit + 1).execute();
  const { items, nextCursor } = page(rows, input.limit);
  return { items: await viewsOf(deps, items), nextCursor };
}

async function loadForActor(deps: Deps, actor: Actor, id: string) {
  const g = await deps.db.selectFrom('generation').selectAll().where('id', '=', id).executeTakeFirst();
  if (!g) throw new AppError('NOT_FOUND');
  await requireRole(deps.db, actor, g.workspace_id, 'viewer');
  return g;
}

export async function getGeneration(deps: Deps, actor: Actor, id: string): Promise<GenerationView> {
  const [view] = await viewsOf(deps, [await loadForActor(deps, actor, id)]);
  return view!;
}

/** Ends a generation that is still queued or running, releasing its credits, in one transaction. */
async function finishUnfinished(
  deps: Deps,
  id: string,
  to: 'failed' | 'canceled',
  error: { code: string; message: string } | null,
  from: GenerationStatus[] = ['queued', 'running'],
): Promise<Generation | null> {
  const row = await deps.db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('generation')
      .set({ status: to, finished_at: new Date(), updated_at: sql`clock_timestamp()`, error_code: error?.code ?? null, error_message: error?.message ?? null })
      .where('id', '=', id)
      .where('status', 'in', from)
      .returningAll()
      .executeTakeFirst();
    if (updated) await settleCredits(trx, { workspaceId: updated.workspace_id, userId: updated.user_id, generationId: updated.id, cost: updated.credit_cost, outcome: 'release' });
    return updated ?? null;
  });
  if (row) {
    await announce(deps, row, []);
    if (row.credit_cost > 0) await publishBalance(deps, row.workspace_id);
  }
  return row;
}

/**
 * An operator's cancel from the console (server/services/operator-console.ts checks the operator):
 * the same as the author's, credits released. Null when it had already finished.
 */
export async function cancelGenerationById(deps: Deps, id: string): Promise<Generation | null> {
  return finishUnfinished(deps, id, 'canceled', null);
}

/** Cancels a queued or running generation; the worker notices within a second and stops the provider. */
export async function cancelGeneration(deps: Deps, actor: Actor, id: string): Promise<GenerationView> {
  const g = await loadForActor(deps, actor, id);
  await requirePermission(deps.db, actor, g.workspace_id, 'generation.cancel');
  const updated = await finishUnfinished(deps, id, 'canceled', null);
  if (!updated) throw new AppError('CONFLICT', { userMessage: 'This generation has already finished.' });
  return (await viewsOf(deps, [updated]))[0]!;
}

/**
 * Pushes a state change to every member of the workspace (a teammate's studio shows the job live;
 * the event names its author, so only the author's tabs toast it) and to the other areas listening
 * (boards, and notifications, which stay the author's own: server/services/notifications.ts).
 */
async function announce(deps: Deps, g: Generation, assets: GenerationAssetView[]) {
  const event: GenerationEvent = {
    id: g.id,
    workspaceId: g.workspace_id,
    userId: g.user_id,
    status: g.status,
    progress: g.progress,
    prompt: g.prompt,
    kind: g.kind,
    statusMessage: g.status === 'queued' || g.status === 'running' ? g.status_message : null,
    errorCode: g.error_code,
    errorMessage: g.error_message,
    assetIds: g.status === 'succeeded' ? assets.map((a) => a.id) : undefined,
    updatedAt: g.updated_at.getTime(),
  };
  deps.notifier.emit(rooms.workspace(g.workspace_id), 'generation:update', event);
  const change: GenerationChange = {
    id: g.id,
    workspaceId: g.workspace_id,
    userId: g.user_id,
    kind: g.kind,
    boardId: g.board_id,
    status: g.status,
    progress: g.progress,
    prompt: g.prompt,
    width: g.params.width,
    height: g.params.height,
    errorMessage: g.error_message,
    assets: assets.map((a) => ({ id: a.id, url: a.url, width: a.width, height: a.height, media: a.media })),
    updatedAt: g.updated_at.getTime(),
  };
  for (const hook of deps.hooks.generationChanged) {
    try {
      await hook(change, deps);
    } catch (err) {
      deps.log.error('generation hook failed', { generationId: g.id, err });
    }
  }
}

const PROVIDER_MESSAGES: Record<ProviderError['code'], string> = {
  PROVIDER_UNAVAILABLE: 'The model is not reachable right now. Please try again in a minute.',
  CONTENT_REFUSED: 'The model refused this prompt or image. Try rephrasing it.',
  TIMEOUT: 'The model took too long to answer. Please try again.',
  BAD_RESPONSE: 'The model sent back something we could not use. Please try again.',
  CANCELED: 'The generation was canceled.',
  RATE_LIMITED: 'The model is busy right now. Please try again in a minute.',
  OUT_OF_CREDITS: 'The model provider account is out of credit. Please tell the operator.',
  INVALID_REQUEST: 'The model did not accept these settings. Try different ones.',
};

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function loadReferences(deps: Deps, generationId: string): Promise<ReferenceImage[]> {
  const rows = await deps.db
    .selectFrom('generation_reference')
    .innerJoin('asset', 'asset.id', 'generation_reference.asset_id')
    .select(['asset.storage_key', 'asset.mime', 'asset.width', 'asset.height'])
    .where('generation_reference.generation_id', '=', generationId)
    .orderBy('generation_reference.position')
    .execute();
  return Promise.all(
    rows.map(async (r) => ({
      data: await readAll(await deps.storage.read(r.storage_key)),
      mime: r.mime as ReferenceImage['mime'],
      width: r.width ?? 0,
      height: r.height ?? 0,
    })),
  );
}

const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/webp': 'webp', 'image/jpeg': 'jpg', 'video/mp4': 'mp4' };

export interface RunOptions {
  signal?: AbortSignal;
  /** This attempt's number (0 first) and how many retries the queue allows. */
  attempt?: number;
  maxRetries?: number;
  /** How often to look for a cancel made elsewhere, in ms. */
  cancelPollMs?: number;
}

/**
 * The job handler's work: runs one generation to its end. Idempotent: a generation that already
 * finished is left alone, so a retried or duplicated job never charges, stores or announces twice.
 * A retryable provider failure is thrown back to pg-boss (retried with backoff) until the last
 * attempt, which ends the generation as failed and releases its credits.
 */
export async function runGeneration(deps: Deps, generationId: string, opts: RunOptions = {}): Promise<void> {
  const started = await deps.db
    .updateTable('generation')
    .set({ status: 'running', started_at: new Date(), updated_at: sql`clock_timestamp()`, error_code: null, error_message: null, status_message: null })
    .where('id', '=', generationId)
    .where('status', 'in', ['queued', 'running'])
    .returningAll()
    .executeTakeFirst();
  if (!started) return; // finished, canceled or gone: nothing to do.
  await announce(deps, started, []);

  const abort = new AbortController();
  const onOuterAbort = () => abort.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const stillRunning = async () => {
    const row = await deps.db.selectFrom('generation').select('status').where('id', '=', generationId).executeTakeFirst();
    return row?.status === 'running';
  };
  // A cancel may be made by any process: look for it while the provider works.
  const poll = setInterval(() => {
    void stillRunning().then((running) => running || abort.abort(), () => {});
  }, opts.cancelPollMs ?? 1000);
  let lastProgress = -1;
  let lastStatus: string | null = null;
  const p = started.params;
  try {
    // References are classified when a job first uses them; one the workspace blocks is never sent.
    // A text-only generation has none (its mode says so): no need to ask the database.
    const withReferences = started.mode === 'image';
    const screened = withReferences ? await screenReferences(deps, started.id, started.workspace_id, async (key) => readAll(await deps.storage.read(key))) : { blocked: false };
    if (screened.blocked) {
      await finishUnfinished(deps, generationId, 'failed', { code: 'REFERENCE_BLOCKED', message: REFERENCE_BLOCKED }, ['running']);
      return;
    }
    // The model's provider pool: a provider failure moves the job to the next one (server/providers/pool.ts).
    const { outputs, provider: servedBy } = await deps.providers.generate(
      {
        id: started.id,
        kind: started.kind,
        model: p.model,
        prompt: started.prompt,
        width: p.width,
        height: p.height,
        seed: p.seed,
        count: p.count ?? 1,
        steps: p.steps,
        guidance: p.guidance,
        durationSeconds: p.durationSeconds,
        fps: p.fps,
        ...(p.negativePrompt ? { negativePrompt: p.negativePrompt } : {}),
        references: withReferences ? await loadReferences(deps, started.id) : [],
      },
      {
        signal: abort.signal,
        onProgress: async (percent) => {
          const pct = Math.max(0, Math.min(99, Math.round(percent)));
          if (pct <= lastProgress) return;
          lastProgress = pct;
          const row = await deps.db
            .updateTable('generation')
            .set({ progress: pct, updated_at: sql`clock_timestamp()` })
            .where('id', '=', generationId)
            .where('status', '=', 'running')
            .returningAll()
            .executeTakeFirst();
          if (!row) abort.abort(); // canceled (or deleted) meanwhile
          else await announce(deps, row, []);
        },
        // The provider's own words (fal's queue position, its last log line), passed on to the card.
        onStatus: async (message) => {
          const text = message.replace(/\s+/g, ' ').trim().slice(0, STATUS_MESSAGE_MAX);
          if (!text || text === lastStatus) return;
          lastStatus = text;
          const row = await deps.db
            .updateTable('generation')
            .set({ status_message: text, updated_at: sql`clock_timestamp()` })
            .where('id', '=', generationId)
            .where('status', '=', 'running')
            .returningAll()
            .executeTakeFirst();
          if (!row) abort.abort();
          else await announce(deps, row, []);
        },
      },
      started.provider,
      {
        onFailover: async (from, err, to) => {
          deps.log.warn('generation moves to the next provider', { generationId, from, to, code: err.code, error: err.message });
          await deps.db.updateTable('generation').set({ provider: to }).where('id', '=', generationId).where('status', '=', 'running').execute();
        },
      },
    );
    validateOutputs(outputs, p.count ?? 1);
    // Every output is classified (locally, offline; in the classifier's own thread) while it is
    // marked and stored: the classifier reads the provider's pixels, which marking never changes (it
    // adds metadata to the file), so its verdict is the one on the stored file, and the job waits for
    // the longer of the two instead of their sum. Nothing can show an output before its verdict: the
    // rows that point at the files are written only with it, below, and no event, list, board or
    // /files request knows a file without its row. The policy decides what members see.
    // The offline preview renderer's text-only pictures are drawn from the seed (gradients, shapes and
    // the caption), so nothing in them can be what the classifier looks for: their scores are stored,
    // but they are not held back (about 3 in 100 of these abstract pictures score above the threshold,
    // which blurred placeholders at random on a fresh install). With references, a photo is blended in,
    // so those are judged like any output.
    const judging = Promise.all(
      outputs.map(async (out): Promise<ImageResult> => {
        const r = await classifyImage(deps, out.data, out.mime);
        return out.drawn ? { ...r, flagged: false } : r;
      }),
    );
    const policyRead = effectivePolicy(deps, started.workspace_id);
    // Awaited below; a failure while marking or storing must not leave them unhandled meanwhile.
    judging.catch(() => {});
    policyRead.catch(() => {});
    // Every file says, in its own metadata, that it was generated and by what (server/provenance):
    // XMP in every format, and a signed C2PA manifest over the final bytes in PNG and JPEG.
    const mark = markFor({ provider: servedBy, modelLabel: deps.providers.modelInfo(p.model)?.label ?? p.model, createdAt: new Date() });
    const marked = await Promise.all(
      outputs.map((out) =>
        markOutput(out, mark, deps.contentCredentials).catch((err: unknown) => {
          if (err instanceof UnmarkableFile) throw new ProviderError('BAD_RESPONSE', `The provider returned a file that is not a well-formed ${out.mime}: ${err.message}.`);
          throw err;
        }),
      ),
    );
    // Thumbnails (made once, from the marked file; their XMP says AI-made, as the original's does, and
    // they carry a C2PA manifest of their own) are made meanwhile too, and stored after the done event
    // once their asset ids exist (a request that comes first makes the same file).
    const thumbnailing = marked.map((out) =>
      out.mime.startsWith('image/')
        ? makeThumbnails(out.data, (webp) => markThumbnail(webp, out.data, out.mime, deps.contentCredentials)).catch((err: unknown) => ({ err }))
        : null,
    );
    // Files first; the rows that point at them are written with the status change, in one transaction.
    // Each attempt writes its own keys, so a duplicate attempt that loses the race removes only its own files.
    const attemptId = randomUUID().slice(0, 8);
    const files = marked.map((out, i) => ({ key: `ws/${started.workspace_id}/out/${started.id}-${attemptId}-${i}.${EXTENSIONS[out.mime] ?? 'bin'}`, out }));
    const puts = await Promise.allSettled(files.map((f) => deps.storage.put(f.key, f.out.data)));
    let results: ImageResult[];
    let policy: ImagePolicy;
    try {
      for (const put of puts) if (put.status === 'rejected') throw put.reason;
      [results, policy] = await Promise.all([judging, policyRead]);
    } catch (err) {
      // No row points at them: remove what this attempt wrote.
      await Promise.all(files.filter((_f, i) => puts[i]!.status === 'fulfilled').map((f) => deps.storage.delete(f.key).catch(() => {})));
      throw err;
    }
    const stored: StoredOutput[] = files.map((f, i) => ({ key: f.key, sha256: createHash('sha256').update(f.out.data).digest('hex'), out: f.out, result: results[i]! }));
    const allBlocked = policy === 'block' && results.every((r) => r.flagged);
    // Charged only for what the person gets: outputs the policy blocks now, and any the provider did
    // not return, give their share of the cost back (the cost is per output, so the shares are whole).
    const requested = p.count ?? 1;
    const delivered = results.filter((r) => !(policy === 'block' && r.flagged)).length;
    const returned = allBlocked || delivered >= requested ? 0 : started.credit_cost - Math.floor((started.credit_cost * delivered) / requested);
    let outputIds: string[] = [];
    const done = await deps.db.transaction().execute(async (trx) => {
      // Everything it made is blocked by the workspace's policy: kept with its scores but not shown, and not charged.
      const row = await trx
        .updateTable('generation')
        .set(
          allBlocked
            ? { status: 'failed', provider: servedBy, progress: 100, finished_at: new Date(), updated_at: sql`clock_timestamp()`, error_code: 'OUTPUT_BLOCKED', error_message: OUTPUT_BLOCKED }
            : { status: 'succeeded', provider: servedBy, progress: 100, finished_at: new Date(), updated_at: sql`clock_timestamp()` },
        )
        .where('id', '=', generationId)
        .where('status', '=', 'running')
        .returningAll()
        .executeTakeFirst();
      if (!row) return null;
      outputIds = await insertOutputs(trx, started, stored);
      await settleCredits(trx, { workspaceId: row.workspace_id, userId: row.user_id, generationId: row.id, cost: row.credit_cost, outcome: allBlocked ? 'release' : 'capture', returned });
      return row;
    });
    if (!done) {
      // Canceled while rendering: nothing points at these files.
      await Promise.all(stored.map((s) => deps.storage.delete(s.key)));
      return;
    }
    // What members see of it, from what was just written (as `viewsOf` would read it back).
    await announce(deps, done, outputViews(deps, started, stored, outputIds, policy));
    if ((allBlocked && done.credit_cost > 0) || returned > 0) await publishBalance(deps, done.workspace_id);
    await Promise.all(
      stored.map(async (_s, i) => {
        const id = outputIds[i];
        const made = await thumbnailing[i];
        if (!id || !made) return;
        if ('err' in made) deps.log.warn('thumbnail not made at store time (made on first request)', { assetId: id, err: made.err });
        else await putThumbnails(deps.storage, id, made).catch((err: unknown) => deps.log.warn('thumbnail not stored at store time (made on first request)', { assetId: id, err }));
      }),
    );
  } catch (err) {
    const pe = err instanceof ProviderError ? err : null;
    if (opts.signal?.aborted) {
      // pg-boss took the job back (its heartbeat lapsed, or the process is stopping): the job is
      // retried elsewhere or dead-lettered, which settles the row; this attempt leaves it alone.
      deps.log.warn('generation attempt lost its job, left to the retry', { generationId, attempt: opts.attempt });
      throw err;
    }
    if (pe?.code === 'CANCELED' || abort.signal.aborted) {
      if (!(await stillRunning())) return; // a person canceled it: already recorded and announced
    }
    const lastAttempt = (opts.attempt ?? 0) >= (opts.maxRetries ?? 0);
    if (pe?.retryable && !lastAttempt) {
      deps.log.warn('generation attempt failed, will retry', { generationId, code: pe.code, attempt: opts.attempt });
      await deps.db
        .updateTable('generation')
        .set({ status: 'queued', updated_at: sql`clock_timestamp()`, error_message: `${PROVIDER_MESSAGES[pe.code]} Trying again shortly.` })
        .where('id', '=', generationId)
        .where('status', '=', 'running')
        .execute();
      throw err; // pg-boss retries with backoff
    }
    if (!pe) deps.log.error('generation failed unexpectedly', { generationId, err });
    await finishUnfinished(
      deps,
      generationId,
      'failed',
      { code: pe?.code ?? 'GENERATION_FAILED', message: pe ? PROVIDER_MESSAGES[pe.code] : 'The generation failed. Please try again.' },
      ['running'],
    );
  } finally {
    clearInterval(poll);
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
}

/** A provider answer we can use: the right number of non-empty media files of known types. */
function validateOutputs(outputs: ProviderOutput[], count: number) {
  if (outputs.length === 0 || outputs.length > count) throw new ProviderError('BAD_RESPONSE', `Expected ${count} outputs, got ${outputs.length}.`);
  for (const o of outputs) {
    if (!o.data?.length || !EXTENSIONS[o.mime] || !(o.width > 0) || !(o.height > 0)) throw new ProviderError('BAD_RESPONSE', 'The provider returned an unusable file.');
  }
}

interface StoredOutput {
  key: string;
  sha256: string;
  out: ProviderOutput;
  result: ImageResult;
}

const REFERENCE_BLOCKED = 'A reference image was classified as sexual content, which this workspace does not allow, so nothing was sent to the model. Your credits were returned.';
const OUTPUT_BLOCKED = 'The result was classified as sexual content, which this workspace does not allow, so it is not shown. Your credits were returned.';

const mediaOf = (g: Generation, out: ProviderOutput): 'image' | 'video' => (g.kind === 'video' || out.mime.startsWith('video/') ? 'video' : 'image');

/**
 * The outputs a finished generation shows, from the rows just written (ids in `stored` order): what
 * `viewsOf` reads back for them (fresh rows are neither deleted nor hidden), without asking the
 * database again. Blocked outputs are left out; the order is the storage key's, as there.
 */
function outputViews(deps: Pick<Deps, 'config'>, g: Generation, stored: StoredOutput[], ids: string[], policy: ImagePolicy): GenerationAssetView[] {
  return stored
    .map((s, i) => ({ s, id: ids[i] }))
    .filter((x): x is { s: StoredOutput; id: string } => Boolean(x.id))
    .sort((a, b) => (a.s.key < b.s.key ? -1 : a.s.key > b.s.key ? 1 : 0))
    .flatMap(({ s, id }) => {
      const moderation = verdictOf(s.result.classification ? s.result.flagged : null, stricter(deps.config.moderation.imagePolicy, policy));
      return moderation === 'block' ? [] : [{ id, url: fileUrl(id), width: s.out.width, height: s.out.height, media: mediaOf(g, s.out), mime: s.out.mime, saved: false, moderation }];
    });
}

async function insertOutputs(trx: Transaction<DB>, g: Generation, stored: StoredOutput[]): Promise<string[]> {
  const rows = await trx
    .insertInto('asset')
    .values(
      stored.map((s, i) => ({
        output_index: i,
        workspace_id: g.workspace_id,
        user_id: g.user_id,
        generation_id: g.id,
        source: 'output' as const,
        media: mediaOf(g, s.out),
        storage_key: s.key,
        mime: s.out.mime,
        size_bytes: s.out.data.length,
        width: s.out.width,
        height: s.out.height,
        sha256: s.sha256,
        saved: false,
        ...resultColumns(s.result),
      })),
    )
    .returning(['id', 'storage_key'])
    .execute();
  const byKey = new Map(rows.map((r) => [r.storage_key, r.id]));
  return stored.map((st) => byKey.get(st.key) ?? '');
}

/** Dead-letter handler: a job pg-boss gave up on (crashed worker, timeouts) ends the generation as failed. */
export async function failAbandonedGeneration(deps: Deps, generationId: string): Promise<void> {
  await finishUnfinished(deps, generationId, 'failed', {
    code: 'GENERATION_FAILED',
    message: 'The generation could not be completed after several tries. Your credits were returned.',
  });
}
