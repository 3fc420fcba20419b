import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../server/shared/realtime.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const SocketContext = createContext<ClientSocket | null>(null);

/** Handshake refusals that may pass by themselves (server/realtime/index.ts): the tab tries again. */
const PASSING_REFUSALS = new Set(['INTERNAL', 'TOO_MANY_SOCKETS']);

/** One Socket.io connection per tab while signed in; the session cookie authenticates it. */
export function RealtimeProvider({ enabled, children }: { enabled: boolean; children: ReactNode }) {
  const [socket, setSocket] = useState<ClientSocket | null>(null);
  useEffect(() => {
    if (!enabled) return;
    // socket.io-client loads after the page is interactive, and only for a signed-in person: it is
    // not part of any page's first load (ADR 0024).
    let closed = false;
    let stop = () => {};
    void import('socket.io-client').then(({ io }) => {
      if (closed) return;
      stop = connect(io({ path: '/socket.io', withCredentials: true, transports: ['websocket', 'polling'] }));
    }, (err: unknown) => console.warn('live updates are off: loading the socket client failed', err));
    return () => {
      closed = true;
      stop();
    };
  }, [enabled]);

  function connect(s: ClientSocket) {
    // A refusal by the server's handshake check stops socket.io-client from trying again. Most are
    // final (signed out, a foreign origin); INTERNAL (the server could not check the session, e.g.
    // its database was away for a moment) and TOO_MANY_SOCKETS pass, so try again, backing off.
    let retry: ReturnType<typeof setTimeout> | undefined;
    let delay = 1000;
    s.on('connect', () => {
      delay = 1000;
    });
    s.on('connect_error', (err) => {
      if (s.active || !PASSING_REFUSALS.has(err.message)) return;
      clearTimeout(retry);
      retry = setTimeout(() => s.connect(), delay);
      delay = Math.min(delay * 2, 30_000);
    });
    setSocket(s);
    return () => {
      clearTimeout(retry);
      s.close();
      setSocket(null);
    };
  }
  return <SocketContext.Provider value={socket}>{children}</SocketContext.Provider>;
}

export function useSocket(): ClientSocket | null {
  return useContext(SocketContext);
}

/** Subscribes to one server event for the life of the component. */
export function useSocketEvent<E extends keyof ServerToClientEvents>(event: E, handler: ServerToClientEvents[E]) {
  const socket = useSocket();
  useEffect(() => {
    if (!socket) return;
    socket.on(event, handler as never);
    return () => {
      socket.off(event, handler as never);
    };
  }, [socket, event, handler]);
}

/**
 * Calls `handler` each time the tab's socket connects: the first time and after every reconnect
 * (to this server or another). Events sent while the tab was not connected are not replayed, so a
 * page re-reads what it follows here.
 */
export function useSocketConnected(handler: () => void) {
  const socket = useSocket();
  useEffect(() => {
    if (!socket) return;
    socket.on('connect', handler);
    if (socket.connected) handler();
    return () => {
      socket.off('connect', handler);
    };
  }, [socket, handler]);
}
