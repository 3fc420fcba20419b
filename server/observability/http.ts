/**
 * The first step of every HTTP request: gives it a request id (a well-formed `X-Request-Id` from a
 * trusted proxy, otherwise a new one), echoes it in the response header, and runs the rest of the
 * request inside its work context (so every log line of the request carries the id, and a job it
 * starts carries it too), inside a server span when traces are on. When the response is done it
 * counts the request in the metrics under its route template and writes a debug access line.
 */
import type { NextFunction, Request, Response } from 'express';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from '../log.js';
import { isRequestId, newRequestId, runInContext } from './context.js';
import type { Metrics } from './metrics.js';
import { routeTemplate } from './routes.js';
import { fromCarrier, tracer } from './tracing.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** Express's compiled `trust proxy` (TRUST_PROXY): whether the TCP peer is a proxy we believe. */
type TrustFn = (addr: string, i: number) => boolean;

export function observeRequests(opts: { metrics: Metrics; log: Logger; tracing: boolean }) {
  const { metrics, log } = opts;
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const trust = req.app.get('trust proxy fn') as TrustFn | undefined;
    const peer = req.socket.remoteAddress ?? '';
    const fromProxy = Boolean(trust?.(peer, 0));
    const incoming = req.get(REQUEST_ID_HEADER);
    const requestId = fromProxy && isRequestId(incoming) ? incoming : newRequestId();
    res.locals.requestId = requestId;
    res.setHeader(REQUEST_ID_HEADER, requestId);

    // A trace continues the caller's only when a trusted proxy passed it on.
    const parent = opts.tracing && fromProxy ? fromCarrier({ traceparent: req.get('traceparent'), tracestate: req.get('tracestate') }) : context.active();
    const span = opts.tracing ? tracer().startSpan(`${req.method}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'flux.request_id': requestId } }, parent) : null;

    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const route = routeTemplate(req, res);
      const status = res.writableFinished ? res.statusCode : 499; // 499: the client went away first
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.http(req.method, route, status, seconds);
      if (span) {
        span.updateName(`${req.method} ${route}`);
        span.setAttributes({ 'http.route': route, 'http.response.status_code': status });
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
      log.debug('request', { method: req.method, route, status, ms: Math.round(seconds * 1000) });
    };

    runInContext({ requestId }, () => {
      const run = () => {
        res.once('finish', finish);
        res.once('close', finish);
        next();
      };
      if (span) context.with(trace.setSpan(parent, span), run);
      else run();
    });
  };
}
