import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import express from 'express';
import { createRequestHandler } from '@remix-run/express';
import type { ServerBuild } from '@remix-run/node';
import { toNodeHandler } from 'better-auth/node';
import { sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { createDb, createPool, waitForDatabase, type Database } from '../db/index.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embedded.js';
import { migrateToLatest, migrationsApplied } from '../db/migrate.js';
import { createBoss, createQueues, jobSender, startWorkers, type QueueOptionOverrides } from '../jobs/boss.js';
import { createAuth, type Auth, type PasswordHasher } from './auth/index.js';
import { createSocketSessions } from './auth/socket-session.js';
import type { Config } from './config.js';
import { compressResponses, precompressedStatic } from './http/compression.js';
import { archiveRoute, exportDownloadRoute, fileRoute, reviewFileRoute, uploadRoute } from './http/files.js';
import { stripeWebhookRoute } from './http/stripe-webhook.js';
import { apiV1Router } from './http/api-v1/index.js';
import { consentRoutes } from './http/consent.js';
import { usageLog } from './http/usage-log.js';
import { createStripe } from './services/billing.js';
import { clientIp, requireTrustedOrigin, securityHeaders, signInThrottle } from './http/security.js';
import { createLogger, type Logger } from './log.js';
import { createMailer, outboxAccess } from './mail/index.js';
import { createProviderRegistry } from './providers/index.js';
import { publicProviderHealth } from './services/provider-health.js';
import { loadSigningCredentials } from './provenance/index.js';
import type { ModelProvider } from './providers/types.js';
import { createRealtime, ioNotifier, postgresNotifier, type IO } from './realtime/index.js';
import { createBoardSync, type BoardSync } from './boards/index.js';
import { createSessionGuard } from './realtime/sessions.js';
import { boardGenerationHook, boardsApi } from './services/boards.js';
import { boardFeedHook } from './boards/feed.js';
import { jobNotificationHook } from './services/notifications.js';
import { webhookHook } from './services/webhooks.js';
import { createNsfwClassifier } from './services/moderation/index.js';
import type { Deps, Hooks } from './services/deps.js';
import { createDiskStorage } from './storage/index.js';
import { publicConfig } from './public-config.js';
import { createContext } from './trpc/init.js';
import { trpcEndpoint } from './trpc/http.js';
import { detachedFromWork } from './observability/context.js';
import { observeRequests } from './observability/http.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { metricsRoute, startMetricsServer } from './observability/metrics-route.js';
import { remixRouteMatcher, ROUTE_LOCAL } from './observability/routes.js';
import { databaseSpans } from './observability/spans.js';
import { startTracing } from './observability/tracing.js';
import { sendError } from './http/errors.js';
import { sharedFileRoute, shareHeaders } from './http/share.js';
import { createShareLimits, resolveShareLink, takeShareJoin } from './services/share-links.js';
import { AppError } from './shared/errors.js';
import { appRouter, createCaller } from './trpc/router.js';

export interface StartOptions {
  /** Serve the Remix UI from build/ (default true). Tests of the API alone turn it off. */
  ui?: boolean;
  /** Extra model providers (tests register fakes of outside services here). */
  providers?: ModelProvider[];
  log?: Logger;
  /** Retry options per queue name that replace the queues' own (tests make failures reach the dead letter fast). */
  queueOptions?: QueueOptionOverrides;
  /** How long a board with nobody on it stays in memory (ms; default 30 s). The benchmark shortens it. */
  boardIdleUnloadMs?: number;
  /** How long a board client's presence lasts unless renewed (ms; default 30 s). Tests shorten it. */
  boardPresenceTimeoutMs?: number;
  /** The providers' circuit breakers' clock (default Date.now). Tests move it past a cool-down instead of waiting it out. */
  breakerNow?: () => number;
  /**
   * Replaces better-auth's password hashing (scrypt, about a quarter of a second of CPU per sign-up
   * and per sign-in). The test harness passes a cheaper one; the sign-up and sign-in code paths stay the same.
   */
  passwordHasher?: PasswordHasher;
}

export interface Running {
  url: string;
  config: Config;
  deps: Deps;
  auth: Auth;
  io: IO;
  boss: PgBoss;
  databaseUrl: string;
  /** Live boards of this process (server/boards/index.ts). */
  boardSync: BoardSync;
  metrics: Metrics;
  /** Where the metrics are served on their own port (METRICS_PORT), if they are. */
  metricsUrl: string | undefined;
  shutdown(): Promise<void>;
}

/** /readyz answers within this, whatever the database does. */
const READY_TIMEOUT_MS = 1500;
const poolTimeouts = (config: Config) => ({ connectTimeoutMs: config.db.connectTimeoutMs, statementTimeoutMs: config.db.statementTimeoutMs });
const bossOptions = (config: Config) => ({ superviseSeconds: config.jobs.superviseSeconds, connectTimeoutMs: config.db.connectTimeoutMs, poolWaitMs: config.db.statementTimeoutMs });

/** A stack of shutdown steps, run in reverse order of start, each at most once. */
function lifecycle(log: Logger) {
  const steps: { name: string; fn: () => Promise<unknown> | unknown }[] = [];
  let closing: Promise<void> | null = null;
  return {
    add(name: string, fn: () => Promise<unknown> | unknown) {
      steps.push({ name, fn });
    },
    close(): Promise<void> {
      closing ??= (async () => {
        for (const step of steps.reverse()) {
          try {
            await step.fn();
            log.debug(`stopped ${step.name}`);
          } catch (err) {
            log.error(`stopping ${step.name} failed`, { err });
          }
        }
      })();
      return closing;
    },
  };
}

/** Metrics and traces of one process: traces stop last (their last spans are sent), the metrics port first. */
async function startObservability(config: Config, log: Logger, life: ReturnType<typeof lifecycle>, role: 'web' | 'worker') {
  const tracing = await startTracing(config.tracing, log);
  if (tracing) life.add('traces (send the last spans)', () => tracing.shutdown());
  const metrics = createMetrics({ enabled: config.metrics.enabled, role });
  let metricsUrl: string | undefined;
  if (config.metrics.enabled && config.metrics.port !== undefined) {
    const server = await startMetricsServer(metrics, { ...config.metrics, port: config.metrics.port }, log);
    life.add('metrics port', () => server.close());
    metricsUrl = server.url;
  }
  return { metrics, metricsUrl, tracing: tracing !== null };
}

/** Cross-area hooks, registered in one place so web and worker processes behave alike. */
function createHooks(): Hooks {
  // Boards: a generation started on a board lands on it; notifications: job finished/failed.
  return { generationChanged: [boardFeedHook, boardGenerationHook, jobNotificationHook, webhookHook] };
}

/** The embedded database, or the configured one. Records the embedded URL so `npm run worker` can find it. */
async function openDatabase(config: Config, log: Logger): Promise<{ url: string; embedded: EmbeddedDatabase | null }> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: null };
  const started = Date.now();
  const embedded = await startEmbeddedPostgres({
    dir: path.join(config.dataDir, 'pg'),
    port: config.embeddedPgPort,
    log: (m) => log.debug(`postgres: ${m.trim()}`),
  });
  fs.writeFileSync(path.join(config.dataDir, 'embedded-db-url'), embedded.url, { mode: 0o600 });
  log.info('embedded PostgreSQL started', { ms: Date.now() - started, dir: path.join(config.dataDir, 'pg') });
  return { url: embedded.url, embedded };
}

