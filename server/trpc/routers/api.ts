import { CreateApiKeyInput, CreateWebhookInput, DeliveryIdInput, ListApiKeysInput, ListWebhooksInput, RevokeApiKeyInput, WebhookIdInput } from '../../shared/api.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../../services/api-keys.js';
import { createWebhook, deleteWebhook, listWebhooks, resendDelivery, revealWebhookSecret } from '../../services/webhooks.js';
import { authedProcedure, router } from '../init.js';

/** Settings → API: keys (personal and workspace) and the workspace's webhooks with their delivery log. */
export const apiRouter = router({
  keys: authedProcedure.input(ListApiKeysInput).query(({ ctx, input }) => listApiKeys(ctx.deps, ctx.actor, input)),
  createKey: authedProcedure.input(CreateApiKeyInput).mutation(({ ctx, input }) => createApiKey(ctx.deps, ctx.actor, input)),
  revokeKey: authedProcedure.input(RevokeApiKeyInput).mutation(({ ctx, input }) => revokeApiKey(ctx.deps, ctx.actor, input)),
  webhooks: authedProcedure.input(ListWebhooksInput).query(({ ctx, input }) => listWebhooks(ctx.deps, ctx.actor, input)),
  createWebhook: authedProcedure.input(CreateWebhookInput).mutation(({ ctx, input }) => createWebhook(ctx.deps, ctx.actor, input)),
  deleteWebhook: authedProcedure.input(WebhookIdInput).mutation(({ ctx, input }) => deleteWebhook(ctx.deps, ctx.actor, input)),
  webhookSecret: authedProcedure.input(WebhookIdInput).mutation(({ ctx, input }) => revealWebhookSecret(ctx.deps, ctx.actor, input)),
  resendDelivery: authedProcedure.input(DeliveryIdInput).mutation(({ ctx, input }) => resendDelivery(ctx.deps, ctx.actor, input)),
});
