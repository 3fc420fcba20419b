/**
 * The public API's routes, in one table: each route's method, path, scope, request and response
 * schemas (zod, shared with the UI's procedures), and its handler, a thin adapter over the same
 * service the UI calls, with the key's user as the actor. The Express router (./index.ts) and the
 * OpenAPI document (./openapi.ts) are both built from this table, so they cannot disagree.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import { createGeneration, getGeneration, type GenerationView } from '../../services/generations.js';
import { getAsset, listAssets, openAssetFile, type AssetView } from '../../services/assets.js';
import { apiWorkspace, requireKeyWorkspace, type ApiPrincipal } from '../../services/api-keys.js';
import type { Deps } from '../../services/deps.js';
import { CreateGenerationInput } from '../../shared/generation.js';
import { LibraryListInput } from '../../shared/library.js';
import { ApiAsset, ApiGeneration, ApiLibraryPage, type ApiScopeName } from '../../shared/api.js';
import type { ErrorCode } from '../../shared/errors.js';

export const API_PREFIX = '/api/v1';

const IdParams = z.object({ id: z.uuid({ error: 'Not a valid id.' }).meta({ description: 'A UUID.' }) });

export interface ApiCall<P, Q, B> {
  deps: Deps;
  principal: ApiPrincipal;
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

export interface ApiRoute<P = any, Q = any, B = any> {
  method: 'get' | 'post';
  /** OpenAPI style, relative to /api/v1: `/generations/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description: string;
  tag: string;
  scope: ApiScopeName;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  response: { status: 200 | 201; description: string; schema?: z.ZodType; binary?: boolean };
  /** Refusals this route may answer besides the ones every route may (400, 401, 403, 429). */
  errors: ErrorCode[];
  /** Answers the response body (JSON), or writes the response itself and answers undefined (binary). */
  handle(call: ApiCall<P, Q, B>): Promise<unknown>;
}

const fileUrl = (deps: Deps, id: string) => `${deps.config.baseUrl}${API_PREFIX}/assets/${id}/file`;

export function toApiGeneration(deps: Deps, g: GenerationView): ApiGeneration {
  return {
    id: g.id,
    workspaceId: g.workspaceId,
    kind: g.kind,
    status: g.status,
    progress: g.progress,
    prompt: g.prompt,
    model: g.model,
    aspectRatio: g.aspectRatio,
    width: g.width,
    height: g.height,
    seed: g.seed,
    count: g.count,
    creditCost: g.creditCost,
    errorCode: g.errorCode,
    errorMessage: g.errorMessage,
    createdAt: new Date(g.createdAt).toISOString(),
    finishedAt: g.finishedAt ? new Date(g.finishedAt).toISOString() : null,
    referenceIds: g.referenceIds,
    outputs: g.assets.map((a) => ({ id: a.id, media: a.media, mime: a.mime, width: a.width, height: a.height, fileUrl: fileUrl(deps, a.id) })),
  };
}

export function toApiAsset(deps: Deps, a: AssetView): ApiAsset {
  return {
    id: a.id,
    workspaceId: a.workspaceId,
    media: a.media,
    source: a.source,
    mime: a.mime,
    width: a.width,
    height: a.height,
    sizeBytes: a.sizeBytes,
    createdAt: new Date(a.createdAt).toISOString(),
    generationId: a.generationId,
    prompt: a.prompt,
    seed: a.seed,
    model: a.model,
    preview: a.preview,
    saved: a.saved,
    favorite: a.favorite,
    tags: a.tags,
    fileUrl: fileUrl(deps, a.id),
  };
}

const actorOf = (p: ApiPrincipal) => ({ userId: p.userId });

