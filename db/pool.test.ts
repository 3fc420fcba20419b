/**
 * The pool's two deadlines are different things: opening a connection to a database that does not
 * answer fails within DB_CONNECT_TIMEOUT_MS, but a request that only waits for a free connection
 * (a burst: every client of a crashed web process reconnecting to this one) waits up to the
 * statement timeout instead of failing at the connect timeout.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool } from './index.js';
import { startTcpProxy, type TcpProxy } from '../server/testing/tcp-proxy.js';

let proxy: TcpProxy;
beforeAll(async () => {
  const u = new URL(inject('pgAdminUrl'));
  proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(u.port) });
});
afterAll(async () => {
  await proxy?.close();
});

describe('database pool deadlines', () => {
  it('a request waiting for a free connection waits past the connect timeout, up to the statement timeout', async () => {
    const pool = createPool(inject('pgAdminUrl'), 1, () => {}, { connectTimeoutMs: 300, statementTimeoutMs: 5_000 });
    try {
      const held = await pool.connect();
      const t0 = Date.now();
      const waiting = pool.query<{ n: number }>('select 1 as n');
      setTimeout(() => held.release(), 1_000);
      const { rows } = await waiting;
      expect(rows).toEqual([{ n: 1 }]);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    } finally {
      await pool.end();
    }
  });

  it('still gives up on waiting at the statement timeout', async () => {
    const pool = createPool(inject('pgAdminUrl'), 1, () => {}, { connectTimeoutMs: 300, statementTimeoutMs: 1_000 });
    const held = await pool.connect();
    try {
      const t0 = Date.now();
      await expect(pool.query('select 1')).rejects.toThrow(/timeout/);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      expect(Date.now() - t0).toBeLessThan(3_000);
    } finally {
      held.release();
      await pool.end();
    }
  });

  it('opening a connection to a database that does not answer fails within the connect timeout', async () => {
    proxy.blackhole();
    const pool = createPool(proxy.url(inject('pgAdminUrl')), 2, () => {}, { connectTimeoutMs: 500, statementTimeoutMs: 10_000 });
    try {
      const t0 = Date.now();
      await expect(pool.query('select 1')).rejects.toThrow(/timeout/);
      expect(Date.now() - t0).toBeLessThan(2_500);
    } finally {
      proxy.restore();
      await pool.end();
    }
  });
});

describe('database sessions', () => {
  it('run without parallel workers (short interactive queries), unless the connection string sets options itself', async () => {
    const show = async (url: string) => {
      const pool = createPool(url, 1);
      try {
        return (await pool.query<{ max_parallel_workers_per_gather: string }>('show max_parallel_workers_per_gather')).rows[0]!.max_parallel_workers_per_gather;
      } finally {
        await pool.end();
      }
    };
    expect(await show(inject('pgAdminUrl'))).toBe('0');
    const url = new URL(inject('pgAdminUrl'));
    url.searchParams.set('options', '-c max_parallel_workers_per_gather=1');
    expect(await show(url.toString())).toBe('1');
  });
});
