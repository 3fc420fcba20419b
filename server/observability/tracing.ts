/**
 * Optional OpenTelemetry traces. Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; then the Node SDK
 * exports spans over OTLP/HTTP to `<endpoint>/v1/traces`. The spans are made by hand at the
 * product's own seams, so one trace follows a request through HTTP → tRPC procedure → service →
 * pg-boss job (its context travels in the job data, server/observability/jobs.ts) → provider call.
 * Without the SDK the API hands out non-recording spans and these calls cost next to nothing.
 */
import { context, propagation, SpanStatusCode, trace, type Context, type Span, type SpanOptions } from '@opentelemetry/api';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';

export const tracer = () => trace.getTracer('flux-klein');

export interface Tracing {
  /** Sends the spans still buffered, then stops; safe to call twice. */
  shutdown(): Promise<void>;
}

/**
 * Starts the SDK when an endpoint is configured; null (nothing started) otherwise. The SDK is
 * loaded only then: importing it takes seconds on a busy machine, which every start would pay.
 */
export async function startTracing(cfg: Config['tracing'], log: Logger): Promise<Tracing | null> {
  if (!cfg.endpoint) return null;
  const [{ NodeSDK }, { OTLPTraceExporter }] = await Promise.all([import('@opentelemetry/sdk-node'), import('@opentelemetry/exporter-trace-otlp-http')]);
  const sdk = new NodeSDK({
    serviceName: cfg.serviceName,
    traceExporter: new OTLPTraceExporter({ url: `${cfg.endpoint}/v1/traces`, headers: cfg.headers }),
    instrumentations: [],
    autoDetectResources: false,
    // Traces only: without these the SDK would also start OTLP metric and log exporters (to
    // localhost:4318 unless told otherwise); metrics are Prometheus' job here (/metrics).
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  // Client spans for outgoing fetch calls (server/observability/spans.ts); database spans are kysely's log hook (createDb).
  const { startHttpClientSpans } = await import('./spans.js');
  const stopHttpSpans = startHttpClientSpans(cfg.endpoint);
  log.info('OpenTelemetry traces are exported', { endpoint: `${cfg.endpoint}/v1/traces`, service: cfg.serviceName });
  let stopping: Promise<void> | null = null;
  return {
    shutdown() {
      stopping ??= (async () => {
        stopHttpSpans();
        try {
          await sdk.shutdown();
        } catch (err) {
          log.warn('exporting the last traces failed', { err });
        }
        // Unregister the globals so a later start in the same process (tests) can register again.
        trace.disable();
        context.disable();
        propagation.disable();
      })();
      return stopping;
    },
  };
}

/** Runs `fn` in a new active span (a child of the current one, or of `parent`), recording a throw as the span's error. */
export function inSpan<T>(name: string, fn: (span: Span) => Promise<T>, opts: SpanOptions = {}, parent?: Context): Promise<T> {
  return tracer().startActiveSpan(name, opts, parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      if (err instanceof Error) span.recordException(err);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The current trace context as W3C headers (`traceparent`, `tracestate`), to carry in job data; empty when tracing is off. */
export function traceCarrier(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** The context to continue from a carrier made by `traceCarrier` (or an incoming request's headers). */
export function fromCarrier(carrier: Record<string, string | undefined>): Context {
  return propagation.extract(context.active(), carrier);
}
