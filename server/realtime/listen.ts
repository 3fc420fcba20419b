/**
 * A Postgres LISTEN connection that comes back: on a lost connection it reconnects after a second
 * and calls `onConnected` again (anything announced meanwhile was missed, so the caller re-reads).
 */
import pg from 'pg';
import type { Logger } from '../log.js';

export interface Listener {
  close(): Promise<void>;
}

export async function listenChannel(opts: {
  databaseUrl: string;
  channel: string;
  log: Logger;
  onMessage: (payload: string) => void;
  /** after every (re)connection, once listening */
  onConnected?: (reconnected: boolean) => void;
}): Promise<Listener> {
  let client: pg.Client | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  /** Tries again after `delayMs` (doubling up to 10 s) until connected or closed: an outage may last. */
  const retry = (delayMs: number) => {
    if (closed) return;
    timer = setTimeout(() => {
      connect(true).catch((err) => {
        opts.log.warn(`${opts.channel} listener reconnect failed`, { err });
        retry(Math.min(delayMs * 2, 10_000));
      });
    }, delayMs);
  };
  const connect = async (reconnected: boolean): Promise<void> => {
    const c = new pg.Client({ connectionString: opts.databaseUrl });
    let up = false;
    c.on('error', (err) => opts.log.warn(`${opts.channel} listener error`, { err }));
    c.on('end', () => {
      if (closed || !up) return; // a failed attempt is retried by its caller
      client = null;
      retry(1000);
    });
    c.on('notification', (n) => {
      if (n.channel === opts.channel && n.payload) opts.onMessage(n.payload);
    });
    try {
      await c.connect();
      await c.query(`listen ${opts.channel}`);
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    up = true;
    if (closed) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    opts.onConnected?.(reconnected);
  };
  await connect(false);
  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}
