import { z } from 'zod';
import { listMySessions, listSignInMethods, revokeMySession } from '../../services/accounts.js';
import { recentActivity } from '../../services/usage-log.js';
import { authedProcedure, router } from '../init.js';

/**
 * Account security facts for the account and security pages. Changes (password, email, two-factor,
 * linking) go through better-auth's own endpoints, which own tokens and passwords.
 */
export const accountRouter = router({
  /** Linked sign-in methods with their provider account ids, and providers that could be added. */
  methods: authedProcedure.query(({ ctx }) => listSignInMethods(ctx.deps, ctx.actor)),
  /** The caller's live sessions, by id (never the token), newest first, this device at the top. */
  sessions: authedProcedure.query(({ ctx }) => listMySessions(ctx.deps.db, ctx.actor, ctx.user.sessionId)),
  /** Signs one of the caller's own devices out; another person's session id is NOT_FOUND. */
  revokeSession: authedProcedure
    .input(z.object({ sessionId: z.string().min(1).max(200) }))
    .mutation(({ ctx, input }) =>
      revokeMySession({ db: ctx.deps.db, revokeByToken: (token) => ctx.auth.api.revokeSession({ headers: ctx.headers, body: { token } }) }, ctx.actor, input.sessionId),
    ),
  /** The caller's recent requests from the usage log (no contents), for the security page. */
  activity: authedProcedure.query(({ ctx }) => recentActivity(ctx.deps, ctx.actor.userId, 30)),
});
