import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/postgres-adapter';
import type pg from 'pg';
import type { Auth } from '../auth/index.js';
import { getSessionUser } from '../auth/index.js';
import type { Logger } from '../log.js';
import type { Notifier } from '../services/deps.js';
import { rooms, type ClientToServerEvents, type ServerToClientEvents } from '../shared/realtime.js';
import { isTrustedOrigin } from '../http/security.js';
import { toHeaders } from '../http/headers.js';

export type IO = Server<ClientToServerEvents, ServerToClientEvents>;

export const SOCKET_PATH = '/socket.io';

/**
 * Socket.io on the HTTP server. The handshake must carry a valid better-auth session cookie and
 * a trusted Origin; each socket joins its user's room and its session's (ended with the session:
 * server/realtime/sessions.ts). Broadcasts reach sockets on other
 * processes through the Postgres adapter.
 */
export function createRealtime(opts: { httpServer: HttpServer; auth: Auth; pool: pg.Pool; trustedOrigins: string[]; log: Logger }): IO {
  const io: IO = new Server(opts.httpServer, {
    path: SOCKET_PATH,
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    adapter: createAdapter(opts.pool, { errorHandler: (err) => opts.log.warn('socket.io adapter error', { err }) }),
  });
  io.use(async (socket, next) => {
    const headers = toHeaders(socket.handshake);
    if (!isTrustedOrigin(headers.get('origin'), opts.trustedOrigins)) return next(new Error('FOREIGN_ORIGIN'));
    try {
      const user = await getSessionUser(opts.auth, headers);
      if (!user) return next(new Error('UNAUTHORIZED'));
      socket.data.userId = user.id;
      socket.data.sessionId = user.sessionId;
      next();
    } catch (err) {
      opts.log.error('socket auth failed', { err });
      next(new Error('INTERNAL'));
    }
  });
  io.on('connection', (socket) => {
    void socket.join([rooms.user(socket.data.userId as string), rooms.session(socket.data.sessionId as string)]);
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
