/**
 * Prometheus metrics (prom-client), one registry per process part that serves them (so several
 * servers in one test process never share counters). Every label value comes from a bounded set:
 * route templates and procedure names written in the code, queue and provider names, status codes,
 * never a raw path or an id (server/observability/routes.ts makes the templates).
 *
 * Off (every method a no-op, nothing registered, no middleware installed) unless METRICS_TOKEN or
 * METRICS_PORT is set. The list of metrics is in docs/operations.md.
 */
import { createRequire } from 'node:module';
import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { Registry } from 'prom-client';

/** prom-client is loaded only when metrics are on (a process without them does not pay for it). */
const loadPromClient = () => createRequire(import.meta.url)('prom-client') as typeof import('prom-client');

export interface MetricsSources {
  pool?: Pick<pg.Pool, 'totalCount' | 'idleCount' | 'waitingCount'> & { options?: { max?: number } };
  /** open Socket.io connections on this process */
  sockets?: () => number;
  /** boards this process holds live (one Socket.io room each) */
  liveBoards?: () => number;
  boss?: Pick<PgBoss, 'getQueues'>;
}

export interface Metrics {
  readonly enabled: boolean;
  /** What /metrics serves (empty when metrics are off). */
  readonly registry: Pick<Registry, 'metrics' | 'contentType'>;
  /** One HTTP request finished: `route` is a template (`/files/:id`), never the raw path. */
  http(method: string, route: string, status: number, seconds: number): void;
  /** One tRPC procedure call finished: `code` is `OK` or the tRPC error code. */
  trpc(procedure: string, type: string, code: string, seconds: number): void;
  /** One job attempt finished in this process. `provider` is the job's group (generation provider) or `none`. */
  job(queue: string, provider: string, outcome: 'completed' | 'failed', seconds: number): void;
  /** An accepted board update reached this process's other sockets on the board, `seconds` after it arrived. */
  fanout(source: 'local' | 'remote', seconds: number): void;
  /** Gauges read at scrape time from the parts of this process. */
  watch(sources: MetricsSources): void;
}

const noop = () => {};

const EMPTY_REGISTRY: Metrics['registry'] = { metrics: async () => '', contentType: 'text/plain; version=0.0.4; charset=utf-8' };

export function createMetrics(opts: { enabled: boolean; role?: 'web' | 'worker' }): Metrics {
  if (!opts.enabled) return { enabled: false, registry: EMPTY_REGISTRY, http: noop, trpc: noop, job: noop, fanout: noop, watch: noop };
  const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } = loadPromClient();
  const registry = new Registry();

  registry.setDefaultLabels({ role: opts.role ?? 'web' });
  // Process metrics, among them nodejs_eventloop_lag_seconds (and its percentiles), heap and GC.
  collectDefaultMetrics({ register: registry });

  const latency = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  const httpTotal = new Counter({ name: 'http_requests_total', help: 'HTTP requests finished, by method, route template and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const httpDuration = new Histogram({ name: 'http_request_duration_seconds', help: 'HTTP request latency (until the response was sent), by method, route template and status', labelNames: ['method', 'route', 'status'], buckets: latency, registers: [registry] });
  const trpcTotal = new Counter({ name: 'trpc_requests_total', help: 'tRPC procedure calls, by procedure, type and result code', labelNames: ['procedure', 'type', 'code'], registers: [registry] });
  const trpcDuration = new Histogram({ name: 'trpc_request_duration_seconds', help: 'tRPC procedure latency, by procedure, type and result code', labelNames: ['procedure', 'type', 'code'], buckets: latency, registers: [registry] });
  const jobsProcessed = new Counter({ name: 'jobs_processed_total', help: 'Job attempts this process finished, by queue, provider and outcome', labelNames: ['queue', 'provider', 'outcome'], registers: [registry] });
  const jobDuration = new Histogram({ name: 'job_duration_seconds', help: 'Job attempt duration in this process, by queue, provider and outcome', labelNames: ['queue', 'provider', 'outcome'], buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900], registers: [registry] });
  const fanout = new Histogram({ name: 'board_fanout_seconds', help: 'From an accepted board update (from a socket here, or from another process) to its fan-out to the sockets on this process', labelNames: ['source'], buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25], registers: [registry] });

  let sources: MetricsSources = {};
  new Gauge({
    name: 'socketio_connections',
    help: 'Open Socket.io connections on this process',
    registers: [registry],
    collect() {
      if (sources.sockets) this.set(sources.sockets());
    },
  });
  new Gauge({
    name: 'board_rooms',
    help: 'Boards this process holds live (one Socket.io room each)',
    registers: [registry],
    collect() {
      if (sources.liveBoards) this.set(sources.liveBoards());
    },
  });
  new Gauge({
    name: 'pg_pool_connections',
    help: 'Application database pool: connections open (total), idle, and requests waiting for one (waiting)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const p = sources.pool;
      if (!p) return;
      this.set({ state: 'total' }, p.totalCount);
      this.set({ state: 'idle' }, p.idleCount);
      this.set({ state: 'waiting' }, p.waitingCount);
    },
  });
  new Gauge({
    name: 'pg_pool_max_connections',
    help: 'Application database pool size limit',
    registers: [registry],
    collect() {
      const max = sources.pool?.options?.max;
      if (max !== undefined) this.set(max);
    },
  });
  new Gauge({
    name: 'jobs',
    help: 'Jobs in the queue tables (all processes), by queue and state: ready, deferred, active, failed (retained)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      if (!sources.boss) return;
      // A scrape never hangs on a database that is away: the last values stay.
      let timer: NodeJS.Timeout | undefined;
      try {
        const list = await Promise.race([
          sources.boss.getQueues(),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('queue stats timed out')), 2000))),
        ]);
        for (const q of list) {
          this.set({ queue: q.name, state: 'ready' }, q.readyCount);
          this.set({ queue: q.name, state: 'deferred' }, q.deferredCount);
          this.set({ queue: q.name, state: 'active' }, q.activeCount);
          this.set({ queue: q.name, state: 'failed' }, q.failedCount);
        }
      } catch {
        // keep the last values
      } finally {
        clearTimeout(timer);
      }
    },
  });

  return {
    enabled: true,
    registry,
    http(method, route, status, seconds) {
      const labels = { method, route, status: String(status) };
      httpTotal.inc(labels);
      httpDuration.observe(labels, seconds);
    },
    trpc(procedure, type, code, seconds) {
      const labels = { procedure, type, code };
      trpcTotal.inc(labels);
      trpcDuration.observe(labels, seconds);
    },
    job(queue, provider, outcome, seconds) {
      const labels = { queue, provider, outcome };
      jobsProcessed.inc(labels);
      jobDuration.observe(labels, seconds);
    },
    fanout(source, seconds) {
      fanout.observe({ source }, seconds);
    },
    watch(s) {
      sources = { ...sources, ...s };
    },
  };
}
