import { mayReadOutbox, outboxAccess } from '../../mail/index.js';
import { AppError } from '../../shared/errors.js';
import { publicProcedure, router } from '../init.js';

/**
 * Development helpers. None of them exists in production (NOT_FOUND, as for an unknown path), but
 * for the outbox at a localhost address, to requests from this machine (server/mail/index.ts).
 */
export const devRouter = router({
  /** Mail that would have been sent (the development outbox), newest first. */
  outbox: publicProcedure.query(({ ctx }) => {
    if (!mayReadOutbox(outboxAccess(ctx.deps.config), ctx)) throw new AppError('NOT_FOUND');
    return ctx.deps.mailer.outbox(50);
  }),
});
