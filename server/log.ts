/**
 * A small structured logger: one JSON line per event on stderr/stdout.
 *
 * Every line is redacted here, at the one place lines are written, so no caller can leak by
 * forgetting: values under secret-looking keys (cookie, authorization, password, token, secret,
 * api keys...) at any depth, and inside every string (messages, error messages and stacks
 * included) email addresses, bearer/basic credentials, JWTs, `token=`-style pairs and secret
 * URL query parameters. `unredacted` writes a line as given; it is for the rare line that must
 * show a secret on purpose (say so at the call site).
 *
 * Each line carries the id of the request it belongs to (`requestId`), and for job work the job's
 * `jobId` and `queue` (the request id then is the one of the request that started the job), read
 * from the work context (server/observability/context.ts), so no caller passes them.
 */
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { currentContext } from './observability/context.js';

export interface Logger {
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
  /** Writes the line without redaction. Only for a line whose whole point is a secret (e.g. a local dev link). */
  unredacted(level: Exclude<LogLevel, 'silent'>, msg: string, data?: Record<string, unknown>): void;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

const REDACTED = '[redacted]';

/** Keys whose values are secrets whatever they hold (compared lower-case, without - and _). */
const SECRET_KEY = /password|passwd|passphrase|secret|token|cookie|authorization|credential|signature|apikey|accesskey|privatekey|^x(api)?key$|^otp$|backupcode/;

const STRING_RULES: [RegExp, string][] = [
  // header-like text: "cookie: ...", "authorization=..." up to the end of the line
  [/\b(set-cookie|cookie|authorization|proxy-authorization|x-api-key|x-key)(\s*[:=]\s*)[^\r\n]*/gi, `$1$2${REDACTED}`],
  [/\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]+=*/gi, `$1 ${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED],
  // name=value pairs whose name says secret (query strings, cookies, form bodies)
  [/([?&;\s]|^)([\w.-]*(?:token|secret|password|passwd|signature|api[-_]?key|access[-_]?key)[\w.-]*|code|sig|key|otp)=([^&#;\s"'<>]*)/gi, `$1$2=${REDACTED}`],
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g, '[email]'],
];

export function redactString(s: string): string {
  let out = s;
  for (const [re, to] of STRING_RULES) out = out.replace(re, to);
  return out;
}

const isSecretKey = (k: string) => SECRET_KEY.test(k.toLowerCase().replace(/[-_]/g, ''));

/** A copy of `value` safe to write to a log: see the header. */
export function redact(value: unknown, seen = new WeakSet<object>(), depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[deep]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (value instanceof Date) return value;
    if (value instanceof URL) return redactString(value.href);
    if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
    if (value instanceof Error) {
      const e = value as Error & { code?: unknown; cause?: unknown };
      const out: Record<string, unknown> = { name: e.name, message: redactString(e.message), stack: e.stack === undefined ? undefined : redactString(e.stack) };
      if (e.code !== undefined) out.code = redact(e.code, seen, depth + 1);
      if (e.cause !== undefined) out.cause = redact(e.cause, seen, depth + 1);
      return out;
    }
    if (Array.isArray(value)) return value.map((v) => redact(v, seen, depth + 1));
    if (value instanceof Map || (typeof Headers !== 'undefined' && value instanceof Headers)) {
      const entries = [...(value as Map<unknown, unknown>).entries()].map(([k, v]) => [String(k), v] as const);
      return Object.fromEntries(entries.map(([k, v]) => [k, isSecretKey(k) ? REDACTED : redact(v, seen, depth + 1)]));
    }
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return redact(toJSON.call(value), seen, depth + 1);
    const entries = Object.entries(value);
    return Object.fromEntries(entries.map(([k, v]) => [k, isSecretKey(k) ? REDACTED : redact(v, seen, depth + 1)]));
  } finally {
    seen.delete(value);
  }
}

/** The request and job this line belongs to (AsyncLocalStorage, server/observability/context.ts), and the trace when one is recorded. */
function contextFields(): Record<string, string> {
  const ctx = currentContext();
  const span = trace.getActiveSpan()?.spanContext();
  const out: Record<string, string> = {};
  if (ctx?.requestId) out.requestId = ctx.requestId;
  if (ctx?.jobId) out.jobId = ctx.jobId;
  if (ctx?.queue) out.queue = ctx.queue;
  if (span && isSpanContextValid(span)) out.traceId = span.traceId;
  return out;
}

const rawErrors = (_k: string, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v);

/** Where lines go: stderr for warnings and errors, stdout for the rest (tests pass their own). */
export type LogSink = (line: string, level: Exclude<LogLevel, 'silent'>) => void;
const stdSink: LogSink = (line, lvl) => (lvl === 'error' || lvl === 'warn' ? process.stderr : process.stdout).write(`${line}\n`);

export function createLogger(level: LogLevel, base: Record<string, unknown> = {}, sink: LogSink = stdSink): Logger {
  const min = LEVELS[level];
  const write = (lvl: Exclude<LogLevel, 'silent'>, msg: string, data: Record<string, unknown> | undefined, safe: boolean) => {
    if (LEVELS[lvl] < min) return;
    // The context last: `requestId`, `jobId`, `queue` and `traceId` always mean the work context's.
    const entry = { t: new Date().toISOString(), level: lvl, msg, ...base, ...data, ...contextFields() };
    const line = safe ? JSON.stringify(redact(entry)) : JSON.stringify(entry, rawErrors);
    sink(line, lvl);
  };
  return {
    debug: (m, d) => write('debug', m, d, true),
    info: (m, d) => write('info', m, d, true),
    warn: (m, d) => write('warn', m, d, true),
    error: (m, d) => write('error', m, d, true),
    unredacted: (l, m, d) => write(l, m, d, false),
  };
}
