import { createCallerFactory, router } from './init.js';
import { assetRouter } from './routers/asset.js';
import { billingRouter } from './routers/billing.js';
import { creditsRouter } from './routers/credits.js';
import { generationRouter } from './routers/generation.js';
import { meRouter } from './routers/me.js';
import { privacyRouter } from './routers/privacy.js';
import { workspaceRouter } from './routers/workspace.js';
import { boardRouter } from './routers/board.js';
import { commentRouter } from './routers/comment.js';
import { notificationRouter } from './routers/notification.js';
import { accountRouter } from './routers/account.js';
import { devRouter } from './routers/dev.js';
import { adminRouter } from './routers/admin.js';
import { reportRouter } from './routers/report.js';
import { moderationRouter } from './routers/moderation.js';
import { apiRouter } from './routers/api.js';
import { shareRouter } from './routers/share.js';
import { queueRouter } from './routers/queue.js';
import { promptsRouter } from './routers/prompts.js';

export const appRouter = router({
  me: meRouter,
  generation: generationRouter,
  asset: assetRouter,
  credits: creditsRouter,
  billing: billingRouter,
  privacy: privacyRouter,
  workspace: workspaceRouter,
  board: boardRouter,
  comment: commentRouter,
  notification: notificationRouter,
  account: accountRouter,
  dev: devRouter,
  report: reportRouter,
  admin: adminRouter,
  moderation: moderationRouter,
  api: apiRouter,
  share: shareRouter,
  queue: queueRouter,
  prompts: promptsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
