import { createHash, randomBytes } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../shared/errors.js';
import { sendError } from './errors.js';

export function isTrustedOrigin(origin: string | null | undefined, trusted: string[]): boolean {
  if (!origin) return false;
  return trusted.includes(origin.replace(/\/$/, ''));
}

/**
 * CSRF defence for every state-changing request (Remix actions, tRPC, uploads, consent, better-auth),
 * mounted once in front of all of them: a non-GET/HEAD/OPTIONS request from a browser must come
 * from a trusted Origin. With no Origin header it is accepted only when the browser says it is
 * same-origin or user-initiated (Sec-Fetch-Site), or when neither header is there (not a browser:
 * scripts, the test harness, server-to-server calls, which carry no ambient cookies to abuse).
 * `exempt` lists exact paths authenticated otherwise (the Stripe webhook, by its signature).
 * Refusals answer FOREIGN_ORIGIN (403): JSON for API callers, a short page for a form post.
 */
export function requireTrustedOrigin(trusted: string[], opts: { exempt?: string[] } = {}) {
  const exempt = new Set(opts.exempt ?? []);
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    if (exempt.has(req.path)) return next();
    const origin = req.get('origin');
    const site = req.get('sec-fetch-site');
    const ok = origin ? isTrustedOrigin(origin, trusted) : site === undefined || site === 'same-origin' || site === 'none';
    if (ok) return next();
    sendError(res, new AppError('FOREIGN_ORIGIN'));
  };
}

/**
 * The page Content-Security-Policy. Scripts run only with this response's nonce (Remix's
 * <Scripts>, <ScrollRestoration> and streamed data scripts carry it) or when loaded by such a script
 * ('strict-dynamic'), so markup stored in a prompt, note or name cannot run. Images and media only
 * from us (and data:/blob: for previews), so a board item cannot make viewers load a tracking pixel.
 * connect-src allows our own origin over http(s) and ws(s) for tRPC and Socket.io. React style
 * props need style-src-attr 'unsafe-inline' (attributes only: no <style> elements from elsewhere).
 */
export function pageCsp(nonce: string, baseUrl: string): string {
  const base = new URL(baseUrl);
  const ws = `${base.protocol === 'https:' ? 'wss' : 'ws'}://${base.host}`;
  return [
    "default-src 'self'",
    `script-src 'nonce-${nonce}' 'strict-dynamic'`,
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self'",
    `connect-src 'self' ${ws}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Conservative security headers for every response, and the page CSP with a fresh nonce (res.locals.cspNonce). */
export function securityHeaders(opts: { https: boolean; baseUrl?: string }) {
  return (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'strict-origin-when-cross-origin');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
    if (opts.https) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    const nonce = randomBytes(16).toString('base64');
    res.locals.cspNonce = nonce;
    res.setHeader('Content-Security-Policy', pageCsp(nonce, opts.baseUrl ?? 'http://localhost'));
    next();
  };
}

export { CLIENT_IP_HEADER, REAL_IP_HEADER } from '../shared/client-ip.js';
import { CLIENT_IP_HEADER, REAL_IP_HEADER } from '../shared/client-ip.js';

/** Records the client address Express resolved (honouring `trust proxy`) in CLIENT_IP_HEADER, replacing anything sent. */
export function clientIp() {
  return (req: Request, _res: Response, next: NextFunction) => {
    const ip = (req.ip ?? req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    if (ip) req.headers[CLIENT_IP_HEADER] = ip;
    else delete req.headers[CLIENT_IP_HEADER];
    delete req.headers[REAL_IP_HEADER];
    next();
  };
}

/**
 * Sign-in attempts are limited per account, not per address: the limiter's key for
 * /sign-in/email becomes a stable pseudo-address derived from the email (a unique-local IPv6 whose
 * first 64 bits come from its hash), so the N+1th attempt on one account is refused from anywhere,
 * with the right or the wrong password, and other accounts are unaffected.
 */
export function accountThrottleAddress(email: string): string {
  const h = createHash('sha256').update(`sign-in:${email.trim().toLowerCase()}`).digest('hex');
  return `fd${h.slice(0, 2)}:${h.slice(2, 6)}:${h.slice(6, 10)}:${h.slice(10, 14)}::1`;
}

/**
 * better-auth's limiter row for an account's sign-in attempts: its key is the pseudo-address as
 * better-auth normalises it (IPv6 expanded, cut to its /64, which the hash fills) and the path.
 * A successful password reset deletes it, so the owner gets in at once.
 */
export function accountThrottleKey(email: string): string {
  const groups = accountThrottleAddress(email).split('::')[0]!.split(':');
  return `${[...groups.map((g) => g.padStart(4, '0')), '0000', '0000', '0000', '0000'].join(':')}|/sign-in/email`;
}

/**
 * The budget a client address spends on sign-in attempts across all accounts (so one address
 * cannot try a password on many accounts): its IPv4 address, or the /64 of its IPv6 address (one
 * subscriber's usual allocation; any finer would give one machine 2^64 budgets).
 */
export function signInAddressKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return `sign-in-address:${ip}`;
  const addr = ipaddr.process(ip);
  if (addr.kind() === 'ipv4') return `sign-in-address:${addr.toString()}`;
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `sign-in-address:${parts.join(':')}::/64`;
}

export function signInThrottle() {
  return (req: Request, _res: Response, next: NextFunction) => {
    const email = typeof req.body?.email === 'string' ? req.body.email : '';
    const real = req.headers[CLIENT_IP_HEADER];
    if (typeof real === 'string') req.headers[REAL_IP_HEADER] = real;
    req.headers[CLIENT_IP_HEADER] = accountThrottleAddress(email);
    next();
  };
}
