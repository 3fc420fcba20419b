/**
 * The session of a Socket.io handshake, in one statement (docs/decisions/0025).
 *
 * A socket's handshake needs the signed-in user, their session (sockets end with it:
 * server/realtime/sessions.ts) and the workspaces they are a member of (job progress and membership
 * changes reach them through those rooms). Through better-auth's `getSession` that was three
 * statements per socket (session, then user, then memberships) plus its endpoint machinery, for a
 * read-only check. Here the session cookie is verified exactly as better-auth verifies it (the same
 * cookie name, `token.signature` with an HMAC-SHA256 signature under the same secret, compared in
 * constant time) and one statement reads the session, its user and their memberships, refusing an
 * expired session. Nothing is written: an expired session is left for better-auth to delete on the
 * next HTTP request, and a session's lifetime is extended by HTTP requests (a handshake never could
 * send the refreshed cookie back).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Auth } from './index.js';

export interface SocketSession {
  userId: string;
  name: string;
  sessionId: string;
  workspaceIds: string[];
}

/** The value of cookie `name` in a Cookie header, decoded as better-call decodes it; null when absent. */
export function cookieValue(header: string | null, name: string): string | null {
  if (!header) return null;
  // The first cookie of that name counts (as better-call's parser keeps the first).
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.codePointAt(0) === 34) value = value.slice(1, -1);
    try {
      return value.includes('%') ? decodeURIComponent(value) : value;
    } catch {
      return value;
    }
  }
  return null;
}

/** The session token of a signed cookie value (`token.base64(HMAC-SHA256(secret, token))`), or null when the signature does not match. */
export function verifySignedToken(value: string, secret: string): string | null {
  const dot = value.lastIndexOf('.');
  if (dot < 1) return null;
  const token = value.slice(0, dot);
  const signature = value.slice(dot + 1);
  if (signature.length !== 44 || !signature.endsWith('=')) return null;
  const given = Buffer.from(signature, 'base64');
  const expected = createHmac('sha256', secret).update(token).digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return token;
}

export function createSocketSessions(auth: Auth, db: Kysely<DB>) {
  const context = auth.$context;
  return async function socketSession(headers: Headers): Promise<SocketSession | null> {
    const ctx = await context;
    const value = cookieValue(headers.get('cookie'), ctx.authCookies.sessionToken.name);
    if (!value) return null;
    const token = verifySignedToken(value, ctx.secret);
    if (!token) return null;
    const row = await db
      .selectFrom('session as s')
      .innerJoin('user as u', 'u.id', 's.userId')
      .select([
        's.id as sessionId',
        'u.id as userId',
        'u.name',
        sql<string[]>`array(select m.workspace_id from membership m where m.user_id = u.id)`.as('workspaceIds'),
      ])
      .where('s.token', '=', token)
      .where('s.expiresAt', '>', sql<Date>`now()`)
      .executeTakeFirst();
    return row ?? null;
  };
}
