/**
 * What a log line, a job and an error page know about the work they belong to: the request id of
 * the HTTP request being served (or that started the job being run), and the job's id and queue.
 * Held in an AsyncLocalStorage, set by the request pipeline (server/observability/http.ts) and
 * by the job runner (jobs/boss.ts); `server/log.ts` adds it to every line.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { context as otelContext, ROOT_CONTEXT } from '@opentelemetry/api';

export interface WorkContext {
  requestId?: string;
  jobId?: string;
  queue?: string;
}

const storage = new AsyncLocalStorage<WorkContext>();

export const currentContext = (): WorkContext | undefined => storage.getStore();
export const currentRequestId = (): string | undefined => storage.getStore()?.requestId;

export function runInContext<T>(ctx: WorkContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/**
 * A handler for events of shared resources that belong to no request or job: the database pool's
 * idle connections. Node's async context follows a socket from the request that opened it, so
 * without this a pool event long after that request (an idle connection dropped at shutdown)
 * would be logged with that request's id and trace. The handler runs with no work context and the
 * root trace context.
 */
export function detachedFromWork<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return (...args: A) => storage.exit(() => otelContext.with(ROOT_CONTEXT, () => fn(...args)));
}

/**
 * A request id we accept from a trusted proxy or from job data: 8–128 characters of letters,
 * digits and `._:-`, starting with a letter or digit (UUIDs, ULIDs, hex ids, `req-…` all fit).
 * Anything else is replaced, so an id can never carry markup, spaces or a line break into a log
 * line, a header or a page.
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;

export const isRequestId = (v: unknown): v is string => typeof v === 'string' && REQUEST_ID_PATTERN.test(v);

export const newRequestId = (): string => randomUUID();
