/**
 * The prompt check, run by createGeneration before any credit is reserved or any provider is
 * called, and the abuse limits on repeated refusals.
 *
 * Order: a suspended account never gets here (createGeneration's `requirePermission` refuses it
 * with ACCOUNT_SUSPENDED, from the one standing record, server/services/account-standing.ts); then
 * slowed and too soon → GENERATION_SLOWED with Retry-After; then the term list (shipped defaults +
 * operator additions), then the hosted API when configured. A refusal is recorded (user, workspace,
 * category, how it was caught; never the prompt), costs nothing, and answers PROMPT_REFUSED naming
 * the category in plain words. The refusal that reaches MODERATION_SUSPEND_AFTER within the window
 * suspends the account for MODERATION_SUSPEND_HOURS (the account's standing, with an end); from
 * MODERATION_SLOW_AFTER on, each attempt must wait MODERATION_SLOW_SECONDS after the last refusal.
 */
import { sql } from 'kysely';
import { AppError } from '../../shared/errors.js';
import { MODERATION_CATEGORIES, type ModerationCategory } from '../../shared/moderation.js';
import { announceStanding, suspendAutomatically } from '../account-standing.js';
import { audit } from '../audit.js';
import type { Actor, Deps } from '../deps.js';
import { DEFAULT_TERMS } from './default-terms.js';
import { checkWithHostedApi } from './hosted.js';
import { compileTerm, findTerm, type CompiledTerm } from './terms.js';

const DEFAULTS: CompiledTerm[] = DEFAULT_TERMS.map(([t, c]) => compileTerm(t, c)).filter((t): t is CompiledTerm => t !== null);

/** The shipped terms plus the operators' additions, compiled. */
export async function activeTerms(deps: Pick<Deps, 'db'>): Promise<CompiledTerm[]> {
  const rows = await deps.db.selectFrom('moderation_term').select(['id', 'term', 'category']).orderBy('created_at').execute();
  const added = rows.map((r) => compileTerm(r.term, r.category as ModerationCategory, r.id)).filter((t): t is CompiledTerm => t !== null);
  return [...DEFAULTS, ...added];
}

export interface SlowDown {
  /** Refusals within the window. */
  recentRefusals: number;
  /** Set while slowed: when the next attempt may be made. */
  slowedUntil: Date | null;
}

/** Whether a user is slowed down after refusals (and until when). A suspension is the account's standing, not this. */
export async function slowDownOf(deps: Pick<Deps, 'db' | 'config'>, userId: string): Promise<SlowDown> {
  const m = deps.config.moderation;
  const recent = await deps.db
    .selectFrom('moderation_refusal')
    .select([sql<number>`count(*)::int`.as('n'), sql<Date | null>`max(created_at)`.as('last')])
    .where('user_id', '=', userId)
    .where('created_at', '>', sql<Date>`now() - make_interval(mins => ${m.windowMinutes})`)
    .executeTakeFirstOrThrow();
  const last = recent.last ? new Date(recent.last) : null;
  const slowedUntil = recent.n >= m.slowAfter && last ? new Date(last.getTime() + m.slowSeconds * 1000) : null;
  return { recentRefusals: recent.n, slowedUntil: slowedUntil && slowedUntil > new Date() ? slowedUntil : null };
}

/** Refuses to start anything for a user slowed down after refusals, too soon after the last. */
export async function requireNotSlowed(deps: Pick<Deps, 'db' | 'config'>, userId: string): Promise<void> {
  const s = await slowDownOf(deps, userId);
  if (s.slowedUntil) {
    const seconds = Math.max(1, Math.ceil((s.slowedUntil.getTime() - Date.now()) / 1000));
    throw new AppError('GENERATION_SLOWED', {
      userMessage: `${s.recentRefusals} of your prompts were refused in the last ${deps.config.moderation.windowMinutes} minutes, so you can try again in ${seconds} second${seconds === 1 ? '' : 's'}. Further refusals suspend your account.`,
      retryAfterSeconds: seconds,
    });
  }
}

