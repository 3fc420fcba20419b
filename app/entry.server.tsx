/**
 * Remix's Node entry, with this response's CSP nonce (set in server/http/security.ts and passed
 * through the load context) on React's and Remix's inline scripts. Bots and SPA mode get the whole
 * document at once (onAllReady); browsers get it streamed from the shell (onShellReady).
 */
import { PassThrough } from 'node:stream';
import type { AppLoadContext, EntryContext, HandleErrorFunction } from '@remix-run/node';
import { createReadableStreamFromReadable } from '@remix-run/node';
import { isRouteErrorResponse, RemixServer } from '@remix-run/react';
import { isbot } from 'isbot';
import { renderToPipeableStream } from 'react-dom/server';
import { RequestIdContext } from './components/SupportReference.js';

const ABORT_DELAY = 5_000;

export default function handleRequest(request: Request, responseStatusCode: number, responseHeaders: Headers, remixContext: EntryContext, loadContext: AppLoadContext) {
  const nonce = loadContext.cspNonce;
  const wholeDocument = isbot(request.headers.get('user-agent') ?? '') || remixContext.isSpaMode;
  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const ready = () => {
      shellRendered = true;
      const body = new PassThrough();
      responseHeaders.set('Content-Type', 'text/html');
      resolve(new Response(createReadableStreamFromReadable(body), { headers: responseHeaders, status: responseStatusCode }));
      pipe(body);
    };
    const app = (
      <RequestIdContext.Provider value={loadContext.requestId ?? null}>
        <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
      </RequestIdContext.Provider>
    );
    const { pipe, abort } = renderToPipeableStream(app, {
      nonce,
      ...(wholeDocument ? { onAllReady: ready } : { onShellReady: ready }),
      onShellError: reject,
      onError(error: unknown) {
        responseStatusCode = 500;
        // Errors inside the shell are logged here; shell errors reject and reach handleError.
        if (shellRendered) loadContext.logError(error, 'page render failed');
      },
    });
    setTimeout(abort, ABORT_DELAY);
  });
}

/**
 * Unexpected errors of loaders, actions and rendering go to the server log as JSON lines carrying
 * the request id (the one the error page shows). Not a 404 or another response a route threw on
 * purpose, and not a request the browser gave up on.
 */
export const handleError: HandleErrorFunction = (error, { request, context }) => {
  if (request.signal.aborted || isRouteErrorResponse(error)) return;
  context.logError(error, 'page failed');
};
