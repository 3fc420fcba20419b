import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { verifyPassword } from 'better-auth/crypto';
import pg from 'pg';
import superjson from 'superjson';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { io as ioClient, type Socket } from 'socket.io-client';
import { freePort } from '../../db/embedded.js';
import { loadConfig, type Config } from '../config.js';
import { startServer, type Running, type StartOptions } from '../index.js';
import type { PasswordHasher } from '../auth/index.js';
import { MIGRATED_TEMPLATE } from './template.js';
import type { AppRouter } from '../trpc/router.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../shared/realtime.js';

/**
 * Creates a fresh database on the run's embedded PostgreSQL and returns its URL: empty, or with
 * `migrated`, a copy of the run's migrated template (global-setup.ts) when that cluster has one
 * (another cluster, such as a test's own PostgreSQL, gives an empty one; the server migrates it).
 */
export async function createTestDatabase(adminUrl: string, opts: { migrated?: boolean } = {}): Promise<string> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    if (opts.migrated) {
      const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [MIGRATED_TEMPLATE]);
      if (rowCount) await client.query(`create database ${name} template ${MIGRATED_TEMPLATE}`);
      else await client.query(`create database ${name}`);
    } else {
      await client.query(`create database ${name}`);
    }
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, opts: { N: number; r: number; p: number }) => Promise<Buffer>;
const TEST_HASH = 'test-scrypt';
const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

/**
 * A real salted scrypt, at a small cost: better-auth's own (N=16384, r=16) takes about a quarter
 * of a second of CPU per hash, and every signUp() hashes once and verifies once; over the suite's
 * few hundred test users that was minutes of CPU. The sign-up and sign-in endpoints, their hooks
 * and the password policy are the same; a wrong password is still refused. Hashes made by
 * better-auth's own hasher (a server started with `passwords: 'real'` on the same database) still verify.
 * server/auth/accounts.test.ts keeps the real hasher: its timing tests compare hashing paths.
 */
export const testPasswordHasher: PasswordHasher = {
  async hash(password) {
    const salt = randomBytes(16);
    const key = await scryptAsync(password.normalize('NFKC'), salt, 32, TEST_SCRYPT);
    return `${TEST_HASH}:${salt.toString('hex')}:${key.toString('hex')}`;
  },
  async verify({ hash, password }) {
    const [kind, salt, key] = hash.split(':');
    if (kind !== TEST_HASH) return verifyPassword({ hash, password });
    const expected = Buffer.from(key ?? '', 'hex');
    const actual = await scryptAsync(password.normalize('NFKC'), Buffer.from(salt ?? '', 'hex'), 32, TEST_SCRYPT);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  },
};

export interface TestServer extends Running {
  dataDir: string;
  stop(): Promise<void>;
}

export async function startTestServer(
  adminUrl: string,
  opts: {
    config?: Partial<Config>;
    env?: Record<string, string>;
    start?: StartOptions;
    databaseUrl?: string;
    dataDir?: string;
    /** 'real': better-auth's own password hashing, for tests of it (default: testPasswordHasher). */
    passwords?: 'test' | 'real';
  } = {},
): Promise<TestServer> {
  const databaseUrl = opts.databaseUrl ?? (await createTestDatabase(adminUrl, { migrated: true }));
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-test-'));
  const port = await freePort();
  const config = loadConfig(
    { LOG_LEVEL: 'silent', LOCAL_PROVIDER_STEP_MS: '5', HOST: '127.0.0.1', AUTH_RATE_LIMIT: 'false', ...opts.env },
    { port, dataDir, storageDir: path.join(dataDir, 'storage'), databaseUrl, authSecret: 'test-secret-test-secret-test-secret-000', ...opts.config },
  );
  const running = await startServer(config, { ui: false, ...(opts.passwords === 'real' ? {} : { passwordHasher: testPasswordHasher }), ...opts.start });
  // The image classifier's model loads in the background when the worker starts; a test server
  // waits for it here, so that no test's first generation pays the load inside its own time budget.
  if (config.runWorker) await running.deps.moderation.classifier.warm();
  return {
    ...running,
    dataDir,
    async stop() {
      await running.shutdown();
    },
  };
}

export interface TestUser {
  id: string;
  email: string;
  cookie: string;
}

/** Signs a user up through better-auth's real HTTP endpoint and returns the session cookie. */
export async function signUp(server: { url: string; config: Config }, name = 'Test User'): Promise<TestUser> {
  const email = `u-${randomBytes(5).toString('hex')}@example.test`;
  const res = await fetch(`${server.url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.config.baseUrl },
    body: JSON.stringify({ email, password: 'correct horse battery', name }),
  });
  if (!res.ok) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  // Sign-up does not sign in (so it cannot reveal whether an address exists); the form signs in next.
  const signIn = await fetch(`${server.url}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.config.baseUrl },
    body: JSON.stringify({ email, password: 'correct horse battery' }),
  });
  if (!signIn.ok) throw new Error(`sign-in after sign-up failed: ${signIn.status} ${await signIn.text()}`);
  const body = (await signIn.json()) as { user: { id: string } };
  const cookie = signIn.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { id: body.user.id, email, cookie };
}

/** A real tRPC client over HTTP, as the browser uses it. */
export function trpcClient(server: { url: string; config: Config }, user?: TestUser, origin: string | null = server.config.baseUrl) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${server.url}/trpc`,
        transformer: superjson,
        headers: () => ({ ...(user ? { cookie: user.cookie } : {}), ...(origin ? { origin } : {}) }),
      }),
    ],
  });
}

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A real Socket.io client; resolves once connected, rejects with the server's refusal. */
export function connectSocket(server: { url: string; config: Config }, user?: TestUser, origin: string = server.config.baseUrl): Promise<TestSocket> {
  const socket: TestSocket = ioClient(server.url, {
    path: '/socket.io',
    transports: ['websocket'],
    reconnection: false,
    extraHeaders: { ...(user ? { cookie: user.cookie } : {}), origin },
  });
  // Every event is recorded from the start, so a wait that begins after the event still sees it.
  const history: { event: string; args: unknown[] }[] = [];
  socket.onAny((event: string, ...args: unknown[]) => history.push({ event, args }));
  (socket as TestSocket & { history?: typeof history }).history = history;
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Waits for the first event matching `pred` (including ones already received), with a deadline. */
export function waitForEvent<E extends keyof ServerToClientEvents>(
  socket: TestSocket,
  event: E,
  pred: (...args: Parameters<ServerToClientEvents[E]>) => boolean,
  timeoutMs = 10_000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  const past = (socket as TestSocket & { history?: { event: string; args: unknown[] }[] }).history ?? [];
  const seen = past.find((h) => h.event === event && pred(...(h.args as Parameters<ServerToClientEvents[E]>)));
  if (seen) return Promise.resolve(seen.args[0] as Parameters<ServerToClientEvents[E]>[0]);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler as never);
      reject(new Error(`timed out waiting for ${String(event)}`));
    }, timeoutMs);
    const handler = (...args: Parameters<ServerToClientEvents[E]>) => {
      if (!pred(...args)) return;
      clearTimeout(timer);
      socket.off(event, handler as never);
      resolve(args[0]);
    };
    socket.on(event, handler as never);
  });
}

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`condition not met in ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

export function trpcErrorCode(err: unknown): { httpStatus?: number; appCode?: string; message?: string } {
  if (err instanceof TRPCClientError) {
    const data = err.data as { httpStatus?: number; appCode?: string } | undefined;
    return { httpStatus: data?.httpStatus, appCode: data?.appCode, message: err.message };
  }
  throw err;
}
