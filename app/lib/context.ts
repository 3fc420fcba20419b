import type { Auth } from '../../server/auth/index.js';
import type { PublicConfig } from '../../server/public-config.js';
import type { createCaller } from '../../server/trpc/router.js';

/**
 * What the custom server hands every loader and action (see server/index.ts): data only through
 * the tRPC caller (the same procedures, checks and errors as the browser's calls), better-auth for
 * the forms that sign in and out, and a named allow-list of configuration. Not the services' deps.
 */
export interface FluxLoadContext {
  /** This response's CSP nonce (server/http/security.ts): every script the page renders carries it. */
  cspNonce: string;
  /** This request's id (X-Request-Id), shown on error pages so a person can quote it to support. */
  requestId: string;
  /** Writes an unexpected error of this request to the server log (a JSON line with the request id). */
  logError: (err: unknown, what: string) => void;
  /** The tRPC server-side caller for this request: loaders read data through the same procedures as the browser. */
  trpc: () => Promise<ReturnType<typeof createCaller>>;
  auth: Auth;
  publicConfig: PublicConfig;
}

declare module '@remix-run/node' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppLoadContext extends FluxLoadContext {}
}

declare module '@remix-run/node' {
  interface Future {
    v3_singleFetch: true;
  }
}
