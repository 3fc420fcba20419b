import type { ActionFunctionArgs } from '@remix-run/node';
import { redirect } from '@remix-run/node';
import { z } from 'zod';
import { AFTER_SIGN_IN } from '../../server/shared/auth-words.js';
import { safeDestination } from '../../server/shared/redirect.js';
import { authRequest } from '../lib/auth.server.js';
import { redirectWithCookies } from '../lib/session.server.js';

/** Starts sign-in (or linking) with an outside identity provider: better-auth answers the provider's URL. */
export async function action({ request, context }: ActionFunctionArgs) {
  const parsed = z
    .object({ provider: z.enum(['github', 'google']), mode: z.enum(['sign-in', 'link']).default('sign-in'), next: z.string().optional() })
    .safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success || !context.publicConfig.oauthProviders.includes(parsed.data.provider)) return redirect('/sign-in?error=provider');
  const { provider, mode } = parsed.data;
  const link = mode === 'link';
  const res = await authRequest(context, request, link ? '/link-social' : '/sign-in/social', {
    provider,
    callbackURL: link ? '/settings/account?linked=1' : safeDestination(parsed.data.next, AFTER_SIGN_IN),
    errorCallbackURL: link ? '/settings/account?error=link' : '/sign-in?error=provider',
  });
  const body = (await res.clone().json().catch(() => null)) as { url?: string } | null;
  if (!res.ok || !body?.url) return redirect(link ? '/settings/account?error=link' : '/sign-in?error=provider');
  return redirectWithCookies(body.url, res);
}

export function loader() {
  return redirect('/sign-in');
}
