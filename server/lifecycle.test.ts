import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import { loadConfig } from './config.js';
import { startServer } from './index.js';
import { connectSocket, createTestDatabase, eventually, signUp, startTestServer, trpcClient, waitForEvent } from './testing/harness.js';

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

describe('lifecycle', () => {
  it('starts an embedded PostgreSQL when DATABASE_URL is unset, and stops everything on shutdown', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-embedded-'));
    fs.chmodSync(dataDir, 0o755);
    try {
      const config = loadConfig({ LOG_LEVEL: 'silent', HOST: '127.0.0.1', EMBEDDED_PG_PORT: '0' }, { port: 0, dataDir, storageDir: path.join(dataDir, 'storage') });
      const running = await startServer(config, { ui: false });
      expect(fs.existsSync(path.join(dataDir, 'pg', 'PG_VERSION'))).toBe(true);
      const pgPort = Number(new URL(running.databaseUrl).port);
      expect(await canConnect(pgPort)).toBe(true);
      const ready = await fetch(`${running.url}/readyz`);
      expect(await ready.json()).toMatchObject({ ok: true });
      const tables = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_name in ('generation', 'asset', 'workspace', 'user')`.execute(running.deps.db);
      expect(tables.rows[0]!.n).toBe(4);
      const httpPort = Number(new URL(running.url).port);
      await running.shutdown();
      await running.shutdown(); // safe twice
      expect(await canConnect(httpPort)).toBe(false);
      expect(await canConnect(pgPort)).toBe(false);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('runs jobs in a separate worker process (npm run worker) and the browser socket still hears about them', async () => {
    const databaseUrl = await createTestDatabase(inject('pgAdminUrl'));
    const web = await startTestServer(inject('pgAdminUrl'), { databaseUrl, env: { RUN_WORKER: 'false' } });
    let worker: ChildProcess | undefined;
    try {
      const user = await signUp(web);
      const socket = await connectSocket(web, user);
      const gen = await trpcClient(web, user).generation.create.mutate({ prompt: 'made by another process' });
      // No worker in the web process: it stays queued.
      await new Promise((r) => setTimeout(r, 300));
      expect((await trpcClient(web, user).generation.get.query({ id: gen.id })).status).toBe('queued');

      const child = spawn(process.execPath, ['--import', 'tsx', 'jobs/worker-main.ts'], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databaseUrl, DATA_DIR: web.dataDir, LOG_LEVEL: 'warn', LOCAL_PROVIDER_STEP_MS: '5' } as unknown as NodeJS.ProcessEnv,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      worker = child;
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += String(d)));
      const done = await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded', 30_000).catch((err) => {
        throw new Error(`${err}\nworker stderr:\n${stderr}`);
      });
      expect(done.assetIds).toHaveLength(1);
      // The file the worker wrote is served by the web process.
      const file = await fetch(`${web.url}/files/${done.assetIds![0]}`, { headers: { cookie: user.cookie } });
      expect(file.status).toBe(200);
      socket.close();

      // SIGTERM stops the worker cleanly.
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (worker && worker.exitCode === null) worker.kill('SIGKILL');
      await web.stop();
    }
  }, 60_000);

  it('enqueues in the same transaction as the row: a rolled-back transaction leaves neither', async () => {
    const server = await startTestServer(inject('pgAdminUrl'), { env: { RUN_WORKER: 'false' } });
    try {
      const count = async () =>
        (await sql<{ n: number }>`select count(*)::int as n from pgboss.job where name = 'generation'`.execute(server.deps.db)).rows[0]!.n;
      const before = await count();
      await server.deps.db
        .transaction()
        .execute(async (trx) => {
          await server.deps.jobs.send('generation', { generationId: '00000000-0000-4000-8000-000000000000' }, { trx });
          throw new Error('rollback');
        })
        .catch(() => {});
      expect(await count()).toBe(before);

      // And a failing enqueue rolls back the generation row.
      const user = await signUp(server);
      const failing = { ...server.deps, jobs: { send: async () => Promise.reject(new Error('queue down')) } };
      const { createGeneration } = await import('./services/generations.js');
      await expect(createGeneration(failing, { userId: user.id }, { prompt: 'no job, no row' })).rejects.toThrow('queue down');
      const rows = await server.deps.db.selectFrom('generation').select('id').where('user_id', '=', user.id).execute();
      expect(rows).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('a job finishing during shutdown completes before the process stops', async () => {
    const server = await startTestServer(inject('pgAdminUrl'), { env: { LOCAL_PROVIDER_STEP_MS: '100' } });
    const user = await signUp(server);
    const socket = await connectSocket(server, user);
    const gen = await trpcClient(server, user).generation.create.mutate({ prompt: 'finish me' });
    await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'running');
    const db = server.deps.db;
    const dbUrl = server.databaseUrl;
    await server.stop();
    // The row reached its end state; it was not left running.
    const { createDb, createPool } = await import('../db/index.js');
    const check = createDb(createPool(dbUrl, 1));
    try {
      const row = await eventually(() => check.selectFrom('generation').select('status').where('id', '=', gen.id).executeTakeFirst());
      expect(row.status).toBe('succeeded');
    } finally {
      await check.destroy();
    }
    void db;
  });
});
