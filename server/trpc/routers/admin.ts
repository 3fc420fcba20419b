import { isOperator } from '../../services/operators.js';
import { cancelJob, listAppeals, listJobs, listReports, overview, retryJob, searchUsers } from '../../services/operator-console.js';
import { answerAppeal, dismissReport, hideAsset, reinstate, restoreAsset, setStanding } from '../../services/takedown.js';
import { AnswerAppealInput, DismissReportInput, HideAssetInput, JobActionInput, JobListInput, ReinstateInput, ReportListInput, RestoreAssetInput, SetStandingInput, UserSearchInput } from '../../shared/reports.js';
import { authedProcedure, router } from '../init.js';

/** The operator console (/admin). Every service checks the confirmed operator first (NOT_FOUND otherwise). */
export const adminRouter = router({
  /** Whether the caller is an operator (the header shows the console link); never an error. */
  isOperator: authedProcedure.query(({ ctx }) => isOperator(ctx.deps, ctx.actor)),
  overview: authedProcedure.query(({ ctx }) => overview(ctx.deps, ctx.actor)),
  reports: authedProcedure.input(ReportListInput).query(({ ctx, input }) => listReports(ctx.deps, ctx.actor, input)),
  appeals: authedProcedure.query(({ ctx }) => listAppeals(ctx.deps, ctx.actor)),
  users: authedProcedure.input(UserSearchInput).query(({ ctx, input }) => searchUsers(ctx.deps, ctx.actor, input)),
  jobs: authedProcedure.input(JobListInput).query(({ ctx, input }) => listJobs(ctx.deps, ctx.actor, input)),
  hideAsset: authedProcedure.input(HideAssetInput).mutation(({ ctx, input }) => hideAsset(ctx.deps, ctx.actor, input)),
  restoreAsset: authedProcedure.input(RestoreAssetInput).mutation(({ ctx, input }) => restoreAsset(ctx.deps, ctx.actor, input)),
  dismissReport: authedProcedure.input(DismissReportInput).mutation(({ ctx, input }) => dismissReport(ctx.deps, ctx.actor, input)),
  setStanding: authedProcedure.input(SetStandingInput).mutation(({ ctx, input }) => setStanding(ctx.deps, ctx.actor, input)),
  reinstate: authedProcedure.input(ReinstateInput).mutation(({ ctx, input }) => reinstate(ctx.deps, ctx.actor, input)),
  answerAppeal: authedProcedure.input(AnswerAppealInput).mutation(({ ctx, input }) => answerAppeal(ctx.deps, ctx.actor, input)),
  retryJob: authedProcedure.input(JobActionInput).mutation(({ ctx, input }) => retryJob(ctx.deps, ctx.actor, input)),
  cancelJob: authedProcedure.input(JobActionInput).mutation(({ ctx, input }) => cancelJob(ctx.deps, ctx.actor, input)),
});
