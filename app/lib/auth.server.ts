import { redirect, type AppLoadContext } from '@remix-run/node';
import { accountThrottleAddress, CLIENT_IP_HEADER, REAL_IP_HEADER } from '../../server/http/security.js';

/**
 * Calls one of better-auth's endpoints through its HTTP handler, as the browser would, so its
 * origin checks and rate limits apply to the forms too. Sign-in attempts are keyed by account.
 */
export async function authRequest(context: AppLoadContext, request: Request, path: string, body: Record<string, unknown>, method = 'POST'): Promise<Response> {
  const base = context.publicConfig.baseUrl;
  const headers = new Headers({ 'content-type': 'application/json', origin: new URL(base).origin });
  for (const h of ['cookie', 'user-agent']) {
    const v = request.headers.get(h);
    if (v) headers.set(h, v);
  }
  const real = request.headers.get(CLIENT_IP_HEADER);
  const ip = path === '/sign-in/email' ? accountThrottleAddress(String(body.email ?? '')) : real;
  if (ip) headers.set(CLIENT_IP_HEADER, ip);
  if (path === '/sign-in/email' && real) headers.set(REAL_IP_HEADER, real);
  return context.auth.handler(new Request(new URL(`/api/auth${path}`, base), { method, headers, body: method === 'GET' ? undefined : JSON.stringify(body) }));
}

export const TOO_MANY = 'Too many attempts. Please wait a minute and try again.';

/** Sign-in and sign-up pages: signed-in people go to the studio; the others see the configured providers. */
export async function authPageData(context: AppLoadContext) {
  const me = await (await context.trpc()).me.get();
  if (me) throw redirect('/studio');
  return { providers: context.publicConfig.oauthProviders };
}
