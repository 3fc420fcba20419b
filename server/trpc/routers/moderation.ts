import { z } from 'zod';
import { addTerm, moderationOverview, removeTerm } from '../../services/moderation/admin.js';
import { assetVerdicts, getImagePolicy, myStanding, setImagePolicy } from '../../services/moderation/settings.js';
import { AddTermInput, RemoveTermInput, SetImagePolicyInput } from '../../shared/moderation.js';
import { authedProcedure, router } from '../init.js';

const Ws = z.object({ workspaceId: z.uuid() });
const Verdicts = Ws.extend({ assetIds: z.array(z.uuid()).max(500) });

export const moderationRouter = router({
  /** The caller's own standing: suspended (why, until when, appealed?), slowed until when. Appeals: report.appeal; lifting: admin.reinstate. */
  standing: authedProcedure.query(({ ctx }) => myStanding(ctx.deps, ctx.actor)),
  imagePolicy: authedProcedure.input(Ws).query(({ ctx, input }) => getImagePolicy(ctx.deps, ctx.actor, input.workspaceId)),
  setImagePolicy: authedProcedure.input(SetImagePolicyInput).mutation(({ ctx, input }) => setImagePolicy(ctx.deps, ctx.actor, input)),
  /** Flagged assets among these, with how the workspace shows them (boards: their items carry only ids). */
  verdicts: authedProcedure.input(Verdicts).query(({ ctx, input }) => assetVerdicts(ctx.deps, ctx.actor, input.workspaceId, input.assetIds)),
  // operators (ADMIN_EMAILS, confirmed): NOT_FOUND for anyone else
  admin: authedProcedure.query(({ ctx }) => moderationOverview(ctx.deps, ctx.actor)),
  addTerm: authedProcedure.input(AddTermInput).mutation(({ ctx, input }) => addTerm(ctx.deps, ctx.actor, input)),
  removeTerm: authedProcedure.input(RemoveTermInput).mutation(({ ctx, input }) => removeTerm(ctx.deps, ctx.actor, input)),
});