/** Records a refusal and, when it reaches the limit, suspends the account; says what follows. */
async function recordRefusal(deps: Pick<Deps, 'db' | 'config'>, actor: Actor, workspaceId: string, category: ModerationCategory, source: 'terms' | 'api'): Promise<string> {
  const m = deps.config.moderation;
  const { message, suspended } = await deps.db.transaction().execute(async (trx) => {
    // One user's refusals are counted one at a time, so two at once cannot both miss the limit.
    await trx.selectFrom('user').select('id').where('id', '=', actor.userId).forUpdate().executeTakeFirst();
    await trx.insertInto('moderation_refusal').values({ user_id: actor.userId, workspace_id: workspaceId, category, source }).execute();
    const { n } = await trx
      .selectFrom('moderation_refusal')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('user_id', '=', actor.userId)
      .where('created_at', '>', sql<Date>`now() - make_interval(mins => ${m.windowMinutes})`)
      .executeTakeFirstOrThrow();
    if (n >= m.suspendAfter) {
      const until = new Date(Date.now() + m.suspendHours * 3600_000);
      const note = `${n} prompts were refused within ${m.windowMinutes} minutes, the last one for ${MODERATION_CATEGORIES[category]}.`;
      // The account's one standing record (an operator's suspension or ban already in force is kept).
      const written = await suspendAutomatically(trx, actor.userId, { note, until });
      if (written) await audit(trx, actor.userId, 'moderation.suspended', { refusals: n, until: until.toISOString() });
      const hours = `${m.suspendHours} hour${m.suspendHours === 1 ? '' : 's'}`;
      return { suspended: written, message: ` Your account is now suspended for ${hours}: until then you cannot generate, upload or change boards. If you think this is a mistake, ask for a review in the studio or on your account page.` };
    }
    if (n >= m.slowAfter) return { suspended: false, message: ` After ${n} refusals, you can try again in ${m.slowSeconds} seconds; ${m.suspendAfter - n} more suspend your account for ${m.suspendHours} hours.` };
    return { suspended: false, message: '' };
  });
  // Open boards turn read-only at once, as for an operator's suspension.
  if (suspended) await announceStanding(deps.db, actor.userId);
  return message;
}

/** Why a prompt is refused, or null; the term list first, then the hosted API when configured. */
export async function judgePrompt(deps: Pick<Deps, 'db' | 'config' | 'moderation'>, prompt: string): Promise<{ category: ModerationCategory; source: 'terms' | 'api' } | null> {
  const term = findTerm(prompt, await activeTerms(deps));
  if (term) return { category: term.category, source: 'terms' };
  const api = deps.config.moderation.api;
  if (api) {
    const verdict = await checkWithHostedApi(api, prompt, { fetch: deps.moderation.fetch });
    if (verdict.flagged) return { category: verdict.category ?? 'illicit', source: 'api' };
  }
  return null;
}

/**
 * The moderation step of createGeneration (after authorisation, which refuses a suspended account,
 * before limits, credits and the provider): throws GENERATION_SLOWED / PROMPT_REFUSED /
 * MODERATION_UNAVAILABLE.
 */
export async function moderatePrompt(deps: Pick<Deps, 'db' | 'config' | 'moderation'>, actor: Actor, workspaceId: string, prompt: string): Promise<void> {
  await requireNotSlowed(deps, actor.userId);
  const refusal = await judgePrompt(deps, prompt);
  if (!refusal) return;
  const next = await recordRefusal(deps, actor, workspaceId, refusal.category, refusal.source);
  throw new AppError('PROMPT_REFUSED', {
    userMessage: `This prompt was not sent: it asks for ${MODERATION_CATEGORIES[refusal.category]}, which is not allowed here. Nothing was charged.${next}`,
  });
}
