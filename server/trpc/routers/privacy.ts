import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { listExports, pendingDeletion, requestDeletion, requestExport } from '../../services/privacy.js';
import { authedProcedure, router } from '../init.js';

export const privacyRouter = router({
  exports: authedProcedure.query(({ ctx }) => listExports(ctx.deps, ctx.actor)),
  requestExport: authedProcedure.mutation(({ ctx }) => requestExport(ctx.deps, ctx.actor)),
  deletion: authedProcedure.query(({ ctx }) => pendingDeletion(ctx.deps, ctx.actor.userId).then((d) => d ?? null)),
  /** Deleting the account needs the password again (re-authentication). */
  requestDeletion: authedProcedure.input(z.object({ password: z.string().min(1, 'Enter your password.').max(128) })).mutation(async ({ ctx, input }) => {
    const ok = await ctx.auth.api.verifyPassword({ headers: ctx.headers, body: { password: input.password } }).then(
      () => true,
      () => false,
    );
    if (!ok) throw new AppError('FORBIDDEN', { userMessage: 'That password is not right. Your account was not scheduled for deletion.' });
    return requestDeletion(ctx.deps, ctx.actor);
  }),
});