/** The database URL a separate worker should use: the configured one, or the running embedded server's. */
export function workerDatabaseUrl(config: Config): string {
  if (config.databaseUrl) return config.databaseUrl;
  const file = path.join(config.dataDir, 'embedded-db-url');
  if (!fs.existsSync(file)) throw new Error('No DATABASE_URL set and no embedded database running: start the server first (npm start).');
  return fs.readFileSync(file, 'utf8').trim();
}

async function loadRemixBuild(): Promise<ServerBuild | null> {
  const file = path.resolve('build/index.js');
  if (!fs.existsSync(file)) return null;
  return (await import(pathToFileURL(file).href)) as ServerBuild;
}

/** The pool's own events belong to no request, whichever request opened the connection (ADR 0014). */
const poolLost = (log: Logger) => detachedFromWork((err: Error) => log.warn('idle database connection lost', { err }));

/** The composition root: builds every part, starts them in order, and stops them in reverse. */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<Running> {
  const log = opts.log ?? createLogger(config.logLevel);
  const life = lifecycle(log);
  try {
    const { metrics, metricsUrl, tracing } = await startObservability(config, log, life, 'web');
    fs.mkdirSync(config.dataDir, { recursive: true });
    // Before anything starts: a signing key that does not work stops the boot with a message.
    const contentCredentials = await loadSigningCredentials(config, log);
    const database = await openDatabase(config, log);
    if (database.embedded) life.add('embedded postgres', () => database.embedded!.stop());

    const pool = createPool(database.url, 20, poolLost(log), poolTimeouts(config));
    const db: Database = createDb(pool, tracing ? { log: databaseSpans } : {});
    life.add('database pool', () => db.destroy());
    await waitForDatabase(pool, { retrySeconds: config.db.startupRetrySeconds, log });
    await migrateToLatest(db);

    const mailer = createMailer(config, log);
    const auth = createAuth({ config, db, log, mailer, passwordHasher: opts.passwordHasher });
    const app = express();
    app.disable('x-powered-by');
    app.set('trust proxy', config.trustProxy); // TRUST_PROXY: whose X-Forwarded-For names the client
    const httpServer = http.createServer(app);
    const shareLimits = createShareLimits(config.boards);
    const openShareLink = async (token: unknown) => {
      const grant = await resolveShareLink(db, token);
      takeShareJoin({ shareLimits }, grant.linkId);
      return grant;
    };
    const io = createRealtime({ httpServer, pool, trustedOrigins: config.trustedOrigins, log, socketsPerUser: config.socketsPerUser, socketSession: createSocketSessions(auth, db), openShareLink });
    life.add('socket.io', () => new Promise<void>((r) => io.close(() => r())));
    const sessionGuard = await createSessionGuard({ io, db, databaseUrl: database.url, log });
    life.add('session guard (sockets end with their session)', () => sessionGuard.close());
    const boardSync = await createBoardSync({ io, db, pool, databaseUrl: database.url, limits: config.boards, log, metrics, idleUnloadMs: opts.boardIdleUnloadMs, presenceTimeoutMs: opts.boardPresenceTimeoutMs, shareLimits });
    io.on('connection', (socket) => boardSync.attach(socket));
    // Stopped before Socket.io closes and after jobs finished (steps run in reverse): live boards are compacted.
    life.add('board sync (compact live boards)', () => boardSync.close());

    // Stopped before Socket.io, so that jobs finishing during shutdown can still announce it.
    const boss = createBoss(database.url, log, bossOptions(config));
    await boss.start();
    let bossRunning = true;
    life.add('pg-boss (waits for running jobs)', async () => {
      bossRunning = false;
      await boss.stop({ graceful: true, timeout: 20_000 });
    });
    await createQueues(boss, { heartbeatSeconds: config.jobs.heartbeatSeconds, overrides: opts.queueOptions });

    const deps: Deps = {
      config,
      db,
      storage: createDiskStorage(config.storageDir),
      providers: createProviderRegistry(config, opts.providers, { now: opts.breakerNow }),
      jobs: jobSender(boss),
      notifier: ioNotifier(io),
      mailer,
      hooks: createHooks(),
      boards: boardsApi,
      contentCredentials,
      moderation: { classifier: createNsfwClassifier({ log }) },
      stripe: createStripe(config),
      log,
      metrics,
      shareLimits,
    };
    metrics.watch({ pool, sockets: () => io.engine.clientsCount, liveBoards: () => boardSync.liveBoards(), boss });

    let migrated = false;
    // First: the request id, its work context (log lines, jobs), the server span and the metrics.
    app.use(observeRequests({ metrics, log, tracing }));
    app.use(securityHeaders({ https: config.baseUrl.startsWith('https://'), baseUrl: config.baseUrl }));
    app.use(clientIp());
    // HTML, JS, CSS and JSON go out compressed (brotli or gzip); media never (server/http/compression.ts).
    app.use(compressResponses());
    if (config.metrics.enabled && config.metrics.port === undefined) app.get('/metrics', metricsRoute(metrics, config.metrics, log));
    app.get('/healthz', (_req, res) => void res.json({ ok: true }));
    app.get('/readyz', async (_req, res) => {
      const checks = { database: false, migrations: migrated, jobs: bossRunning };
      // A real query with a deadline: a database that is down, or that stopped answering, is
      // reported within READY_TIMEOUT_MS, never by a request that hangs.
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          (async () => {
            await sql`select 1`.execute(db);
            checks.database = true;
            if (!migrated) checks.migrations = migrated = await migrationsApplied(db);
          })(),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('readiness check timed out')), READY_TIMEOUT_MS))),
        ]);
      } catch {
        checks.database = false;
      } finally {
        clearTimeout(timer);
      }
      const ok = Object.values(checks).every(Boolean);
      // Model providers are reported, not required: a provider that is down makes jobs move along
      // their pool (or wait), it does not make this process unready.
      res.status(ok ? 200 : 503).json({ ok, checks, providers: publicProviderHealth(deps) });
    });

    for (const prefix of ['/trpc', '/api', '/files', '/uploads', '/exports']) app.use(prefix, usageLog(deps));
    // Every state-changing request, whoever handles it (better-auth, tRPC, uploads, consent, Remix
    // actions), passes one Origin check. Not the Stripe webhook: Stripe sends no Origin and the
    // request is authenticated by its signature over the raw body (server/services/billing.ts).
    app.use(requireTrustedOrigin(config.trustedOrigins, { exempt: ['/api/stripe/webhook'] }));
    app.post('/api/auth/sign-in/email', express.json({ limit: '16kb' }), signInThrottle());
    app.all('/api/auth/*', toNodeHandler(auth));
    app.post('/api/stripe/webhook', ...stripeWebhookRoute(deps));
    app.use(
      '/trpc',
      (_req: express.Request, res: express.Response, next: express.NextFunction) => {
        res.locals[ROUTE_LOCAL] = '/trpc/:procedure'; // procedures are counted by name in trpc_requests_total
        next();
      },
      trpcEndpoint(appRouter, deps, auth, log),
    );
    app.use('/api/v1', apiV1Router(deps)); // the public API: API keys only, never the session cookie
    app.use('/api', consentRoutes(deps, auth));
    app.get('/files/archive', archiveRoute(deps, auth));
    app.get('/files/review/:id', reviewFileRoute(deps, auth));
    app.get('/exports/:id/download', exportDownloadRoute(deps, auth));
    app.get('/files/:id', fileRoute(deps, auth));
    app.post('/uploads', ...uploadRoute(deps, auth));
    // Share links (issue 17): the page is a Remix route below; images only through the link.
    app.use('/s', shareHeaders());
    app.get('/s/:token/files/:assetId', sharedFileRoute(deps));

    if (opts.ui !== false) {
      const build = await loadRemixBuild();
      // Remix fingerprints every file under /build: compressed once at boot, cached a year.
      app.use('/build', precompressedStatic('public/build', log), express.static('public/build', { immutable: true, maxAge: '1y' }));
      app.use(express.static('public', { maxAge: '1h' }));
      if (build) {
        const remixRoute = remixRouteMatcher(build.routes);
        app.all(
          '*',
          (req, res, next) => {
            res.locals[ROUTE_LOCAL] = remixRoute(req.path);
            next();
          },
          createRequestHandler({
            build,
            mode: config.env === 'production' ? 'production' : 'development',
            getLoadContext: (req, res) => ({
              cspNonce: res.locals.cspNonce as string,
              requestId: res.locals.requestId as string,
              logError: (err: unknown, what: string) => log.error(what, { err }),
              trpc: async () => createCaller(await createContext(deps, auth, req, undefined, req.socket.remoteAddress)),
              auth,
              publicConfig: publicConfig(config),
            }),
          }),
        );
      } else {
        app.all('*', (_req, res) => void res.status(503).type('text').send('The UI is not built yet: run `npm run build`.'));
      }
    }
    // Whatever a route let escape: the same answer as every other error (with the request id), logged.
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      // A body parser's refusal (a 4xx http-error: too large, not JSON) is the client's mistake, not ours.
      const status = (err as { status?: unknown } | null)?.status;
      if (typeof status === 'number' && status >= 400 && status < 500) return sendError(res, new AppError(status === 413 ? 'PAYLOAD_TOO_LARGE' : 'INVALID_INPUT'));
      sendError(res, err, { log, what: 'request' });
    });

    if (config.runWorker) {
      await startWorkers(boss, deps, { concurrency: config.workerConcurrency });
      void deps.moderation.classifier.warm(); // the image classifier, loaded in the background before the first job needs it
    }

    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => resolve());
    });
    const address = httpServer.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    // Shutdown runs in reverse: stop taking HTTP requests, let running jobs finish (pg-boss),
    // close sockets, the pool, then embedded PostgreSQL.
    life.add('http server (stop accepting)', () => {
      httpServer.close();
      httpServer.closeIdleConnections();
    });
    const url = `http://localhost:${port}`;
    log.info('Flux Klein is ready', { url: config.baseUrl, port, embeddedDatabase: Boolean(database.embedded), worker: config.runWorker });
    if (outboxAccess(config) === 'loopback') log.info('No SMTP_URL: mail is not sent. Its links are written to this log, and shown at /dev/outbox to this machine only', { outbox: `${config.baseUrl}/dev/outbox` });
    return { url, config, deps, auth, io, boss, boardSync, metrics, metricsUrl, databaseUrl: database.url, shutdown: () => life.close() };
  } catch (err) {
    await life.close();
    throw err;
  }
}

