import { CancelAllInput, QueueInput, ReorderInput } from '../../shared/queue.js';
import { cancelAllMine, getQueue, reorderQueue } from '../../services/queue.js';
import { authedProcedure, router } from '../init.js';

/** The workspace's queue: positions, reordering one's own jobs, cancelling all of one's own. */
export const queueRouter = router({
  list: authedProcedure.input(QueueInput).query(({ ctx, input }) => getQueue(ctx.deps, ctx.actor, input)),
  reorder: authedProcedure.input(ReorderInput).mutation(({ ctx, input }) => reorderQueue(ctx.deps, ctx.actor, input)),
  cancelAll: authedProcedure.input(CancelAllInput).mutation(({ ctx, input }) => cancelAllMine(ctx.deps, ctx.actor, input)),
});
