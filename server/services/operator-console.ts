/**
 * The operator console (/admin): what operators read (reports, appeals, users with their usage,
 * jobs by provider and state, failure reasons, queue depth, provider health) and the two job
 * actions (retry, cancel). Every function calls `requireOperator` first (NOT_FOUND to anyone else).
 * Reads that show personal data (reports, appeals, users, jobs with prompts and emails) write an
 * `admin.viewed` audit row naming the operator and the page; the decisions are in takedown.ts.
 */
import { providerHealth as breakerHealth } from './provider-health.js';
import type { Readable } from 'node:stream';
import { sql } from 'kysely';
import type { z } from 'zod';
import { AppError } from '../shared/errors.js';
import { JobActionInput, JobListInput, ReportListInput, UserSearchInput, reasonLabel } from '../shared/reports.js';
import { audit } from './audit.js';
import type { Actor, Deps } from './deps.js';
import { cancelGenerationById, rerunGeneration } from './generations.js';
import { requireOperator } from './operators.js';

const viewed = (deps: Deps, actor: Actor, page: string, detail: Record<string, unknown> = {}) => audit(deps.db, actor.userId, 'admin.viewed', { page, ...detail });

/** How far back "recent" goes for failures and provider health. */
const RECENT_HOURS = 24;
const HEALTH_MINUTES = 60;

// ---------------------------------------------------------------------------------------------
// Overview

export interface ProviderHealth {
  provider: string;
  configured: boolean;
  /** 'ok': recent jobs mostly succeed; 'failing': most recent jobs failed; 'idle': none recently */
  state: 'ok' | 'failing' | 'idle';
  succeeded: number;
  failed: number;
  running: number;
  queued: number;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  /** The provider pool's circuit breaker for it, as this process sees it (server/providers/breaker.ts); null: not in any pool here. */
  circuit: { state: 'closed' | 'open' | 'half-open'; consecutiveFailures: number; lastError: string | null; retryAt: Date | null } | null;
}

/** Provider health from what the jobs themselves saw in the last hour (there is no separate probe). */
async function providerHealth(deps: Deps): Promise<ProviderHealth[]> {
  const since = sql<Date>`now() - make_interval(mins => ${HEALTH_MINUTES})`;
  const rows = await deps.db
    .selectFrom('generation')
    .select((eb) => [
      'provider',
      eb.fn.count<string>('id').filterWhere(sql<boolean>`status = 'succeeded' and finished_at > ${since}`).as('succeeded'),
      eb.fn.count<string>('id').filterWhere(sql<boolean>`status = 'failed' and finished_at > ${since}`).as('failed'),
      eb.fn.count<string>('id').filterWhere('status', '=', 'running').as('running'),
      eb.fn.count<string>('id').filterWhere('status', '=', 'queued').as('queued'),
      eb.fn.max(sql<Date>`case when status = 'succeeded' then finished_at end`).as('last_success'),
      eb.fn.max(sql<Date>`case when status = 'failed' then finished_at end`).as('last_failure'),
    ])
    .where((eb) => eb.or([eb('status', 'in', ['queued', 'running']), eb('finished_at', '>', since)]))
    .groupBy('provider')
    .execute();
  // The providers this process can call (a hosted one only with its key); `concurrency` names them all.
  const configured = Object.keys(deps.providers.concurrency).filter((name) => {
    try {
      deps.providers.get(name);
      return true;
    } catch {
      return false;
    }
  });
  const circuits = breakerHealth(deps);
  const names = [...new Set([...configured, ...rows.map((r) => r.provider)])].sort();
  return names.map((provider) => {
    const r = rows.find((x) => x.provider === provider);
    const c = circuits.find((x) => x.name === provider);
    const succeeded = Number(r?.succeeded ?? 0);
    const failed = Number(r?.failed ?? 0);
    return {
      provider,
      configured: configured.includes(provider),
      state: succeeded + failed === 0 ? 'idle' : failed > succeeded && failed >= 3 ? 'failing' : 'ok',
      succeeded,
      failed,
      running: Number(r?.running ?? 0),
      queued: Number(r?.queued ?? 0),
      lastSuccessAt: (r?.last_success as Date | null) ?? null,
      lastFailureAt: (r?.last_failure as Date | null) ?? null,
      circuit: c ? { state: c.state, consecutiveFailures: c.consecutiveFailures, lastError: c.lastError, retryAt: c.retryAt } : null,
    };
  });
}

