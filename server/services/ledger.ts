import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';

/**
 * The credit ledger: append-only rows, a balance is their sum. Every entry has a (reason, ref)
 * key that is unique, so a grant, charge or release happens exactly once however often the code
 * that makes it runs (retried jobs, duplicated webhooks, double clicks).
 */
export type LedgerReason =
  | 'signup_grant'
  | 'team_grant'
  | 'transfer.out'
  | 'transfer.in'
  | 'generation.reserve'
  | 'generation.capture'
  | 'generation.release'
  /** the part of a captured generation's cost for outputs it did not deliver (blocked by the image policy, or never returned) */
  | 'generation.partial_release'
  | 'purchase'
  | 'plan_grant'
  | 'refund'
  | 'adjustment';

export interface LedgerEntry {
  workspaceId: string;
  userId?: string | null;
  delta: number;
  reason: LedgerReason;
  ref: string;
}

/** Records an entry once. Returns false when an entry with the same (reason, ref) already exists. */
export async function recordCredit(db: Kysely<DB> | Transaction<DB>, e: LedgerEntry): Promise<boolean> {
  if (!Number.isInteger(e.delta)) throw new Error('credit deltas are whole numbers');
  const row = await db
    .insertInto('credit_ledger')
    .values({ workspace_id: e.workspaceId, user_id: e.userId ?? null, delta: e.delta, reason: e.reason, ref: e.ref })
    .onConflict((oc) => oc.columns(['reason', 'ref']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return Boolean(row);
}

export async function balanceOf(db: Kysely<DB> | Transaction<DB>, workspaceId: string): Promise<number> {
  const r = await db
    .selectFrom('credit_ledger')
    .select(sql<number>`coalesce(sum(delta), 0)::int`.as('balance'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow();
  return Number(r.balance);
}

/**
 * Locks the workspace's ledger for the rest of the transaction, so balance checks and charges
 * cannot interleave. FOR NO KEY UPDATE does not conflict with the key-share locks that inserts
 * referencing the workspace take, so it cannot deadlock with them; take it before writing.
 */
export async function lockLedger(trx: Transaction<DB>, workspaceId: string): Promise<void> {
  await trx.selectFrom('workspace').select('id').where('id', '=', workspaceId).forNoKeyUpdate().executeTakeFirst();
}

