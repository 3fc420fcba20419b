import { z } from 'zod';
import { getBalance, transferCredits } from '../../services/credits.js';
import { exportLedger, listLedger } from '../../services/credit-history.js';
import { LedgerFilterInput, LedgerListInput } from '../../shared/ledger.js';
import { resolveWorkspace } from '../../services/workspaces.js';
import { TransferCreditsInput } from '../../shared/billing.js';
import { authedProcedure, router } from '../init.js';

const WorkspaceInput = z.object({ workspaceId: z.uuid().optional() }).default({});

export const creditsRouter = router({
  balance: authedProcedure.input(WorkspaceInput).query(async ({ ctx, input }) =>
    getBalance(ctx.deps, ctx.actor, await resolveWorkspace(ctx.deps.db, ctx.actor, input.workspaceId, 'viewer')),
  ),
  /** Every entry with its running balance, filtered by kind and day; who spent what. */
  ledger: authedProcedure.input(LedgerListInput).query(({ ctx, input }) => listLedger(ctx.deps, ctx.actor, input)),
  /** The same entries, all of them within the filter, for the CSV download (/billing/ledger.csv). */
  ledgerExport: authedProcedure.input(LedgerFilterInput).query(({ ctx, input }) => exportLedger(ctx.deps, ctx.actor, input)),
  /** Owners and admins of a team move credits into it from their personal workspace. */
  transfer: authedProcedure.input(TransferCreditsInput).mutation(({ ctx, input }) => transferCredits(ctx.deps, ctx.actor, input)),
});
