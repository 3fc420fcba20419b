/**
 * Sockets end with their session. Each socket joins the room `session:{id}` of the session its
 * handshake carried (server/realtime/index.ts). Every deleted session row — sign-out, revoking one
 * or all other sessions, a password reset, the deletion request, a deleted user — is announced on
 * the channel `fk_session_end` by a trigger (db/migrations/0071), once the deletion commits; each
 * process then disconnects its own sockets of that session. As a backstop (expired sessions, and
 * announcements missed while the channel was reconnecting) the sessions of this process's sockets
 * are checked again periodically and after every reconnection.
 */
import { sql } from 'kysely';
import type { Database } from '../../db/index.js';
import type { Logger } from '../log.js';
import { rooms } from '../shared/realtime.js';
import type { IO } from './index.js';
import { listenChannel } from './listen.js';

export const SESSION_END_CHANNEL = 'fk_session_end';
const RECHECK_MS = 60_000;

export interface SessionGuard {
  /** Disconnects this process's sockets whose session no longer exists or has expired. */
  recheck(): Promise<void>;
  close(): Promise<void>;
}

export async function createSessionGuard(opts: { io: IO; db: Database; databaseUrl: string; log: Logger; recheckMs?: number }): Promise<SessionGuard> {
  const { io, db, log } = opts;
  const end = (sessionId: string) => io.local.in(rooms.session(sessionId)).disconnectSockets(true);

  async function recheck() {
    const ids = [...new Set([...io.of('/').sockets.values()].map((s) => s.data.sessionId as string | undefined).filter((s): s is string => typeof s === 'string'))];
    if (ids.length === 0) return;
    const live = await db
      .selectFrom('session')
      .select('id')
      .where('id', 'in', ids)
      .where('expiresAt', '>', sql<Date>`now()`)
      .execute();
    const alive = new Set(live.map((r) => r.id));
    for (const id of ids) if (!alive.has(id)) end(id);
  }
  const safeRecheck = () => void recheck().catch((err) => log.warn('re-checking socket sessions failed', { err }));

  const listener = await listenChannel({
    databaseUrl: opts.databaseUrl,
    channel: SESSION_END_CHANNEL,
    log,
    onMessage: (payload) => {
      try {
        const msg = JSON.parse(payload) as { s?: unknown };
        if (typeof msg.s === 'string') end(msg.s);
      } catch {
        /* not ours */
      }
    },
    onConnected: (reconnected) => {
      if (reconnected) safeRecheck();
    },
  });
  const timer = setInterval(safeRecheck, opts.recheckMs ?? RECHECK_MS);
  timer.unref();
  return {
    recheck,
    async close() {
      clearInterval(timer);
      await listener.close();
    },
  };
}