/** A worker process: pg-boss workers only, emitting to sockets through Postgres. */
export async function startWorker(config: Config, opts: { log?: Logger; providers?: ModelProvider[] } = {}) {
  const log = opts.log ?? createLogger(config.logLevel, { role: 'worker' });
  const life = lifecycle(log);
  try {
    const { metrics, metricsUrl, tracing } = await startObservability(config, log, life, 'worker');
    if (config.metrics.enabled && metricsUrl === undefined) log.warn('METRICS_TOKEN alone does not expose a worker\'s metrics (it has no HTTP server): set METRICS_PORT for workers');
    const contentCredentials = await loadSigningCredentials(config, log);
    const url = workerDatabaseUrl(config);
    const pool = createPool(url, 10, poolLost(log), poolTimeouts(config));
    const db = createDb(pool, tracing ? { log: databaseSpans } : {});
    life.add('database pool', () => db.destroy());
    await waitForDatabase(pool, { retrySeconds: config.db.startupRetrySeconds, log });
    await migrateToLatest(db);
    // Closed after pg-boss has let running jobs finish, so their last events still go out.
    const realtime = postgresNotifier(pool, log);
    life.add('socket.io emitter', () => realtime.close());
    const boss = createBoss(url, log, bossOptions(config));
    await boss.start();
    life.add('pg-boss', () => boss.stop({ graceful: true, timeout: 20_000 }));
    await createQueues(boss, { heartbeatSeconds: config.jobs.heartbeatSeconds });
    const deps: Deps = {
      config,
      db,
      storage: createDiskStorage(config.storageDir),
      providers: createProviderRegistry(config, opts.providers),
      jobs: jobSender(boss),
      notifier: realtime.notifier,
      mailer: createMailer(config, log),
      hooks: createHooks(),
      boards: boardsApi,
      contentCredentials,
      moderation: { classifier: createNsfwClassifier({ log }) },
      stripe: createStripe(config),
      log,
      metrics,
      shareLimits: createShareLimits(config.boards),
    };
    metrics.watch({ pool, boss });
    await startWorkers(boss, deps, { concurrency: config.workerConcurrency });
    void deps.moderation.classifier.warm();
    // The sweep at start: jobs whose worker died (heartbeat lapsed) are retried or failed now, not at the next pass.
    await boss.supervise();
    log.info('worker ready', { concurrency: config.workerConcurrency });
    return { deps, boss, metricsUrl, shutdown: () => life.close() };
  } catch (err) {
    await life.close();
    throw err;
  }
}

/** Calls `shutdown` once on SIGTERM/SIGINT, then exits. */
export function handleSignals(shutdown: () => Promise<void>, log: Logger) {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    shutdown().then(
      () => process.exit(0),
      (err) => {
        log.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}