/** Jobs waiting or running in each pg-boss queue (the dead-letter queues too). */
async function queueDepth(deps: Deps): Promise<{ queue: string; waiting: number; active: number }[]> {
  const r = await sql<{ name: string; waiting: number; active: number }>`
    select name,
      count(*) filter (where state in ('created', 'retry'))::int as waiting,
      count(*) filter (where state = 'active')::int as active
    from pgboss.job where state in ('created', 'retry', 'active') group by name order by name`
    .execute(deps.db)
    .catch(() => ({ rows: [] as { name: string; waiting: number; active: number }[] }));
  return r.rows.map((x) => ({ queue: x.name, waiting: x.waiting, active: x.active }));
}

export async function overview(deps: Deps, actor: Actor) {
  await requireOperator(deps, actor);
  const [reports, appeals, suspended, providers, queues] = await Promise.all([
    deps.db.selectFrom('report').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '=', 'open').executeTakeFirstOrThrow(),
    deps.db.selectFrom('appeal').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '=', 'open').executeTakeFirstOrThrow(),
    deps.db.selectFrom('active_standing').select(['status', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('status').execute(),
    providerHealth(deps),
    queueDepth(deps),
  ]);
  const failedRecently = await deps.db
    .selectFrom('generation')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('status', '=', 'failed')
    .where('finished_at', '>', sql<Date>`now() - make_interval(hours => ${RECENT_HOURS})`)
    .executeTakeFirstOrThrow();
  return {
    openReports: Number(reports.n),
    openAppeals: Number(appeals.n),
    suspended: Number(suspended.find((s) => s.status === 'suspended')?.n ?? 0),
    banned: Number(suspended.find((s) => s.status === 'banned')?.n ?? 0),
    failedRecently: Number(failedRecently.n),
    recentHours: RECENT_HOURS,
    healthMinutes: HEALTH_MINUTES,
    providers,
    queues,
  };
}

// ---------------------------------------------------------------------------------------------
// Reports and appeals

export async function listReports(deps: Deps, actor: Actor, raw: z.input<typeof ReportListInput>) {
  await requireOperator(deps, actor);
  const input = ReportListInput.parse(raw);
  const rows = await deps.db
    .selectFrom('report')
    .leftJoin('user as reporter', 'reporter.id', 'report.reporter_id')
    .leftJoin('user as subject', 'subject.id', 'report.subject_user_id')
    .leftJoin('active_standing', 'active_standing.user_id', 'report.subject_user_id')
    .leftJoin('asset', 'asset.id', 'report.asset_id')
    .leftJoin('board', 'board.id', 'report.board_id')
    .select([
      'report.id',
      'report.reason',
      'report.note',
      'report.status',
      'report.created_at',
      'report.resolved_at',
      'report.resolution',
      'report.item_id',
      'report.excerpt',
      'report.asset_id',
      'report.board_id',
      'report.subject_user_id',
      'reporter.email as reporter_email',
      'report.via',
      'subject.email as subject_email',
      'subject.name as subject_name',
      'active_standing.status as subject_standing',
      'asset.media',
      'asset.mime',
      'asset.hidden_at',
      'board.name as board_name',
    ])
    .where('report.status', '=', input.status)
    .orderBy('report.created_at', input.status === 'open' ? 'asc' : 'desc')
    .limit(200)
    .execute();
  // How many open reports each asset has: the queue shows the most reported first within a day.
  const counts = new Map<string, number>();
  for (const r of rows) if (r.asset_id && r.status === 'open') counts.set(r.asset_id, (counts.get(r.asset_id) ?? 0) + 1);
  await viewed(deps, actor, 'reports', { status: input.status, shown: rows.length });
  return rows.map((r) => ({
    id: r.id,
    reason: r.reason,
    reasonLabel: reasonLabel(r.reason),
    note: r.note,
    status: r.status,
    createdAt: r.created_at,
    resolvedAt: r.resolved_at,
    resolution: r.resolution,
    reporterEmail: r.reporter_email,
    /** 'link': sent by someone holding a share link to the board (no account) */
    via: r.via,
    subject: { userId: r.subject_user_id, email: r.subject_email, name: r.subject_name, standing: r.subject_standing ?? 'good' },
    asset: r.asset_id
      ? { id: r.asset_id, media: r.media, mime: r.mime, hidden: r.hidden_at !== null, reviewUrl: `/files/review/${r.asset_id}`, openReports: counts.get(r.asset_id) ?? 0 }
      : null,
    boardItem: r.item_id ? { boardId: r.board_id, boardName: r.board_name, itemId: r.item_id, excerpt: r.excerpt } : null,
  }));
}

