/**
 * The per-address half of sign-in's limits. better-auth's limiter counts sign-in attempts per
 * account (server/http/security.ts turns its "address" into an account key); this counts them per
 * real client address across all accounts, so one address cannot spray a password over many
 * accounts. Runs as a better-auth hook, so the HTTP endpoint and the sign-in form (which calls
 * the handler directly) both pass through it. Refused attempts answer 429 like better-auth's own.
 */
import { APIError } from 'better-auth/api';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Config } from '../config.js';
import { REAL_IP_HEADER, signInAddressKey } from '../http/security.js';
import { hitLimit } from '../services/rate-limits.js';

interface HookCtx {
  path: string;
  headers?: Headers;
  request?: Request;
}

export function signInAddressLimit(db: Kysely<DB>, config: Pick<Config, 'authRateLimit' | 'signInAddressLimit'>) {
  return async (ctx: HookCtx): Promise<void> => {
    if (!config.authRateLimit || ctx.path !== '/sign-in/email') return;
    const real = ctx.request?.headers.get(REAL_IP_HEADER) ?? ctx.headers?.get(REAL_IP_HEADER);
    if (!real) return; // a server-side call, not a client's attempt
    const decision = await hitLimit(db, signInAddressKey(real), { max: config.signInAddressLimit.max, windowSeconds: config.signInAddressLimit.windowSeconds });
    if (!decision.allowed) {
      throw new APIError('TOO_MANY_REQUESTS', { message: 'Too many requests. Please try again later.' }, { 'X-Retry-After': String(decision.retryAfterSeconds) });
    }
  };
}
