import { createContext, startTransition, useContext, useEffect, useState, type ReactNode } from 'react';
import type { Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../server/shared/realtime.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const SocketContext = createContext<ClientSocket | null>(null);

/** Handshake refusals that may pass by themselves (server/realtime/index.ts): the tab tries again. */
const PASSING_REFUSALS = new Set(['INTERNAL', 'TOO_MANY_SOCKETS']);

/** The tab's socket, once asked for: made while the page hydrates, adopted by the provider's effect. */
interface TabSocket {
  promise: Promise<ClientSocket>;
  socket: ClientSocket | null;
}
let tabSocket: TabSocket | null = null;

/**
 * The tab's Socket.io connection (the one place app code makes it; the session cookie authenticates
 * it). socket.io-client is loaded here, on first use, and only for a signed-in person: it is not part
 * of any page's first load (ADR 0024). The provider asks for it as it first renders, so loading the
 * client and connecting overlap the page's hydration instead of following it; a board page joins
 * its board on it just as early (app/lib/board-session.ts).
 */
export function tabSocketPromise(): Promise<ClientSocket> {
  if (!tabSocket) {
    const entry: TabSocket = { socket: null, promise: null as unknown as Promise<ClientSocket> };
    entry.promise = import('socket.io-client').then(({ io }): ClientSocket => (entry.socket = io({ path: '/socket.io', withCredentials: true, transports: ['websocket', 'polling'] })));
    entry.promise.catch(() => {
      if (tabSocket === entry) tabSocket = null; // tried again next time
    });
    tabSocket = entry;
  }
  return tabSocket.promise;
}

/** One Socket.io connection per tab while signed in. */
export function RealtimeProvider({ enabled, children }: { enabled: boolean; children: ReactNode }) {
  const [socket, setSocket] = useState<ClientSocket | null>(null);
  // Started during the first render (in the browser), not after hydration: see tabSocketPromise.
  if (enabled && typeof document !== 'undefined') void tabSocketPromise().catch(() => undefined);
  useEffect(() => {
    if (!enabled) return;
    let closed = false;
    let stop = () => {};
    tabSocketPromise().then(
      (s) => {
        if (closed) return;
        stop = connect(s);
      },
      (err: unknown) => console.warn('live updates are off: loading the socket client failed', err),
    );
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
    // Refused before this effect ran (a passing refusal has no retry yet): try again now.
    if (!s.connected && !s.active) s.connect();
    // Every component that follows an event renders again with the socket: as a transition, that work
    // is done in slices between which the browser stays responsive (it arrives as the page hydrates).
    startTransition(() => setSocket(s));
    return () => {
      clearTimeout(retry);
      s.close();
      if (tabSocket?.socket === s) tabSocket = null;
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
