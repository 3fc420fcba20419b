import type { IncomingMessage } from 'node:http';

/** Node request headers as a Fetch Headers object (what better-auth reads sessions from). */
export function toHeaders(req: Pick<IncomingMessage, 'headers'>): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === 'string') headers.set(k, v);
    else if (Array.isArray(v)) for (const item of v) headers.append(k, item);
  }
  return headers;
}
