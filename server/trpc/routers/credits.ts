import { z } from 'zod';
import { getBalance, listLedger, transferCredits } from '../../services/credits.js';
import { resolveWorkspace } from '../../services/workspaces.js';
import { TransferCreditsInput } from '../../shared/billing.js';
import { authedProcedure, router } from '../init.js';

const WorkspaceInput = z.object({ workspaceId: z.uuid().optional() }).default({});

export const creditsRouter = router({
  balance: authedProcedure.input(WorkspaceInput).query(async ({ ctx, input }) =>
    getBalance(ctx.deps, ctx.actor, await resolveWorkspace(ctx.deps.db, ctx.actor, input.workspaceId, 'viewer')),
  ),
  ledger: authedProcedure.input(WorkspaceInput).query(async ({ ctx, input }) =>
    listLedger(ctx.deps, ctx.actor, await resolveWorkspace(ctx.deps.db, ctx.actor, input.workspaceId, 'viewer')),
  ),
  /** Owners and admins of a team move credits into it from their personal workspace. */
  transfer: authedProcedure.input(TransferCreditsInput).mutation(({ ctx, input }) => transferCredits(ctx.deps, ctx.actor, input)),
});
