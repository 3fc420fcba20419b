import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { listExports, pendingDeletion, requestDeletion, requestExport, takeDeletionCancelNotice } from '../../services/privacy.js';
import { consentHistory } from '../../services/consent.js';
import { authedProcedure, router } from '../init.js';
import { PrivacyRequestInput, PrivacyRequestStatusInput } from '../../shared/privacy.js';
import { createPrivacyRequest, listPrivacyRequests, myPrivacyRequests, setPrivacyRequestStatus } from '../../services/privacy-requests.js';

export const privacyRouter = router({
  createRequest: authedProcedure.input(PrivacyRequestInput).mutation(({ ctx, input }) => createPrivacyRequest(ctx.deps, ctx.actor, input)),
  myRequests: authedProcedure.query(({ ctx }) => myPrivacyRequests(ctx.deps, ctx.actor)),
  adminRequests: authedProcedure.query(({ ctx }) => listPrivacyRequests(ctx.deps, ctx.actor)),
  setRequestStatus: authedProcedure.input(PrivacyRequestStatusInput).mutation(({ ctx, input }) => setPrivacyRequestStatus(ctx.deps, ctx.actor, input)),
  /** The caller's consent records, newest first (the "Your data" page shows them). */
  consentHistory: authedProcedure.query(({ ctx }) => consentHistory(ctx.deps, ctx.actor.userId)),
  exports: authedProcedure.query(({ ctx }) => listExports(ctx.deps, ctx.actor)),
  requestExport: authedProcedure.mutation(({ ctx }) => requestExport(ctx.deps, ctx.actor)),
  deletion: authedProcedure.query(({ ctx }) => pendingDeletion(ctx.deps, ctx.actor.userId).then((d) => d ?? null)),
  /** Once after a sign-in that cancelled a pending deletion: when it would have happened (then null). */
  takeDeletionCancelNotice: authedProcedure.mutation(({ ctx }) => takeDeletionCancelNotice(ctx.deps, ctx.actor.userId)),
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