export const apiRoutes: ApiRoute[] = [
  {
    method: 'post',
    path: '/generations',
    operationId: 'createGeneration',
    summary: 'Start a generation',
    description:
      'Queues a generation in the key\'s workspace (or `workspaceId`, for a personal key) and reserves its credits; it runs in the background. Follow it with GET /generations/{id}, or a webhook. Needs the `generate` scope and an editor role or higher.',
    tag: 'Generations',
    scope: 'generate',
    body: CreateGenerationInput,
    response: { status: 201, description: 'The queued generation.', schema: ApiGeneration },
    errors: ['NOT_FOUND', 'INSUFFICIENT_CREDITS', 'PROMPT_REFUSED'],
    async handle({ deps, principal, body, res }) {
      const view = await createGeneration(deps, actorOf(principal), { ...body, workspaceId: apiWorkspace(principal, body.workspaceId) });
      res.setHeader('Location', `${API_PREFIX}/generations/${view.id}`);
      return toApiGeneration(deps, view);
    },
  } satisfies ApiRoute<unknown, unknown, z.output<typeof CreateGenerationInput>>,
  {
    method: 'get',
    path: '/generations/{id}',
    operationId: 'getGeneration',
    summary: 'Get a generation',
    description: 'Its status, progress and, once it succeeded, its outputs with their file URLs.',
    tag: 'Generations',
    scope: 'read',
    params: IdParams,
    response: { status: 200, description: 'The generation.', schema: ApiGeneration },
    errors: ['NOT_FOUND'],
    async handle({ deps, principal, params }) {
      const view = await getGeneration(deps, actorOf(principal), params.id);
      requireKeyWorkspace(principal, view.workspaceId);
      return toApiGeneration(deps, view);
    },
  } satisfies ApiRoute<z.output<typeof IdParams>>,
  {
    method: 'get',
    path: '/library',
    operationId: 'listLibrary',
    summary: 'List the library',
    description: 'The workspace\'s images, videos and uploads, newest first, filtered and searched like the library page; a page at a time (pass `nextCursor` as `cursor`).',
    tag: 'Library',
    scope: 'read',
    query: LibraryListInput,
    response: { status: 200, description: 'One page of the library.', schema: ApiLibraryPage },
    errors: ['NOT_FOUND'],
    async handle({ deps, principal, query }) {
      const page = await listAssets(deps, actorOf(principal), { ...query, workspaceId: apiWorkspace(principal, query.workspaceId) });
      return { items: page.items.map((a) => toApiAsset(deps, a)), nextCursor: page.nextCursor };
    },
  } satisfies ApiRoute<unknown, z.output<typeof LibraryListInput>>,
  {
    method: 'get',
    path: '/assets/{id}',
    operationId: 'getAsset',
    summary: 'Get an asset',
    description: 'One image, video or upload of the library, with the prompt and settings it was made with.',
    tag: 'Library',
    scope: 'read',
    params: IdParams,
    response: { status: 200, description: 'The asset.', schema: ApiAsset },
    errors: ['NOT_FOUND'],
    async handle({ deps, principal, params }) {
      const asset = await getAsset(deps, actorOf(principal), params.id);
      requireKeyWorkspace(principal, asset.workspaceId);
      return toApiAsset(deps, asset);
    },
  } satisfies ApiRoute<z.output<typeof IdParams>>,
  {
    method: 'get',
    path: '/assets/{id}/file',
    operationId: 'getAssetFile',
    summary: "Download an asset's file",
    description: 'The file itself (PNG, JPEG, WebP or MP4), with its AI marking (XMP and C2PA) as stored.',
    tag: 'Library',
    scope: 'read',
    params: IdParams,
    response: { status: 200, description: 'The file.', binary: true },
    errors: ['NOT_FOUND'],
    async handle({ deps, principal, params, res }) {
      // Checked first (membership, moderation, a workspace key's workspace), then opened.
      const asset = await getAsset(deps, actorOf(principal), params.id);
      requireKeyWorkspace(principal, asset.workspaceId);
      const file = await openAssetFile(deps, actorOf(principal), params.id);
      const { stream, size } = await file.open();
      res.setHeader('Content-Type', file.mime);
      res.setHeader('Content-Length', String(size));
      res.setHeader('Cache-Control', 'private, no-store');
      res.setHeader('ETag', file.etag);
      res.setHeader('Content-Disposition', `attachment; filename="${file.name}"`);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
      return undefined;
    },
  } satisfies ApiRoute<z.output<typeof IdParams>>,
];
