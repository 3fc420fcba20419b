import { z } from 'zod';
import { GENERATION_STATUSES } from './generation.js';
import { API_SCOPES, WEBHOOK_EVENTS, type ApiScopeName, type WebhookEvent } from './api-words.js';

export * from './api-words.js';

/**
 * The public API (/api/v1) and webhooks, shared by the server, the settings page and the OpenAPI
 * document (server/http/api-v1/openapi.ts builds it from these schemas and the request schemas in
 * server/shared/generation.ts and server/shared/library.ts).
 */

/** What an API key looks like: `fk_` and 43 base64url characters (32 random bytes). */
export const API_KEY_PATTERN = /^fk_[A-Za-z0-9_-]{43}$/;
export const MAX_KEYS_PER_OWNER = 25;

export const ApiKeyNameSchema = z.string({ error: 'Give the key a name.' }).trim().min(1, 'Give the key a name, e.g. the program that will use it.').max(64, 'Keep the name under 64 characters.');
export const CreateApiKeyInput = z.object({
  name: ApiKeyNameSchema,
  /**
   * Absent: a personal key, yours alone, acting in every workspace you belong to (your personal one
   * by default). Set: a key of that workspace, acting in it only, managed by its owners and admins.
   */
  workspaceId: z.uuid().optional(),
  scopes: z
    .array(z.enum(API_SCOPES, { error: 'Choose read and/or generate.' }))
    .min(1, 'Choose at least one scope.')
    .max(API_SCOPES.length)
    .refine((s) => new Set(s).size === s.length, 'Each scope once.'),
});
export const ListApiKeysInput = z.object({ workspaceId: z.uuid().optional() });
export const RevokeApiKeyInput = z.object({ id: z.uuid({ error: 'Not a valid key.' }) });

export interface ApiKeyView {
  id: string;
  name: string;
  kind: 'personal' | 'workspace';
  workspaceId: string;
  workspaceName: string;
  /** The first characters, to recognise the key by (the rest is never shown again). */
  prefix: string;
  scopes: ApiScopeName[];
  createdAt: Date;
  createdBy: string;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

// ---- webhooks ----
export const MAX_WEBHOOKS_PER_WORKSPACE = 10;
export const CreateWebhookInput = z.object({
  workspaceId: z.uuid(),
  url: z
    .string({ error: 'Enter the URL to send events to.' })
    .trim()
    .max(2000, 'Keep the URL under 2000 characters.')
    .pipe(z.url({ protocol: /^https?$/, error: 'Enter a full http:// or https:// URL.' })),
  description: z.string().trim().max(200, 'Keep the description under 200 characters.').default(''),
  events: z
    .array(z.enum(WEBHOOK_EVENTS, { error: 'Unknown event.' }))
    .min(1, 'Choose at least one event.')
    .refine((e) => new Set(e).size === e.length, 'Each event once.'),
});
export const WebhookIdInput = z.object({ id: z.uuid({ error: 'Not a valid webhook.' }) });
export const ListWebhooksInput = z.object({ workspaceId: z.uuid() });
export const DeliveryIdInput = z.object({ id: z.uuid({ error: 'Not a valid delivery.' }) });

/** The message a receiver gets (the body the signature covers). */
export const WebhookPayload = z
  .object({
    type: z.enum(WEBHOOK_EVENTS),
    timestamp: z.iso.datetime(),
    data: z.object({
      id: z.uuid(),
      workspaceId: z.uuid(),
      status: z.enum(GENERATION_STATUSES),
      prompt: z.string(),
      errorMessage: z.string().nullable(),
      outputs: z.array(z.object({ id: z.uuid(), media: z.enum(['image', 'video']), width: z.number().nullable(), height: z.number().nullable(), url: z.string() })),
    }),
  })
  .meta({ id: 'WebhookPayload' });
export type WebhookPayload = z.infer<typeof WebhookPayload>;

// ---- responses of /api/v1 (the OpenAPI document is built from these) ----
export const ApiError = z
  .object({ error: z.object({ code: z.string().meta({ example: 'API_KEY_INVALID' }), message: z.string(), requestId: z.string().optional() }) })
  .meta({ id: 'Error', description: 'Every refusal: a stable code and a sentence a person can act on.' });

export const ApiOutput = z
  .object({
    id: z.uuid(),
    media: z.enum(['image', 'video']),
    mime: z.string(),
    width: z.number().nullable(),
    height: z.number().nullable(),
    /** Absolute URL of GET /api/v1/assets/{id}/file. */
    fileUrl: z.string(),
  })
  .meta({ id: 'Output' });

export const ApiGeneration = z
  .object({
    id: z.uuid(),
    workspaceId: z.uuid(),
    kind: z.enum(['image', 'video']),
    status: z.enum(GENERATION_STATUSES),
    progress: z.number().int().min(0).max(100),
    prompt: z.string(),
    model: z.string(),
    aspectRatio: z.string(),
    width: z.number(),
    height: z.number(),
    seed: z.number(),
    count: z.number(),
    creditCost: z.number(),
    errorCode: z.string().nullable(),
    errorMessage: z.string().nullable(),
    createdAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
    referenceIds: z.array(z.uuid()),
    outputs: z.array(ApiOutput),
  })
  .meta({ id: 'Generation' });
export type ApiGeneration = z.infer<typeof ApiGeneration>;

export const ApiAsset = z
  .object({
    id: z.uuid(),
    workspaceId: z.uuid(),
    media: z.enum(['image', 'video']),
    source: z.enum(['output', 'upload']),
    mime: z.string(),
    width: z.number().nullable(),
    height: z.number().nullable(),
    sizeBytes: z.number(),
    createdAt: z.iso.datetime(),
    generationId: z.uuid().nullable(),
    prompt: z.string().nullable(),
    seed: z.number().nullable(),
    model: z.string().nullable(),
    preview: z.boolean().meta({ description: 'Made by the offline preview renderer: a placeholder, not an AI image.' }),
    saved: z.boolean(),
    favorite: z.boolean(),
    tags: z.array(z.string()),
    fileUrl: z.string(),
  })
  .meta({ id: 'Asset' });
export type ApiAsset = z.infer<typeof ApiAsset>;

export const ApiLibraryPage = z
  .object({ items: z.array(ApiAsset), nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last one.' }) })
  .meta({ id: 'LibraryPage' });
