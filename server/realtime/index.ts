import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/postgres-adapter';
import type pg from 'pg';
import type { SocketSession } from '../auth/socket-session.js';
import type { Logger } from '../log.js';
import type { Notifier } from '../services/deps.js';
import { rooms, type ClientToServerEvents, type ServerToClientEvents } from '../shared/realtime.js';
import { isTrustedOrigin } from '../http/security.js';
import { toHeaders } from '../http/headers.js';
import { AppError } from '../shared/errors.js';
import type { LinkGrant } from '../services/share-links.js';

export type IO = Server<ClientToServerEvents, ServerToClientEvents>;

export const SOCKET_PATH = '/socket.io';

/**
 * Socket.io on the HTTP server. The handshake must carry a valid better-auth session cookie and
 * a trusted Origin (the session, its user and their workspaces are read in one statement:
 * server/auth/socket-session.ts); each socket joins its user's room, its session's (ended with the session:
 * server/realtime/sessions.ts) and the rooms of its user's workspaces (job progress goes to the
 * whole workspace; members added or removed later join or leave through server/boards/socket.ts).
 * The workspaces are looked up during the handshake, so every room is joined before the client
 * hears "connect": nothing sent after that is missed. Broadcasts reach sockets on other processes
 * through the Postgres adapter.
 *
 * A handshake that carries a share-link token (`auth: { share }`, issue 17) is a link holder's
 * instead, whatever cookie it carries: no account, no user or workspace rooms; it joins only its
 * link's room and may open only that link's board, read-only (server/boards/links.ts).
 */
export function createRealtime(opts: {
  httpServer: HttpServer;
  pool: pg.Pool;
  trustedOrigins: string[];
  log: Logger;
  socketsPerUser: number;
  /** the signed-in user of a handshake's cookie, with their session and workspaces (server/auth/socket-session.ts) */
  socketSession: (headers: Headers) => Promise<SocketSession | null>;
  /** checks a share-link token and counts the connection against the link's limit (server/services/share-links.ts) */
  openShareLink: (token: unknown) => Promise<LinkGrant>;
}): IO {
  const io: IO = new Server(opts.httpServer, {
    path: SOCKET_PATH,
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    adapter: createAdapter(opts.pool, { errorHandler: (err) => opts.log.warn('socket.io adapter error', { err }) }),
  });
  // Open sockets per user on this process (SOCKETS_PER_USER): counted from the accepted handshake
  // (nothing awaits between the check and the connection) until the socket ends.
  const perUser = new Map<string, number>();
  io.use(async (socket, next) => {
    const headers = toHeaders(socket.handshake);
    if (!isTrustedOrigin(headers.get('origin'), opts.trustedOrigins)) return next(new Error('FOREIGN_ORIGIN'));
    const share = (socket.handshake.auth as { share?: unknown } | undefined)?.share;
    if (share !== undefined) {
      try {
        socket.data.link = await opts.openShareLink(share);
        return next();
      } catch (err) {
        if (err instanceof AppError) return next(new Error(err.code));
        opts.log.error('share link socket check failed', { err });
        return next(new Error('INTERNAL'));
      }
    }
    try {
      const user = await opts.socketSession(headers);
      if (!user) return next(new Error('UNAUTHORIZED'));
      socket.data.userId = user.userId;
      socket.data.name = user.name;
      socket.data.sessionId = user.sessionId;
      socket.data.workspaceIds = user.workspaceIds;
      const open = perUser.get(user.userId) ?? 0;
      if (open >= opts.socketsPerUser) return next(new Error('TOO_MANY_SOCKETS'));
      perUser.set(user.userId, open + 1);
      next();
    } catch (err) {
      opts.log.error('socket auth failed', { err });
      next(new Error('INTERNAL'));
    }
  });
  io.on('connection', (socket) => {
    const link = socket.data.link as LinkGrant | undefined;
    if (link) return void socket.join(rooms.shareLink(link.linkId));
    const userId = socket.data.userId as string;
    socket.once('disconnect', () => {
      const n = (perUser.get(userId) ?? 1) - 1;
      if (n <= 0) perUser.delete(userId);
      else perUser.set(userId, n);
    });
    void socket.join([rooms.user(userId), rooms.session(socket.data.sessionId as string), ...(socket.data.workspaceIds as string[]).map(rooms.workspace)]);
  });
  return io;
}

export function ioNotifier(io: IO): Notifier {
  return { emit: (room, event, ...args) => void io.to(room).emit(event, ...args) };
}

/**
 * For processes that serve no sockets (separate workers): a Socket.io server attached to nothing,
 * whose Postgres adapter carries each broadcast to the web processes that hold the sockets.
 */
export function postgresNotifier(pool: pg.Pool, log: Logger): { notifier: Notifier; close(): Promise<void> } {
  const io: IO = new Server({
    serveClient: false,
    adapter: createAdapter(pool, { errorHandler: (err) => log.warn('socket.io adapter error', { err }) }),
  });
  return {
    notifier: ioNotifier(io),
    // Not attached to an HTTP server, so there is no engine to close: only the adapter's listener.
    close: async () => {
      await io.of('/').adapter.close();
    },
  };
}
