/**
 * Operators at /admin/moderation: the term list (shipped defaults shown, additions stored in
 * `moderation_term`, added and removed), refusal counts, and suspensions with their appeals (lift
 * one). Every call checks `requireOperator` (confirmed ADMIN_EMAILS account; NOT_FOUND otherwise)
 * and every change is written to the audit log.
 */
import { sql } from 'kysely';
import type { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { AddTermInput, LiftSuspensionInput, RemoveTermInput, type ModerationCategory } from '../../shared/moderation.js';
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
    deps.db
      .selectFrom('moderation_suspension')
      .innerJoin('user', 'user.id', 'moderation_suspension.user_id')
      .select(['moderation_suspension.id', 'user.email', 'moderation_suspension.reason', 'moderation_suspension.until', 'moderation_suspension.created_at', 'moderation_suspension.appeal', 'moderation_suspension.appealed_at'])
      .where('moderation_suspension.lifted_at', 'is', null)
      .where('moderation_suspension.until', '>', new Date())
      .orderBy('moderation_suspension.appealed_at', (ob) => ob.desc().nullsLast())
      .orderBy('moderation_suspension.created_at', 'desc')
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

export async function liftSuspension(deps: Deps, actor: Actor, raw: z.input<typeof LiftSuspensionInput>) {
  await requireOperator(deps, actor);
  const input = LiftSuspensionInput.parse(raw);
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('moderation_suspension')
      .set({ lifted_at: new Date(), lifted_by: actor.userId })
      .where('id', '=', input.id)
      .where('lifted_at', 'is', null)
      .returning(['id', 'user_id'])
      .executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', { userMessage: 'That suspension was already lifted or has ended.' });
    // Lifting also clears the count that led to it, or the next refusal would suspend again at once.
    await trx.deleteFrom('moderation_refusal').where('user_id', '=', row.user_id).execute();
    await audit(trx, actor.userId, 'moderation.suspension.lifted', { suspensionId: row.id });
    return { id: row.id };
  });
}
