import type { Kysely, Transaction } from 'kysely';
import { balanceOf, lockLedger, recordCredit } from './ledger.js';
import type { DB } from '../../db/schema.js';
import type { TransferCreditsInput } from '../shared/billing.js';
import { AppError } from '../shared/errors.js';
import { rooms } from '../shared/realtime.js';
import type { Actor, Deps } from './deps.js';
import { personalWorkspaceId, requirePermission, requireRole } from './workspaces.js';

export { balanceOf, lockLedger, recordCredit, type LedgerEntry, type LedgerReason } from './ledger.js';

/** Reserves `cost` credits for a generation, or refuses with a message naming the shortfall. Call it first in the transaction. */
export async function reserveCredits(trx: Transaction<DB>, opts: { workspaceId: string; userId: string; generationId: string; cost: number }) {
  await lockLedger(trx, opts.workspaceId);
  const balance = await balanceOf(trx, opts.workspaceId);
  if (balance < opts.cost) {
    throw new AppError('INSUFFICIENT_CREDITS', {
      userMessage: `This needs ${opts.cost} credit${opts.cost === 1 ? '' : 's'} and the workspace has ${balance}. Buy credits, or make fewer or smaller outputs.`,
    });
  }
  if (opts.cost > 0) {
    await recordCredit(trx, { workspaceId: opts.workspaceId, userId: opts.userId, delta: -opts.cost, reason: 'generation.reserve', ref: opts.generationId });
  }
}

/**
 * Settles a generation's reservation: captured on success (a zero entry that marks it final),
 * released on failure or cancel (the reserved amount comes back). Called in the same transaction
 * as the status change, and keyed by the generation id, so each happens at most once and never both.
 * A capture may return part of the cost (`returned`, at most the cost): the outputs that were not
 * delivered, as one more entry keyed by the same id, so a partly delivered generation is charged
 * only for what the person got.
 */
export async function settleCredits(
  trx: Transaction<DB>,
  opts: { workspaceId: string; userId: string; generationId: string; cost: number; outcome: 'capture' | 'release'; returned?: number },
) {
  if (opts.cost <= 0) return;
  const other = opts.outcome === 'capture' ? 'generation.release' : 'generation.capture';
  const settled = await trx.selectFrom('credit_ledger').select('id').where('reason', '=', other).where('ref', '=', opts.generationId).executeTakeFirst();
  if (settled) return;
  await recordCredit(trx, {
    workspaceId: opts.workspaceId,
    userId: opts.userId,
    delta: opts.outcome === 'capture' ? 0 : opts.cost,
    reason: opts.outcome === 'capture' ? 'generation.capture' : 'generation.release',
    ref: opts.generationId,
  });
  const returned = Math.min(opts.cost, Math.max(0, Math.floor(opts.returned ?? 0)));
  if (opts.outcome === 'capture' && returned > 0) {
    await recordCredit(trx, { workspaceId: opts.workspaceId, userId: opts.userId, delta: returned, reason: 'generation.partial_release', ref: opts.generationId });
  }
}

/** The part of a generation's cost returned for outputs it did not deliver (0 when none), by generation id. */
export async function partlyReturned(db: Kysely<DB>, generationIds: string[]): Promise<Map<string, number>> {
  if (generationIds.length === 0) return new Map();
  const rows = await db.selectFrom('credit_ledger').select(['ref', 'delta']).where('reason', '=', 'generation.partial_release').where('ref', 'in', generationIds).execute();
  return new Map(rows.map((r) => [r.ref, r.delta]));
}

/** Tells every member of the workspace its new balance (header badge, success pages). */
export async function publishBalance(deps: Pick<Deps, 'db' | 'notifier'>, workspaceId: string): Promise<void> {
  const [balance, members] = await Promise.all([
    balanceOf(deps.db, workspaceId),
    deps.db.selectFrom('membership').select('user_id').where('workspace_id', '=', workspaceId).execute(),
  ]);
  for (const m of members) deps.notifier.emit(rooms.user(m.user_id), 'credits:changed', { workspaceId, balance });
}

export async function getBalance(deps: Deps, actor: Actor, workspaceId: string): Promise<{ workspaceId: string; balance: number }> {
  await requireRole(deps.db, actor, workspaceId, 'viewer');
  return { workspaceId, balance: await balanceOf(deps.db, workspaceId) };
}

/**
 * Moves credits from the actor's personal workspace to a team workspace they own or administer:
 * two ledger entries (out of one, into the other) in one transaction, keyed by the transfer id, so
 * the move happens exactly once (the client picks `transferId` once per transfer, so a retried or
 * double-sent request moves nothing more). Refuses an amount the personal workspace does not have.
 */
export async function transferCredits(deps: Pick<Deps, 'db' | 'notifier'>, actor: Actor, input: TransferCreditsInput) {
  const from = await personalWorkspaceId(deps.db, actor);
  if (from === input.toWorkspaceId) throw new AppError('INVALID_INPUT', { userMessage: 'Choose a team workspace to move credits to.' });
  await requirePermission(deps.db, actor, input.toWorkspaceId, 'credits.transfer');
  // The key is the caller's: another person's transfer id can neither collide with nor reveal theirs.
  const ref = `${actor.userId}:${input.transferId}`;
  const moved = await deps.db.transaction().execute(async (trx) => {
    // Both ledgers, always in the same order, so two opposite transfers cannot deadlock.
    for (const id of [from, input.toWorkspaceId].sort()) await lockLedger(trx, id);
    const done = await trx.selectFrom('credit_ledger').select(['workspace_id', 'delta']).where('reason', '=', 'transfer.in').where('ref', '=', ref).executeTakeFirst();
    if (done) {
      if (done.workspace_id !== input.toWorkspaceId || done.delta !== input.amount) throw new AppError('CONFLICT', { userMessage: 'This transfer was already made with other details.' });
      return false;
    }
    const balance = await balanceOf(trx, from);
    if (balance < input.amount) {
      throw new AppError('INSUFFICIENT_CREDITS', { userMessage: `Your personal workspace has ${balance} credit${balance === 1 ? '' : 's'}; move at most that many.` });
    }
    await recordCredit(trx, { workspaceId: from, userId: actor.userId, delta: -input.amount, reason: 'transfer.out', ref });
    await recordCredit(trx, { workspaceId: input.toWorkspaceId, userId: actor.userId, delta: input.amount, reason: 'transfer.in', ref });
    return true;
  });
  if (moved) await Promise.all([publishBalance(deps, from), publishBalance(deps, input.toWorkspaceId)]);
  return { fromWorkspaceId: from, toWorkspaceId: input.toWorkspaceId, amount: input.amount, balance: await balanceOf(deps.db, input.toWorkspaceId) };
}
