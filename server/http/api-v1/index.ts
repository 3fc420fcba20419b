/**
 * /api/v1 over Express: for each route of the table (./routes.ts) — the API key from the
 * Authorization header (server/services/api-keys.ts), its scope, its rate limit (API_RATE_PER_MINUTE
 * per key, in Postgres so it holds across processes), the request parsed with the route's zod
 * schemas, then the handler. Refusals go through the one error table (server/http/errors.ts) as
 * `{ error: { code, message } }`. Cookies are never read here: only a key authenticates.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { z } from 'zod';
import { authenticateApiKey, requireScope } from '../../services/api-keys.js';
import type { Deps } from '../../services/deps.js';
import { hitLimit } from '../../services/rate-limits.js';
import { AppError } from '../../shared/errors.js';
import { sendError } from '../errors.js';
import { openApiDocument } from './openapi.js';
import { apiRoutes, type ApiRoute } from './routes.js';

/** Express path of an OpenAPI path: `/generations/{id}` → `/generations/:id`. */
export const expressPath = (p: string) => p.replace(/\{(\w+)\}/g, ':$1');

type Def = { type?: string; innerType?: z.ZodType; in?: z.ZodType };
const defOf = (t: unknown) => ((t as { _zod?: { def?: Def } })._zod?.def ?? {}) as Def;

/** The zod type under optional/default/nullable wrappers. */
function unwrap(t: z.ZodType): z.ZodType {
  let cur = t;
  for (let i = 0; i < 10; i++) {
    const d = defOf(cur);
    if ((d.type === 'optional' || d.type === 'default' || d.type === 'nullable' || d.type === 'prefault') && d.innerType) cur = d.innerType;
    else break;
  }
  return cur;
}

/**
 * Query strings are text; numbers and booleans of the route's schema are converted before it
 * parses (without changing the shared schema). A value that does not convert is left as text, so
 * the schema refuses it with its own message.
 */
function coerceQuery(schema: z.ZodType, raw: Record<string, unknown>): Record<string, unknown> {
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (Array.isArray(v)) {
      out[k] = v;
      continue;
    }
    const field = shape[k];
    const kind = field ? defOf(unwrap(field)).type : undefined;
    if (typeof v === 'string' && kind === 'number' && v.trim() !== '' && Number.isFinite(Number(v))) out[k] = Number(v);
    else if (typeof v === 'string' && kind === 'boolean' && (v === 'true' || v === 'false')) out[k] = v === 'true';
    else out[k] = v;
  }
  return out;
}

function handler(deps: Deps, route: ApiRoute) {
  return async (req: Request, res: Response) => {
    try {
      const principal = await authenticateApiKey(deps, req.get('authorization'));
      res.locals.userId = principal.userId; // for the usage log
      requireScope(principal, route.scope);
      const limit = await hitLimit(deps.db, `api-key:${principal.keyId}`, { max: deps.config.api.ratePerMinute, windowSeconds: 60 });
      if (!limit.allowed) throw new AppError('RATE_LIMITED', { userMessage: `This API key made more than ${deps.config.api.ratePerMinute} requests in a minute. Try again in ${limit.retryAfterSeconds} s.`, retryAfterSeconds: limit.retryAfterSeconds });
      if (route.body && !req.is('application/json')) throw new AppError('INVALID_INPUT', { userMessage: 'Send the body as JSON, with the header "Content-Type: application/json".' });
      const params = route.params ? route.params.parse(req.params) : {};
      const query = route.query ? route.query.parse(coerceQuery(route.query, req.query as Record<string, unknown>)) : {};
      const body = route.body ? route.body.parse(req.body ?? {}) : undefined;
      const result = await route.handle({ deps, principal, params, query, body, req, res });
      if (result !== undefined) res.status(route.response.status).json(result);
    } catch (err) {
      if (err instanceof AppError && err.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(Math.ceil(err.retryAfterSeconds)));
      sendError(res, err, { log: deps.log, what: `api ${route.operationId}` });
    }
  };
}

export function apiV1Router(deps: Deps): Router {
  const router = express.Router();
  const document = openApiDocument(deps.config.baseUrl);
  router.get('/openapi.json', (_req, res) => void res.json(document));
  const json = express.json({ limit: '64kb' });
  for (const route of apiRoutes) {
    const h = handler(deps, route);
    if (route.method === 'post') router.post(expressPath(route.path), json, h);
    else router.get(expressPath(route.path), h);
  }
  // A body that is not JSON, or too large, is refused in our format; anything else here is unknown.
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const type = (err as { type?: string })?.type;
    if (type === 'entity.too.large') return sendError(res, new AppError('PAYLOAD_TOO_LARGE', { userMessage: 'The request body is larger than 64 KB.' }));
    if (type === 'entity.parse.failed') return sendError(res, new AppError('INVALID_INPUT', { userMessage: 'The request body is not valid JSON.' }));
    next(err);
  });
  router.use((req: Request, res: Response) => sendError(res, new AppError('NOT_FOUND', { userMessage: `There is no ${req.method} ${req.baseUrl}${req.path}. See ${req.baseUrl}/openapi.json.` })));
  return router;
}
