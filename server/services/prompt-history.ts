/**
 * Prompt history (issue 18): a person's recent prompts, kept on the server as part of their library
 * (not in the browser, so it does not depend on cookie preferences). Written with each generation
 * they start, searchable, each entry deletable and the whole list clearable; at most
 * PROMPT_HISTORY_KEEP entries per person, the oldest dropped first. Deleted with the account.
 */
import { sql, type Transaction } from 'kysely';
import type { z } from 'zod';
import type { DB } from '../../db/schema.js';
import { AppError } from '../shared/errors.js';
import { PROMPT_HISTORY_KEEP, PromptHistoryIdInput, PromptHistoryInput, type PromptHistoryEntry } from '../shared/prompts.js';
import type { Actor, Deps } from './deps.js';

/** Called inside the transaction that creates a generation: one row per distinct prompt, its use counted. */
export async function rememberPrompt(trx: Transaction<DB>, userId: string, prompt: string, negativePrompt: string | null): Promise<void> {
  await sql`
    insert into prompt_history (user_id, prompt, negative_prompt) values (${userId}, ${prompt}, ${negativePrompt})
    on conflict (user_id, md5(prompt), md5(coalesce(negative_prompt, '')))
    do update set uses = prompt_history.uses + 1, last_used_at = now()`.execute(trx);
  await sql`
    delete from prompt_history where user_id = ${userId} and id in (
      select id from prompt_history where user_id = ${userId} order by last_used_at desc offset ${PROMPT_HISTORY_KEEP})`.execute(trx);
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function listPromptHistory(deps: Pick<Deps, 'db'>, actor: Actor, raw: z.input<typeof PromptHistoryInput>): Promise<PromptHistoryEntry[]> {
  const input = PromptHistoryInput.parse(raw);
  let q = deps.db.selectFrom('prompt_history').select(['id', 'prompt', 'negative_prompt', 'uses', 'last_used_at']).where('user_id', '=', actor.userId);
  if (input.query) {
    const like = `%${escapeLike(input.query)}%`;
    q = q.where((eb) => eb.or([eb('prompt', 'ilike', like), eb('negative_prompt', 'ilike', like)]));
  }
  const rows = await q.orderBy('last_used_at', 'desc').limit(input.limit).execute();
  return rows.map((r) => ({ id: r.id, prompt: r.prompt, negativePrompt: r.negative_prompt, uses: r.uses, lastUsedAt: r.last_used_at.toISOString() }));
}

/** Removes one entry of the actor's own history (NOT_FOUND for anyone else's). */
export async function deletePromptHistoryEntry(deps: Pick<Deps, 'db'>, actor: Actor, raw: z.input<typeof PromptHistoryIdInput>): Promise<{ id: string }> {
  const { id } = PromptHistoryIdInput.parse(raw);
  const gone = await deps.db.deleteFrom('prompt_history').where('id', '=', id).where('user_id', '=', actor.userId).executeTakeFirst();
  if (Number(gone.numDeletedRows) === 0) throw new AppError('NOT_FOUND');
  return { id };
}

export async function clearPromptHistory(deps: Pick<Deps, 'db'>, actor: Actor): Promise<{ deleted: number }> {
  const gone = await deps.db.deleteFrom('prompt_history').where('user_id', '=', actor.userId).executeTakeFirst();
  return { deleted: Number(gone.numDeletedRows) };
}
