/**
 * A TCP proxy in front of PostgreSQL for the fault tests. `blackhole()` makes the database
 * unreachable the way a network partition does: connections stay open (or are accepted) but no
 * byte passes in either direction, so nothing fails fast; `restore()` lets traffic flow again.
 * Also in front of web servers: `retarget()` sends new connections to another one (a load
 * balancer moving clients to a surviving server).
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  url(databaseUrl: string): string;
  blackhole(): void;
  restore(): void;
  /** New connections go to this target from now on (open ones stay where they are). */
  retarget(target: { host: string; port: number }): void;
  close(): Promise<void>;
}

export async function startTcpProxy(initial: { host: string; port: number }): Promise<TcpProxy> {
  let target = initial;
  let holding = false;
  const pairs = new Set<{ a: net.Socket; b: net.Socket; flowing: boolean }>();
  const flow = (pair: { a: net.Socket; b: net.Socket; flowing: boolean }, on: boolean) => {
    if (pair.flowing === on) return;
    pair.flowing = on;
    if (on) {
      pair.a.pipe(pair.b);
      pair.b.pipe(pair.a);
    } else {
      // unpiped and paused: nothing is read, so nothing is sent on, in either direction
      pair.a.unpipe(pair.b);
      pair.b.unpipe(pair.a);
      pair.a.pause();
      pair.b.pause();
    }
  };
  const server = net.createServer((a) => {
    const b = net.connect(target.port, target.host);
    const pair = { a, b, flowing: false };
    pairs.add(pair);
    const end = () => {
      a.destroy();
      b.destroy();
      pairs.delete(pair);
    };
    a.on('error', end).on('close', end);
    b.on('error', end).on('close', end);
    if (!holding) flow(pair, true);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const pauseAll = (pause: boolean) => {
    for (const pair of pairs) flow(pair, !pause);
  };
  return {
    port,
    url(databaseUrl) {
      const u = new URL(databaseUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    blackhole() {
      holding = true;
      pauseAll(true);
    },
    restore() {
      holding = false;
      pauseAll(false);
    },
    retarget(next) {
      target = next;
    },
    async close() {
      for (const { a, b } of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
