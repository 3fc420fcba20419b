import { listSignInMethods } from '../../services/accounts.js';
import { authedProcedure, router } from '../init.js';

/**
 * Account security facts for the account and security pages. Changes (password, email, two-factor,
 * linking) go through better-auth's own endpoints, which own tokens and passwords.
 */
export const accountRouter = router({
  /** Linked sign-in methods with their provider account ids, and providers that could be added. */
  methods: authedProcedure.query(({ ctx }) => listSignInMethods(ctx.deps, ctx.actor)),
});
