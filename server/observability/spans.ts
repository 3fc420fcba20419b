/**
 * Client spans for the two kinds of work a request or job waits on most: database queries and
 * outgoing HTTP calls (providers, the hosted moderation check, Stripe). Made without
 * auto-instrumentation packages:
 *
 * - database: kysely's `log` hook, which runs after each query in the caller's async context, so
 *   the span is a child of whatever span is active there (the HTTP request, the tRPC call, the job).
 *   It is started back-dated by the query's duration. The text is kysely's compiled SQL with `$n`
 *   placeholders: values (prompts, emails) are never in it. Queries made on the pool directly
 *   (pg-boss, the board append statement, LISTEN) are not covered.
 * - outgoing HTTP: Node's fetch (undici) publishes each request on diagnostics channels; a span
 *   starts when the request is created and ends with its trailers or its error. The URL is recorded
 *   without its query string (signed result URLs carry tokens there).
 *
 * Both only make a span inside a trace (an active span), so background work does not make root
 * spans of its own; and both are installed only when traces are on (server/observability/tracing.ts).
 */
import diagnostics from 'node:diagnostics_channel';
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { LogEvent } from 'kysely';
/** The product's tracer (the same name as tracing.ts's; not imported from there, which loads this file). */
const tracer = () => trace.getTracer('flux-klein');

const SQL_TEXT_MAX = 2000;

const operationOf = (sqlText: string) => /^\s*([a-z]+)/i.exec(sqlText)?.[1]?.toUpperCase() ?? 'QUERY';

/** kysely's `log` option: one client span per query (or failed query), as a child of the active span. */
export function databaseSpans(event: LogEvent): void {
  const parent = trace.getSpan(context.active());
  if (!parent) return;
  const end = Date.now();
  const op = operationOf(event.query.sql);
  const span = tracer().startSpan(
    `db ${op}`,
    {
      kind: SpanKind.CLIENT,
      startTime: end - event.queryDurationMillis,
      attributes: { 'db.system.name': 'postgresql', 'db.operation.name': op, 'db.query.text': event.query.sql.slice(0, SQL_TEXT_MAX) },
    },
    context.active(),
  );
  if (event.level === 'error') {
    const err = event.error;
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? ((err as { code?: string }).code ?? err.name) : 'error' });
    if (err instanceof Error) span.recordException(err);
  }
  span.end(end);
}

/** The parts of undici's request object the channels hand us. */
interface UndiciRequest {
  method?: string;
  origin?: string | URL;
  path?: string;
}

/**
 * Starts client spans for outgoing fetch requests; returns the function that stops. Requests to
 * `skipOrigin` (the trace collector itself) never get a span.
 */
export function startHttpClientSpans(skipOrigin?: string): () => void {
  const spans = new WeakMap<object, Span>();
  const skip = skipOrigin ? new URL(skipOrigin).origin : null;
  const onCreate = (msg: unknown) => {
    const { request } = msg as { request: UndiciRequest };
    const parent = trace.getSpan(context.active());
    if (!parent || !request) return;
    let origin: URL;
    try {
      origin = new URL(String(request.origin));
    } catch {
      return;
    }
    if (skip && origin.origin === skip) return;
    const method = (request.method ?? 'GET').toUpperCase();
    const path = (request.path ?? '/').split('?')[0];
    spans.set(
      request,
      tracer().startSpan(
        `HTTP ${method}`,
        {
          kind: SpanKind.CLIENT,
          attributes: { 'http.request.method': method, 'server.address': origin.hostname, 'server.port': Number(origin.port) || (origin.protocol === 'https:' ? 443 : 80), 'url.full': `${origin.origin}${path}` },
        },
        context.active(),
      ),
    );
  };
  const onHeaders = (msg: unknown) => {
    const { request, response } = msg as { request: object; response: { statusCode: number } };
    const span = spans.get(request);
    if (!span) return;
    span.setAttribute('http.response.status_code', response.statusCode);
    if (response.statusCode >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
  };
  const onTrailers = (msg: unknown) => {
    const { request } = msg as { request: object };
    spans.get(request)?.end();
    spans.delete(request);
  };
  const onError = (msg: unknown) => {
    const { request, error } = msg as { request: object; error: unknown };
    const span = spans.get(request);
    if (!span) return;
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
    if (error instanceof Error) span.recordException(error);
    span.end();
    spans.delete(request);
  };
  const subscriptions: [string, (msg: unknown) => void][] = [
    ['undici:request:create', onCreate],
    ['undici:request:headers', onHeaders],
    ['undici:request:trailers', onTrailers],
    ['undici:request:error', onError],
  ];
  for (const [name, fn] of subscriptions) diagnostics.subscribe(name, fn);
  return () => {
    for (const [name, fn] of subscriptions) diagnostics.unsubscribe(name, fn);
  };
}
