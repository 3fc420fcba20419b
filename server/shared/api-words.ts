/** The public API's and webhooks' names and labels, without the schemas (zod stays out of the settings page: ADR 0024); server/shared/api.ts re-exports them. */
export const API_SCOPES = ['read', 'generate'] as const;
export type ApiScopeName = (typeof API_SCOPES)[number];
export const API_SCOPE_LABELS: Record<ApiScopeName, string> = {
  read: 'Read: look up generations, list the library, download files',
  generate: 'Generate: start generations (spends credits)',
};

export const WEBHOOK_EVENTS = ['generation.succeeded', 'generation.failed', 'generation.canceled'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
export const WEBHOOK_EVENT_LABELS: Record<WebhookEvent, string> = {
  'generation.succeeded': 'A generation finished',
  'generation.failed': 'A generation failed',
  'generation.canceled': 'A generation was canceled',
};