export async function listAppeals(deps: Deps, actor: Actor) {
  await requireOperator(deps, actor);
  const rows = await deps.db
    .selectFrom('appeal')
    .innerJoin('user', 'user.id', 'appeal.user_id')
    .leftJoin('asset', 'asset.id', 'appeal.asset_id')
    .leftJoin('active_standing', 'active_standing.user_id', 'appeal.user_id')
    .select(['appeal.id', 'appeal.message', 'appeal.status', 'appeal.created_at', 'appeal.asset_id', 'appeal.user_id', 'user.email', 'asset.hidden_reason', 'active_standing.status as standing', 'active_standing.reason as standing_reason'])
    .where('appeal.status', '=', 'open')
    .orderBy('appeal.created_at', 'asc')
    .limit(200)
    .execute();
  await viewed(deps, actor, 'appeals', { shown: rows.length });
  return rows.map((r) => ({
    id: r.id,
    message: r.message,
    createdAt: r.created_at,
    userId: r.user_id,
    email: r.email,
    about: r.asset_id
      ? { kind: 'asset' as const, assetId: r.asset_id, reviewUrl: `/files/review/${r.asset_id}`, reasonLabel: reasonLabel(r.hidden_reason ?? 'other') }
      : { kind: 'account' as const, standing: r.standing ?? 'good', reasonLabel: r.standing_reason ? reasonLabel(r.standing_reason) : null },
  }));
}

/**
 * The file of a reported (or appealed) asset, for an operator deciding about it, hidden or not.
 * Operators do not browse other people's files: an asset nobody reported or appealed is NOT_FOUND.
 */
export async function openAssetForReview(deps: Deps, actor: Actor, assetId: string): Promise<{ stream: Readable; mime: string; size: number }> {
  await requireOperator(deps, actor);
  const asset = await deps.db
    .selectFrom('asset')
    .select(['id', 'storage_key', 'mime', 'size_bytes'])
    .where('id', '=', assetId)
    .where('deleted_at', 'is', null)
    .where((eb) => eb.or([eb.exists(eb.selectFrom('report').select('id').whereRef('report.asset_id', '=', 'asset.id')), eb.exists(eb.selectFrom('appeal').select('id').whereRef('appeal.asset_id', '=', 'asset.id'))]))
    .executeTakeFirst();
  if (!asset) throw new AppError('NOT_FOUND');
  await viewed(deps, actor, 'review-file', { assetId });
  try {
    return { stream: await deps.storage.read(asset.storage_key), mime: asset.mime, size: asset.size_bytes };
  } catch {
    throw new AppError('NOT_FOUND', { userMessage: 'The file for this item is missing.' });
  }
}

// ---------------------------------------------------------------------------------------------
// Users

