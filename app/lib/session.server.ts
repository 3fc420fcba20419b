import { redirect } from '@remix-run/node';
import type { AppLoadContext } from '@remix-run/node';

/** The signed-in user, or a redirect to sign-in that comes back here afterwards. */
export async function requireUser(request: Request, context: AppLoadContext) {
  const trpc = await context.trpc();
  const me = await trpc.me.get();
  if (!me) {
    const url = new URL(request.url);
    throw redirect(`/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`);
  }
  return { me, trpc };
}

/** Copies better-auth's Set-Cookie headers onto a redirect. */
export function redirectWithCookies(to: string, from: Response): Response {
  const headers = new Headers();
  for (const c of from.headers.getSetCookie()) headers.append('Set-Cookie', c);
  return redirect(to, { headers });
}
