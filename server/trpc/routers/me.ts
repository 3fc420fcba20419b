import { listMyWorkspaces } from '../../services/workspaces.js';
import { publicProcedure, router } from '../init.js';

export const meRouter = router({
  /** The signed-in user and their workspaces, or null when signed out. */
  get: publicProcedure.query(async ({ ctx }) => {
    if (!ctx.user) return null;
    const workspaces = await listMyWorkspaces(ctx.deps.db, { userId: ctx.user.id });
    return { id: ctx.user.id, name: ctx.user.name, email: ctx.user.email, emailVerified: ctx.user.emailVerified, twoFactorEnabled: ctx.user.twoFactorEnabled, workspaces };
  }),
});
