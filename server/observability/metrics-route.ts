/**
 * Serving /metrics (Prometheus text format). With METRICS_PORT, on its own listener (METRICS_HOST,
 * 127.0.0.1 by default) and absent from the main port; otherwise on the main port, answered only
 * to `Authorization: Bearer <METRICS_TOKEN>`. When both are set, the separate port asks for the
 * token too.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { Request, Response } from 'express';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from './metrics.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether an Authorization header carries the token (compared in constant time). */
export function hasToken(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return Boolean(m) && timingSafeEqual(digest(m![1]!), digest(token));
}

async function answer(metrics: Metrics, token: string | undefined, authorization: string | undefined, log: Logger): Promise<{ status: number; type: string; body: string; headers?: Record<string, string> }> {
  if (token !== undefined && !hasToken(authorization, token)) {
    return { status: 401, type: 'text/plain; charset=utf-8', body: 'Metrics need the bearer token (METRICS_TOKEN).\n', headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' } };
  }
  try {
    return { status: 200, type: metrics.registry.contentType, body: await metrics.registry.metrics() };
  } catch (err) {
    log.error('collecting metrics failed', { err });
    return { status: 500, type: 'text/plain; charset=utf-8', body: 'Collecting metrics failed; see the server log.\n' };
  }
}

/** The /metrics route for the main port (only when metrics are on and no separate port is set). */
export function metricsRoute(metrics: Metrics, cfg: Config['metrics'], log: Logger) {
  return async (req: Request, res: Response) => {
    const a = await answer(metrics, cfg.token, req.get('authorization'), log);
    res.status(a.status).set({ 'Cache-Control': 'no-store', ...a.headers }).type(a.type).send(a.body);
  };
}

/** A listener of its own that serves GET /metrics and nothing else. Resolves with its URL. */
export async function startMetricsServer(metrics: Metrics, cfg: Config['metrics'] & { port: number }, log: Logger): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Only GET /metrics is served here.\n');
      return;
    }
    void answer(metrics, cfg.token, req.headers.authorization, log).then((a) => {
      res.writeHead(a.status, { 'content-type': a.type, 'cache-control': 'no-store', ...a.headers }).end(req.method === 'HEAD' ? undefined : a.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.port;
  const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host === '0.0.0.0' ? '127.0.0.1' : cfg.host;
  const url = `http://${host}:${port}/metrics`;
  log.info('metrics are served on their own port', { url });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
