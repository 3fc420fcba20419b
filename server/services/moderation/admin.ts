/**
 * Operators at /admin/moderation: the term list (shipped defaults shown, additions stored in
 * `moderation_term`, added and removed), refusal counts, and the automatic suspensions in force with
 * their appeals (lifted through admin.reinstate, the same call as /admin/users). Every call checks
 * `requireOperator` (confirmed ADMIN_EMAILS account; NOT_FOUND otherwise) and every change is
 * written to the audit log.
 */
import { sql } from 'kysely';
import type { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { AddTermInput, RemoveTermInput, type ModerationCategory } from '../../shared/moderation.js';
import { audit } from '../audit.js';
import type { Actor, Deps } from '../deps.js';
import { requireOperator } from '../operators.js';
import { DEFAULT_TERMS } from './default-terms.js';
import { compileTerm } from './terms.js';

export async function moderationOverview(deps: Deps, actor: Actor) {
  await requireOperator(deps, actor);
  const [added, refusals, suspensions] = await Promise.all([
    deps.db
      .selectFrom('moderation_term')
      .leftJoin('user', 'user.id', 'moderation_term.added_by')
      .select(['moderation_term.id', 'moderation_term.term', 'moderation_term.category', 'moderation_term.created_at', 'user.email as addedBy'])
      .orderBy('moderation_term.created_at', 'desc')
      .execute(),
    deps.db
      .selectFrom('moderation_refusal')
      .select(['category', 'source', sql<number>`count(*)::int`.as('count')])
      .where('created_at', '>', sql<Date>`now() - interval '30 days'`)
      .groupBy(['category', 'source'])
      .execute(),
    // Automatic suspensions in force: the account standing rows moderation wrote (ADR 0022), with their open appeal.
    deps.db
      .selectFrom('active_standing')
      .innerJoin('user', 'user.id', 'active_standing.user_id')
      .leftJoin('appeal', (j) => j.onRef('appeal.user_id', '=', 'active_standing.user_id').on('appeal.asset_id', 'is', null).on('appeal.status', '=', 'open'))
      .select(['active_standing.user_id as userId', 'user.email', 'active_standing.note as reason', 'active_standing.until', 'active_standing.since', 'appeal.message as appeal', 'appeal.created_at as appealed_at'])
      .where('active_standing.source', '=', 'moderation')
      .orderBy('appeal.created_at', (ob) => ob.desc().nullsLast())
      .orderBy('active_standing.since', 'desc')
      .limit(200)
      .execute(),
  ]);
  return {
    defaults: DEFAULT_TERMS.map(([term, category]) => ({ term, category })),
    added: added.map((t) => ({ ...t, category: t.category as ModerationCategory })),
    refusals,
    suspensions,
    api: deps.config.moderation.api ? { url: deps.config.moderation.api.url, model: deps.config.moderation.api.model } : null,
  };
}

export async function addTerm(deps: Deps, actor: Actor, raw: z.input<typeof AddTermInput>) {
  await requireOperator(deps, actor);
  const input = AddTermInput.parse(raw);
  const term = input.term.replace(/\s+/g, ' ');
  if (!compileTerm(term, input.category)) throw new AppError('INVALID_INPUT', { userMessage: 'A term needs at least one letter or digit.' });
  const taken = () => new AppError('CONFLICT', { userMessage: `“${term}” is already on the list.` });
  if (DEFAULT_TERMS.some(([t]) => t.toLowerCase() === term.toLowerCase())) throw taken();
  const row = await deps.db.transaction().execute(async (trx) => {
    const dup = await trx.selectFrom('moderation_term').select('id').where(sql<boolean>`lower(term) = lower(${term})`).executeTakeFirst();
    if (dup) throw taken();
    const inserted = await trx.insertInto('moderation_term').values({ term, category: input.category, added_by: actor.userId }).returning(['id', 'term', 'category']).executeTakeFirstOrThrow();
    await audit(trx, actor.userId, 'moderation.term.added', { termId: inserted.id, term, category: input.category });
    return inserted;
  });
  return row;
}

export async function removeTerm(deps: Deps, actor: Actor, raw: z.input<typeof RemoveTermInput>) {
  await requireOperator(deps, actor);
  const input = RemoveTermInput.parse(raw);
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx.deleteFrom('moderation_term').where('id', '=', input.id).returning(['id', 'term', 'category']).executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', { userMessage: 'That term is no longer on the list.' });
    await audit(trx, actor.userId, 'moderation.term.removed', { termId: row.id, term: row.term, category: row.category });
    return { id: row.id };
  });
}
