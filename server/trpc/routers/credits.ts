import { z } from 'zod';
import { getBalance, listLedger } from '../../services/credits.js';
import { resolveWorkspace } from '../../services/workspaces.js';
import { authedProcedure, router } from '../init.js';

const WorkspaceInput = z.object({ workspaceId: z.uuid().optional() }).default({});

export const creditsRouter = router({
  balance: authedProcedure.input(WorkspaceInput).query(async ({ ctx, input }) =>
    getBalance(ctx.deps, ctx.actor, await resolveWorkspace(ctx.deps.db, ctx.actor, input.workspaceId, 'viewer')),
  ),
  ledger: authedProcedure.input(WorkspaceInput).query(async ({ ctx, input }) =>
    listLedger(ctx.deps, ctx.actor, await resolveWorkspace(ctx.deps.db, ctx.actor, input.workspaceId, 'viewer')),
  ),
});
