import { AppError } from '../../shared/errors.js';
import { publicProcedure, router } from '../init.js';

/** Development helpers. None of them exists in production (NOT_FOUND, as for an unknown path). */
export const devRouter = router({
  /** Mail that would have been sent (the development outbox), newest first. */
  outbox: publicProcedure.query(({ ctx }) => {
    if (ctx.deps.config.env === 'production') throw new AppError('NOT_FOUND');
    return ctx.deps.mailer.outbox(50);
  }),
});
