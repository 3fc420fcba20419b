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
  const connect = async (reconnected: boolean): Promise<void> => {
    const c = new pg.Client({ connectionString: opts.databaseUrl });
    c.on('error', (err) => opts.log.warn(`${opts.channel} listener error`, { err }));
    c.on('end', () => {
      if (closed) return;
      client = null;
      timer = setTimeout(() => void connect(true).catch((err) => opts.log.warn(`${opts.channel} listener reconnect failed`, { err })), 1000);
    });
    c.on('notification', (n) => {
      if (n.channel === opts.channel && n.payload) opts.onMessage(n.payload);
    });
    await c.connect();
    await c.query(`listen ${opts.channel}`);
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
