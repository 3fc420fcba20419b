import { redirect, type AppLoadContext } from '@remix-run/node';
import { accountThrottleAddress, CLIENT_IP_HEADER, REAL_IP_HEADER } from '../../server/http/security.js';

/**
 * Calls one of better-auth's endpoints through its HTTP handler, as the browser would, so its
 * origin checks and rate limits apply to the forms too: the browser's own Origin (and Referer,
 * Sec-Fetch-Site) are passed on, never ours. Sign-in attempts are keyed by account.
 */
export async function authRequest(context: AppLoadContext, request: Request, path: string, body: Record<string, unknown>, method = 'POST'): Promise<Response> {
  const base = context.publicConfig.baseUrl;
  const headers = new Headers({ 'content-type': 'application/json' });
  for (const h of ['cookie', 'user-agent', 'origin', 'referer', 'sec-fetch-site']) {
    const v = request.headers.get(h);
    if (v) headers.set(h, v);
  }
  const real = request.headers.get(CLIENT_IP_HEADER);
  const ip = path === '/sign-in/email' ? accountThrottleAddress(String(body.email ?? '')) : real;
  if (ip) headers.set(CLIENT_IP_HEADER, ip);
  if (path === '/sign-in/email' && real) headers.set(REAL_IP_HEADER, real);
  return context.auth.handler(new Request(new URL(`/api/auth${path}`, base), { method, headers, body: method === 'GET' ? undefined : JSON.stringify(body) }));
}

/** The shared password policy, for the forms' actions (this module never reaches the browser bundle). */
export { passwordProblem } from '../../server/shared/password-policy.js';

/** better-auth's refusal of a new password by the policy (server/auth/password-policy.ts), as its message; else null. */
export async function passwordRefusal(res: Response): Promise<string | null> {
  if (res.status !== 400) return null;
  const body = (await res.clone().json().catch(() => null)) as { code?: string; message?: string } | null;
  return body?.code === 'PASSWORD_TOO_WEAK' && body.message ? body.message : null;
}

export const TOO_MANY = 'Too many attempts. Please wait a minute and try again.';

/** Sign-in and sign-up pages: signed-in people go to the studio; the others see the configured providers. */
export async function authPageData(context: AppLoadContext) {
  const me = await (await context.trpc()).me.get();
  if (me) throw redirect('/studio');
  return { providers: context.publicConfig.oauthProviders, appealsEmail: context.publicConfig.appealsEmail };
}
