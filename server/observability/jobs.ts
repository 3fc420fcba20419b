/**
 * Jobs carry the request that started them: `jobSender` (jobs/boss.ts) adds `_meta: { requestId,
 * trace }` (trace: W3C `traceparent`/`tracestate`) to the job data (beside the payload, whose own
 * fields it never touches: the deletion queue's payload has a `requestId` of its own), and the worker runs the
 * job inside a work context with that request id, the job id and the queue (so each of its log
 * lines names them), in a consumer span continuing the request's trace, and counts the attempt
 * and its duration in the metrics. Payload schemas strip these fields, so handlers never see them.
 */
import { SpanKind } from '@opentelemetry/api';
import type { Logger } from '../log.js';
import { currentRequestId, isRequestId, runInContext } from './context.js';
import type { Metrics } from './metrics.js';
import { fromCarrier, inSpan, traceCarrier } from './tracing.js';

/** The key of the job data that carries the request id and trace. */
export const JOB_META_KEY = '_meta';

export interface JobMeta {
  requestId?: string;
  trace?: Record<string, string>;
}

/** What a job sent now should carry (`{ _meta }`): the current request id, and the trace context when traces are on; `{}` when neither. */
export function jobMeta(): { [JOB_META_KEY]?: JobMeta } {
  const requestId = currentRequestId();
  const trace = traceCarrier();
  const meta: JobMeta = { ...(requestId ? { requestId } : {}), ...(Object.keys(trace).length > 0 ? { trace } : {}) };
  return Object.keys(meta).length > 0 ? { [JOB_META_KEY]: meta } : {};
}

/** Reads (and checks) what `jobMeta` added; anything malformed is ignored. */
export function readJobMeta(data: unknown): { requestId?: string; carrier: Record<string, string> } {
  const outer = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const inner = outer[JOB_META_KEY];
  const d = (typeof inner === 'object' && inner !== null ? inner : {}) as { requestId?: unknown; trace?: unknown };
  const carrier: Record<string, string> = {};
  if (typeof d.trace === 'object' && d.trace !== null) {
    for (const key of ['traceparent', 'tracestate'] as const) {
      const v = (d.trace as Record<string, unknown>)[key];
      if (typeof v === 'string' && v.length <= 512) carrier[key] = v;
    }
  }
  return { ...(isRequestId(d.requestId) ? { requestId: d.requestId } : {}), carrier };
}

/** Runs one job attempt observed: context, span, metrics and a log line at its end. Rethrows the handler's error. */
export function observeJob(
  deps: { metrics: Metrics; log: Logger },
  queue: string,
  job: { id: string; data: unknown; groupId?: string | null; retryCount?: number },
  fn: () => Promise<void>,
): Promise<void> {
  const meta = readJobMeta(job.data);
  const provider = job.groupId ?? 'none';
  return runInContext({ ...(meta.requestId ? { requestId: meta.requestId } : {}), jobId: job.id, queue }, () =>
    inSpan(
      `job ${queue}`,
      async (span) => {
        span.setAttributes({ 'messaging.system': 'pg-boss', 'messaging.destination.name': queue, 'messaging.message.id': job.id, 'flux.provider': provider, 'flux.attempt': job.retryCount ?? 0 });
        const started = process.hrtime.bigint();
        const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
        try {
          await fn();
          deps.metrics.job(queue, provider, 'completed', seconds());
          deps.log.info('job done', { attempt: job.retryCount ?? 0, ms: Math.round(seconds() * 1000) });
        } catch (err) {
          deps.metrics.job(queue, provider, 'failed', seconds());
          deps.log.warn('job attempt failed', { attempt: job.retryCount ?? 0, ms: Math.round(seconds() * 1000), error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
          throw err;
        }
      },
      { kind: SpanKind.CONSUMER },
      fromCarrier(meta.carrier),
    ),
  );
}
