import type { Auth } from '../../server/auth/index.js';
import type { Deps } from '../../server/services/deps.js';
import type { createCaller } from '../../server/trpc/router.js';

/** What the custom server hands every loader and action (see server/index.ts). */
export interface FluxLoadContext {
  /** This response's CSP nonce (server/http/security.ts): every script the page renders carries it. */
  cspNonce: string;
  deps: Deps;
  auth: Auth;
  /** The tRPC server-side caller for this request: loaders read data through the same procedures as the browser. */
  trpc: () => Promise<ReturnType<typeof createCaller>>;
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
