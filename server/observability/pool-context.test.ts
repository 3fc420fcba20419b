import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../log.js';
import { eventually, signUp, startTestServer, type TestServer } from '../testing/harness.js';

type Line = Record<string, unknown> & { msg: string };

describe('the database pool’s own events', () => {
  let server: TestServer;
  const lines: Line[] = [];

  beforeAll(async () => {
    const log = createLogger('warn', {}, (line) => lines.push(JSON.parse(line) as Line));
    server = await startTestServer(inject('pgAdminUrl'), { start: { log } });
  });
  afterAll(() => server?.stop());

  it('logs a lost idle connection with no request id, although a request opened that connection', async () => {
    // Several requests at once make the pool open connections while serving them, so each of those
    // sockets carries a request's async context.
    await Promise.all(Array.from({ length: 6 }, () => signUp(server)));
    const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
    const dbName = new URL(server.config.databaseUrl!).pathname.slice(1);
    await admin.connect();
    try {
      const { rows } = await admin.query<{ n: number }>(
        `select count(*)::int as n from (select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and state = 'idle') t`,
        [dbName],
      );
      expect(rows[0]!.n).toBeGreaterThan(1);
    } finally {
      await admin.end();
    }
    const lost = await eventually(async () => {
      const found = lines.filter((l) => l.msg === 'idle database connection lost');
      return found.length > 1 ? found : undefined;
    });
    for (const line of lost) {
      expect(line).not.toHaveProperty('requestId');
      expect(line).not.toHaveProperty('traceId');
      expect(line).toMatchObject({ level: 'warn', err: { message: expect.stringMatching(/terminat/i) } });
    }
  });
});
