import { standingOf } from '../../services/account-standing.js';
import { isOperator } from '../../services/operators.js';
import { consentForRequest } from '../../services/consent.js';
import { pendingPolicies } from '../../services/policies.js';
import { listMyWorkspaces } from '../../services/workspaces.js';
import { authedProcedure, publicProcedure, router } from '../init.js';

export const meRouter = router({
  /** The signed-in user and their workspaces, or null when signed out. */
  get: publicProcedure.query(async ({ ctx }) => {
    if (!ctx.user) return null;
    const workspaces = await listMyWorkspaces(ctx.deps.db, { userId: ctx.user.id });
    // Whether to show the operator console link (only listed addresses pay for the full check).
    const operator = ctx.deps.config.adminEmails.includes(ctx.user.email.toLowerCase()) && (await isOperator(ctx.deps, { userId: ctx.user.id, sessionId: ctx.user.sessionId }));
    // A suspended account sees why on every page (a banned one has no session).
    const standing = (await standingOf(ctx.deps.db, ctx.user.id)).status;
    return { id: ctx.user.id, name: ctx.user.name, email: ctx.user.email, emailVerified: ctx.user.emailVerified, twoFactorEnabled: ctx.user.twoFactorEnabled, workspaces, operator, standing };
  }),
  /** This visitor's cookie and analytics choice (the account's when signed in, else the consent cookie's). */
  consent: publicProcedure.query(({ ctx }) => consentForRequest(ctx.deps, ctx.user?.id ?? null, ctx.headers)),
  /** Policy versions the signed-in person has not accepted yet (the notice shows them). */
  pendingPolicies: authedProcedure.query(({ ctx }) => pendingPolicies(ctx.deps.db, ctx.actor.userId)),
});
