import { CheckoutInput, WorkspaceOnly } from '../../shared/billing.js';
import { billingStatus, catalogView, createCheckout, createPortal } from '../../services/billing.js';
import { authedProcedure, publicProcedure, router } from '../init.js';

export const billingRouter = router({
  catalog: publicProcedure.query(({ ctx }) => catalogView(ctx.deps.config)),
  status: authedProcedure.input(WorkspaceOnly).query(({ ctx, input }) => billingStatus(ctx.deps, ctx.actor, input.workspaceId)),
  checkout: authedProcedure.input(CheckoutInput).mutation(({ ctx, input }) => createCheckout(ctx.deps, { ...ctx.actor, email: ctx.user.email }, input)),
  portal: authedProcedure.input(WorkspaceOnly).mutation(({ ctx, input }) => createPortal(ctx.deps, ctx.actor, input.workspaceId)),
});
