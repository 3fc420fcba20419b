import type { NextFunction, Request, Response } from 'express';
import type { Deps } from '../services/deps.js';
import { recordUsage } from '../services/usage-log.js';
import { CLIENT_IP_HEADER } from './security.js';

const STATUS_CODES: Record<number, string> = { 400: 'INVALID_INPUT', 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 409: 'CONFLICT', 413: 'PAYLOAD_TOO_LARGE', 429: 'RATE_LIMITED' };

/** The route name logged for a request: the tRPC procedure, or the path with ids replaced. */
export function routeName(req: Request): string {
  const path = req.originalUrl.split('?')[0] ?? '/';
  if (path.startsWith('/trpc/')) return `trpc:${path.slice(6)}`;
  return path.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, ':id').replace(/\/reset-password\/[^/]+/, '/reset-password/:token');
}

/**
 * Logs API requests and errors after they finish: time, route, status, error code, device and
 * network (never the address, never request or response contents). The signed-in user is whoever
 * the request resolved (`res.locals.userId`, set by the tRPC context and the file routes).
 */
export function usageLog(deps: Pick<Deps, 'db' | 'log'>) {
  return (req: Request, res: Response, next: NextFunction) => {
    res.on('finish', () => {
      recordUsage(deps, {
        userId: (res.locals.userId as string | undefined) ?? null,
        method: req.method,
        route: routeName(req),
        status: res.statusCode,
        errorCode: res.statusCode >= 400 ? ((res.locals.errorCode as string | undefined) ?? STATUS_CODES[res.statusCode] ?? (res.statusCode >= 500 ? 'INTERNAL' : null)) : null,
        userAgent: req.get('user-agent'),
        ip: req.get(CLIENT_IP_HEADER),
      }).catch((err) => deps.log.warn('usage log write failed', { err }));
    });
    next();
  };
}
