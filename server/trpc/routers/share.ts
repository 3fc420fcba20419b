import { z } from 'zod';
import { createShareLink, listShareLinks, openSharedBoard, revokeShareLink, setShareLinksAllowed, shareSetting } from '../../services/share-links.js';
import { reportBoardItemViaLink } from '../../services/reports.js';
import { CreateShareLinkInput, ReportViaLinkInput, RevokeShareLinkInput, ShareSettingInput, ShareTokenInput } from '../../shared/share-links.js';
import { authedProcedure, publicProcedure, router } from '../init.js';

/** Share links (issue 17): members manage them; link holders (no account) open the board and report. */
export const shareRouter = router({
  create: authedProcedure.input(CreateShareLinkInput).mutation(({ ctx, input }) => createShareLink(ctx.deps, ctx.actor, input)),
  list: authedProcedure.input(z.object({ boardId: z.uuid() })).query(({ ctx, input }) => listShareLinks(ctx.deps, ctx.actor, input.boardId)),
  revoke: authedProcedure.input(RevokeShareLinkInput).mutation(({ ctx, input }) => revokeShareLink(ctx.deps, ctx.actor, input)),
  setting: authedProcedure.input(z.object({ workspaceId: z.uuid() })).query(({ ctx, input }) => shareSetting(ctx.deps, ctx.actor, input.workspaceId)),
  setAllowed: authedProcedure.input(ShareSettingInput).mutation(({ ctx, input }) => setShareLinksAllowed(ctx.deps, ctx.actor, input)),
  /** the shared board's page (public: the token is the capability) */
  open: publicProcedure.input(ShareTokenInput).query(({ ctx, input }) => openSharedBoard(ctx.deps, input.token)),
  report: publicProcedure.input(ReportViaLinkInput).mutation(({ ctx, input }) => reportBoardItemViaLink(ctx.deps, input)),
});
