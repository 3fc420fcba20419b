import type { NextFunction, Request, Response } from 'express';
import { ERROR_CODES } from '../shared/errors.js';

export function isTrustedOrigin(origin: string | null | undefined, trusted: string[]): boolean {
  if (!origin) return false;
  return trusted.includes(origin.replace(/\/$/, ''));
}

/**
 * CSRF defence for our own endpoints (better-auth guards only /api/auth/*): a state-changing
 * request from a browser must come from a trusted Origin. Requests with no Origin are accepted
 * only when the browser says they are same-origin (Sec-Fetch-Site) or when it is not a browser.
 */
export function requireTrustedOrigin(trusted: string[]) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    const origin = req.get('origin');
    const site = req.get('sec-fetch-site');
    const ok = origin ? isTrustedOrigin(origin, trusted) : site === undefined || site === 'same-origin' || site === 'none';
    if (ok) return next();
    res.status(403).json({
      error: { code: 'FOREIGN_ORIGIN', message: ERROR_CODES.FOREIGN_ORIGIN.message },
    });
  };
}

/** Conservative security headers for every response. */
export function securityHeaders(opts: { https: boolean }) {
  return (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'strict-origin-when-cross-origin');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
    if (opts.https) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    next();
  };
}
