import type { IncomingMessage } from 'node:http';
import { initTRPC, TRPCError } from '@trpc/server';
import { getSessionCookie } from 'better-auth/cookies';
import superjson from 'superjson';
import { ZodError } from 'zod';
import { SpanStatusCode } from '@opentelemetry/api';
import { currentRequestId } from '../observability/context.js';
import { inSpan } from '../observability/tracing.js';
import type { Auth, SessionUser } from '../auth/index.js';
import { toHeaders } from '../http/headers.js';
import type { Deps } from '../services/deps.js';
import { AppError, ERROR_CODES, type ErrorCode } from '../shared/errors.js';

export interface Context {
  deps: Deps;
  auth: Auth;
  /** The request's headers (better-auth calls that act for the signed-in user need them). */
  headers: Headers;
  user: (SessionUser & { emailVerified: boolean; twoFactorEnabled: boolean }) | null;
  /** The TCP peer's address (req.socket.remoteAddress), not a header: for loopback-only helpers. */
  remoteAddress?: string;
}

/**
 * The context of one HTTP request (or of a server-side caller). `request` is the Node request, or
 * the Fetch headers when there is none. The Fetch `Headers` copy of a Node request's headers is
 * made only when something reads `ctx.headers` (better-auth calls, the consent state) or the
 * request carries a session cookie; a signed-out call to a procedure that never reads them costs
 * no copy.
 */
export async function createContext(deps: Deps, auth: Auth, request: Headers | Pick<IncomingMessage, 'headers'>, locals?: Record<string, unknown>, remoteAddress?: string): Promise<Context> {
  // No session cookie, no session: better-auth's lookup costs ~1 ms of CPU even then (ADR 0024),
  // and signed-out calls (me.get on every public page, the consent state) are the most frequent.
  const hasSessionCookie = request instanceof Headers ? getSessionCookie(request) !== null : getSessionCookie(cookieHeader(request.headers.cookie)) !== null;
  if (!hasSessionCookie) {
    if (request instanceof Headers) return { deps, auth, user: null, headers: request, remoteAddress };
    let headers: Headers | undefined;
    return {
      deps,
      auth,
      user: null,
      get headers() {
        return (headers ??= toHeaders(request));
      },
      remoteAddress,
    };
  }
  const headers = request instanceof Headers ? request : toHeaders(request);
  const s = await auth.api.getSession({ headers });
  const user = s
    ? { id: s.user.id, name: s.user.name, email: s.user.email, sessionId: s.session.id, emailVerified: s.user.emailVerified, twoFactorEnabled: Boolean((s.user as { twoFactorEnabled?: boolean | null }).twoFactorEnabled) }
    : null;
  if (locals && user) locals.userId = user.id; // for the usage log
  return { deps, auth, user, headers, remoteAddress };
}

/** The one header better-auth's `getSessionCookie` reads, without copying the others into a Fetch `Headers`. */
function cookieHeader(cookie: string | undefined): Headers {
  return { get: (name: string) => (name.toLowerCase() === 'cookie' ? (cookie ?? null) : null) } as Headers;
}

/** Turns any thrown error into a tRPC error whose `cause` carries our code. */
function toTrpcError(err: unknown): TRPCError {
  if (err instanceof AppError) {
    return new TRPCError({ code: ERROR_CODES[err.code].trpc, message: err.userMessage, cause: err });
  }
  if (err instanceof ZodError) {
    const message = err.issues[0]?.message ?? ERROR_CODES.INVALID_INPUT.message;
    return new TRPCError({ code: 'BAD_REQUEST', message, cause: new AppError('INVALID_INPUT', { userMessage: message }) });
  }
  if (err instanceof TRPCError) return err;
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: ERROR_CODES.INTERNAL.message, cause: err });
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    let appCode: ErrorCode = 'INTERNAL';
    let message: string = ERROR_CODES.INTERNAL.message;
    if (error.cause instanceof AppError) {
      appCode = error.cause.code;
      message = error.cause.userMessage;
    } else if (error.cause instanceof ZodError) {
      appCode = 'INVALID_INPUT';
      message = error.cause.issues[0]?.message ?? ERROR_CODES.INVALID_INPUT.message;
    } else if (error.code === 'UNAUTHORIZED') {
      appCode = 'UNAUTHORIZED';
      message = ERROR_CODES.UNAUTHORIZED.message;
    } else if (error.code === 'BAD_REQUEST' || error.code === 'PARSE_ERROR') {
      appCode = 'INVALID_INPUT';
      message = error.message || ERROR_CODES.INVALID_INPUT.message;
    } else if (error.code === 'NOT_FOUND') {
      appCode = 'NOT_FOUND';
      message = ERROR_CODES.NOT_FOUND.message;
    }
    // Never send stack traces or internal messages to the browser. The request id lets a person
    // quote the failure to support (it names the server's log lines of this request).
    const requestId = currentRequestId();
    return { message, code: shape.code, data: { code: shape.data.code, httpStatus: shape.data.httpStatus, appCode, path: shape.data.path, ...(requestId ? { requestId } : {}) } };
  },
});

/**
 * For the HTTP adapter's `responseMeta`: a refusal that says when to try again (AppError's
 * retryAfterSeconds, e.g. RATE_LIMITED) sets the Retry-After header; in a batch, the longest wait.
 */
export function retryAfterMeta({ errors }: { errors: TRPCError[] }): { headers?: Record<string, string> } {
  const waits = errors.map((e) => (e.cause instanceof AppError ? e.cause.retryAfterSeconds : undefined)).filter((s): s is number => s !== undefined);
  return waits.length > 0 ? { headers: { 'retry-after': String(Math.ceil(Math.max(...waits))) } } : {};
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * The error a failed call surfaces: our AppError and zod refusals as their tRPC codes, anything
 * unexpected as the plain INTERNAL message (logged in full by the endpoint's onError); other tRPC
 * errors (UNAUTHORIZED from authedProcedure, BAD_REQUEST from the input parser) as they are.
 */
function surfacedError(err: TRPCError): TRPCError {
  const cause = err.cause;
  if (cause instanceof AppError || cause instanceof ZodError) return toTrpcError(cause);
  if (err.code === 'INTERNAL_SERVER_ERROR') return toTrpcError(cause ?? err);
  return err;
}

/**
 * Each call in a span, counted in the metrics by procedure (only procedures that exist: the label
 * set is bounded) with the code it answers, its error mapped by `surfacedError`. One middleware for
 * both: every level of tRPC's middleware chain copies the call's options twice (ADR 0026).
 */
const observe = t.middleware(async ({ ctx, path, type, next }) => {
  const started = process.hrtime.bigint();
  const outcome = await inSpan(`trpc ${path}`, async (span) => {
    const result = await next();
    const error = result.ok ? undefined : surfacedError(result.error);
    const code = error ? error.code : 'OK';
    ctx.deps.metrics.trpc(path, type, code, Number(process.hrtime.bigint() - started) / 1e9);
    span.setAttributes({ 'rpc.system': 'trpc', 'rpc.method': path, 'rpc.trpc.code': code });
    if (code === 'INTERNAL_SERVER_ERROR') span.setStatus({ code: SpanStatusCode.ERROR });
    return { result, error };
  });
  // Thrown outside the span (a refusal is not the span's exception); tRPC turns it into the failed result.
  if (outcome.error) throw outcome.error;
  return outcome.result;
});

export const publicProcedure = t.procedure.use(observe);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: ERROR_CODES.UNAUTHORIZED.message });
  return next({ ctx: { ...ctx, user: ctx.user, actor: { userId: ctx.user.id, sessionId: ctx.user.sessionId } } });
});
