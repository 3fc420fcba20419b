/**
 * The one way an Express route answers an error: AppError codes go through the same code→status
 * table as tRPC (server/shared/errors.ts), zod failures are INVALID_INPUT, anything else is logged
 * and answered as INTERNAL without its message. API callers get `{ error: { code, message } }`
 * (plus `requestId` on a 5xx); a browser navigating (a plain form post) gets a short readable page with the same
 * message and the request id to quote to support.
 */
import type { Request, Response } from 'express';
import { ZodError } from 'zod';
import type { Logger } from '../log.js';
import { AppError, ERROR_CODES, type ErrorCode } from '../shared/errors.js';

export function toAppError(err: unknown): { code: ErrorCode; message: string; expected: boolean } {
  if (err instanceof AppError) return { code: err.code, message: err.userMessage, expected: true };
  if (err instanceof ZodError) return { code: 'INVALID_INPUT', message: err.issues[0]?.message ?? ERROR_CODES.INVALID_INPUT.message, expected: true };
  return { code: 'INTERNAL', message: ERROR_CODES.INTERNAL.message, expected: false };
}

/** A browser navigation (form post, link) rather than fetch/XHR or a non-browser client. */
export function wantsPage(req: Request): boolean {
  const mode = req.get('sec-fetch-mode');
  if (mode) return mode === 'navigate';
  return req.accepts(['json', 'html']) === 'html' && !req.is('json');
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function errorPage(status: number, message: string, requestId: string | undefined): string {
  const title = status === 403 ? 'Request refused' : status === 401 ? 'Please sign in' : 'Something went wrong';
  // The request id names this request's lines in the server log: a person can quote it to support.
  const reference = requestId ? `<p>If you contact support, please quote this reference: <code id="request-id">${escapeHtml(requestId)}</code></p>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} — Flux Klein</title></head><body><main><h1>${title}</h1><p>${escapeHtml(message)}</p>${reference}<p><a href="/">Go to the start page</a></p></main></body></html>`;
}

export function sendError(res: Response, err: unknown, opts: { log?: Pick<Logger, 'error'>; what?: string } = {}): void {
  const { code, message, expected } = toAppError(err);
  if (!expected) opts.log?.error(`${opts.what ?? 'http route'} failed`, { err });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = ERROR_CODES[code].http;
  res.locals.errorCode = code; // for the usage log
  const requestId = res.locals.requestId as string | undefined; // server/observability/http.ts
  if (res.req && wantsPage(res.req)) {
    res.status(status).type('html').send(errorPage(status, message, requestId));
    return;
  }
  // A failure on our side carries the id in the body too (every answer has it in X-Request-Id).
  res.status(status).json({ error: { code, message, ...(requestId && status >= 500 ? { requestId } : {}) } });
}