/** Accounts by email or name (or all, newest first), with their standing and usage. */
export async function searchUsers(deps: Deps, actor: Actor, raw: z.input<typeof UserSearchInput>) {
  await requireOperator(deps, actor);
  const input = UserSearchInput.parse(raw);
  const pattern = input.q ? `%${input.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const rows = await deps.db
    .selectFrom('user')
    .leftJoin('active_standing', 'active_standing.user_id', 'user.id')
    .select((eb) => [
      'user.id',
      'user.email',
      'user.name',
      'user.emailVerified',
      'user.createdAt',
      'active_standing.status as standing',
      'active_standing.reason as standing_reason',
      'active_standing.since as standing_since',
      'active_standing.until as standing_until',
      'active_standing.source as standing_source',
      'active_standing.note as standing_note',
      eb.selectFrom('generation').select((g) => g.fn.countAll<string>().as('n')).whereRef('generation.user_id', '=', 'user.id').as('generations'),
      eb
        .selectFrom('credit_ledger')
        .select(sql<string>`coalesce(-sum(delta), 0)`.as('n'))
        .whereRef('credit_ledger.user_id', '=', 'user.id')
        .where('credit_ledger.reason', 'like', 'generation.%')
        .as('credits_spent'),
      eb
        .selectFrom('asset')
        .select(sql<string>`coalesce(sum(size_bytes), 0)`.as('n'))
        .whereRef('asset.user_id', '=', 'user.id')
        .where('asset.deleted_at', 'is', null)
        .as('storage_bytes'),
      eb.selectFrom('session').select((s) => s.fn.countAll<string>().as('n')).whereRef('session.userId', '=', 'user.id').where('session.expiresAt', '>', new Date()).as('sessions'),
    ])
    .$if(pattern !== null, (q) => q.where((eb) => eb.or([eb('user.email', 'ilike', pattern!), eb('user.name', 'ilike', pattern!)])))
    .orderBy('user.createdAt', 'desc')
    .limit(50)
    .execute();
  await viewed(deps, actor, 'users', { q: input.q ?? null, shown: rows.length });
  const operators = new Set(deps.config.adminEmails);
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    name: r.name,
    confirmed: r.emailVerified,
    createdAt: r.createdAt,
    operator: operators.has(r.email.toLowerCase()),
    standing: r.standing ?? ('good' as const),
    standingReason: r.standing_reason ? reasonLabel(r.standing_reason) : null,
    standingSince: r.standing_since,
    /** when it ends by itself (moderation's automatic suspensions); null: until lifted */
    standingUntil: r.standing_until,
    /** who decided: an operator, or moderation (repeated refused prompts) */
    standingSource: r.standing_source,
    /** what moderation counted, for an automatic suspension */
    standingDetail: r.standing_source === 'moderation' ? r.standing_note : null,
    usage: { generations: Number(r.generations ?? 0), creditsSpent: Number(r.credits_spent ?? 0), storageBytes: Number(r.storage_bytes ?? 0), activeSessions: Number(r.sessions ?? 0) },
  }));
}

// ---------------------------------------------------------------------------------------------
// Jobs

export async function listJobs(deps: Deps, actor: Actor, raw: z.input<typeof JobListInput>) {
  await requireOperator(deps, actor);
  const input = JobListInput.parse(raw);
  const recent = sql<Date>`now() - make_interval(hours => ${RECENT_HOURS})`;
  const [byProvider, reasons, jobs] = await Promise.all([
    deps.db
      .selectFrom('generation')
      .select(['provider', 'status', (eb) => eb.fn.countAll<string>().as('n')])
      .where((eb) => eb.or([eb('status', 'in', ['queued', 'running']), eb('created_at', '>', recent)]))
      .groupBy(['provider', 'status'])
      .execute(),
    deps.db
      .selectFrom('generation')
      .select(['provider', 'error_code', 'error_message', (eb) => eb.fn.countAll<string>().as('n'), (eb) => eb.fn.max('finished_at').as('last')])
      .where('status', '=', 'failed')
      .where('finished_at', '>', recent)
      .groupBy(['provider', 'error_code', 'error_message'])
      .orderBy(sql`count(*)`, 'desc')
      .limit(20)
      .execute(),
    deps.db
      .selectFrom('generation')
      .leftJoin('user', 'user.id', 'generation.user_id')
      .select([
        'generation.id',
        'generation.kind',
        'generation.provider',
        'generation.status',
        'generation.progress',
        'generation.prompt',
        'generation.error_code',
        'generation.error_message',
        'generation.created_at',
        'generation.started_at',
        'generation.finished_at',
        'generation.credit_cost',
        'user.email',
      ])
      .$if(input.status !== undefined, (q) => q.where('generation.status', '=', input.status!))
      .$if(input.provider !== undefined, (q) => q.where('generation.provider', '=', input.provider!))
      .orderBy('generation.created_at', 'desc')
      .limit(100)
      .execute(),
  ]);
  await viewed(deps, actor, 'jobs', { status: input.status ?? null, provider: input.provider ?? null });
  const providers = [...new Set(byProvider.map((r) => r.provider))].sort();
  return {
    recentHours: RECENT_HOURS,
    byProvider: providers.map((provider) => {
      const n = (s: string) => Number(byProvider.find((r) => r.provider === provider && r.status === s)?.n ?? 0);
      return { provider, queued: n('queued'), running: n('running'), failed: n('failed'), succeeded: n('succeeded'), canceled: n('canceled') };
    }),
    failureReasons: reasons.map((r) => ({ provider: r.provider, code: r.error_code, message: r.error_message, count: Number(r.n), lastAt: r.last as Date | null })),
    jobs: jobs.map((j) => ({
      id: j.id,
      kind: j.kind,
      provider: j.provider,
      status: j.status,
      progress: j.progress,
      prompt: j.prompt.length > 140 ? `${j.prompt.slice(0, 139)}…` : j.prompt,
      error: j.error_message ?? j.error_code,
      createdAt: j.created_at,
      startedAt: j.started_at,
      finishedAt: j.finished_at,
      credits: j.credit_cost,
      email: j.email,
    })),
  };
}

/**
 * Runs a failed or cancelled job again: a new generation with the same settings, for its author, as
 * if they pressed Re-run (their credits, their limits, refused if they are suspended or left).
 */
export async function retryJob(deps: Deps, actor: Actor, raw: z.input<typeof JobActionInput>) {
  await requireOperator(deps, actor);
  const input = JobActionInput.parse(raw);
  const g = await deps.db.selectFrom('generation').select(['id', 'user_id', 'status']).where('id', '=', input.generationId).executeTakeFirst();
  if (!g) throw new AppError('NOT_FOUND');
  if (g.status !== 'failed' && g.status !== 'canceled') throw new AppError('CONFLICT', { userMessage: 'Only failed or cancelled jobs can be run again.' });
  const view = await rerunGeneration(deps, { userId: g.user_id }, { id: g.id });
  await audit(deps.db, actor.userId, 'admin.job-retried', { generationId: g.id, newGenerationId: view.id });
  return { generationId: view.id, status: view.status };
}

/** Cancels a queued or running job (credits released, the author sees it cancelled live). */
export async function cancelJob(deps: Deps, actor: Actor, raw: z.input<typeof JobActionInput>) {
  await requireOperator(deps, actor);
  const input = JobActionInput.parse(raw);
  const exists = await deps.db.selectFrom('generation').select('id').where('id', '=', input.generationId).executeTakeFirst();
  if (!exists) throw new AppError('NOT_FOUND');
  const row = await cancelGenerationById(deps, input.generationId);
  if (!row) throw new AppError('CONFLICT', { userMessage: 'This job has already finished.' });
  await audit(deps.db, actor.userId, 'admin.job-canceled', { generationId: row.id });
  return { generationId: row.id, status: row.status };
}
