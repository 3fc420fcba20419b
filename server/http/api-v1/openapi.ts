/**
 * The OpenAPI 3.1 document of /api/v1, generated from the route table (./routes.ts) and its zod
 * schemas by zod-openapi, and served at GET /api/v1/openapi.json. A test compares it with the
 * routes the server really mounts (server/http/api-v1/api.test.ts).
 */
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import type { z } from 'zod';
import { ApiError } from '../../shared/api.js';
import { ERROR_CODES, type ErrorCode } from '../../shared/errors.js';
import { API_PREFIX, apiRoutes, type ApiRoute } from './routes.js';

/** Refusals every authenticated route may answer. */
const COMMON_ERRORS: ErrorCode[] = ['INVALID_INPUT', 'API_KEY_INVALID', 'API_KEY_SCOPE', 'RATE_LIMITED'];

function errorResponses(codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of codes) byStatus.set(ERROR_CODES[c].http, [...(byStatus.get(ERROR_CODES[c].http) ?? []), c]);
  return Object.fromEntries(
    [...byStatus.entries()].sort(([a], [b]) => a - b).map(([status, cs]) => [
      String(status),
      {
        description: cs.map((c) => `\`${c}\`: ${ERROR_CODES[c].message}`).join(' '),
        ...(status === 429 ? { headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' as const } } } } : {}),
        content: { 'application/json': { schema: ApiError } },
      },
    ]),
  );
}

function operation(r: ApiRoute): ZodOpenApiOperationObject {
  const errors = [...new Set([...COMMON_ERRORS, ...(r.scope ? ['API_KEY_MISSING', 'API_KEY_REVOKED'] as ErrorCode[] : []), ...r.errors])];
  return {
    operationId: r.operationId,
    summary: r.summary,
    description: `${r.description}\n\nScope: \`${r.scope}\`.`,
    tags: [r.tag],
    security: [{ bearerAuth: [] }],
    ...(r.params || r.query ? { requestParams: { ...(r.params ? { path: r.params as z.ZodObject } : {}), ...(r.query ? { query: r.query as z.ZodObject } : {}) } } : {}),
    ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } } : {}),
    responses: {
      [String(r.response.status) as '200']: {
        description: r.response.description,
        content: r.response.binary
          ? { 'application/octet-stream': { schema: { type: 'string' as const, format: 'binary' } } }
          : { 'application/json': { schema: r.response.schema! } },
      },
      ...errorResponses(errors),
    },
  };
}

/** The document for a server at `baseUrl`. */
export function openApiDocument(baseUrl: string) {
  const paths: ZodOpenApiPathsObject = {};
  for (const r of apiRoutes) paths[r.path] = { ...paths[r.path], [r.method]: operation(r) };
  paths['/openapi.json'] = {
    get: {
      operationId: 'getOpenApiDocument',
      summary: 'This document',
      tags: ['Meta'],
      security: [],
      responses: { '200': { description: 'The OpenAPI 3.1 document of this API.', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  };
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Flux Klein API',
      version: '1.0.0',
      description:
        'Generate images and videos, follow them and fetch the results. Authenticate with an API key from Settings → API: `Authorization: Bearer fk_…`. A key acts as the person who made it, with the same permissions, narrowed by its scopes (`read`, `generate`). Every refusal is `{ "error": { "code", "message" } }`.',
    },
    servers: [{ url: `${baseUrl}${API_PREFIX}` }],
    components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key (`fk_…`).' } } },
    paths,
  });
}
