import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData } from '@remix-run/react';

export const meta: MetaFunction = () => [{ title: 'Email confirmation — Flux Klein' }];

/**
 * Where the confirmation link from our email lands (better-auth verifies the token, then redirects
 * here, adding `?error=…` when the link was expired or not valid). Says what happened and what next.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const me = await (await context.trpc()).me.get();
  const error = new URL(request.url).searchParams.get('error');
  const state: 'confirmed' | 'failed' | 'pending' | 'signed-out' = error ? 'failed' : !me ? 'signed-out' : me.emailVerified ? 'confirmed' : 'pending';
  return { state, email: me?.email ?? null, expired: error === 'TOKEN_EXPIRED' };
}

export default function VerifyEmail() {
  const { state, email, expired } = useLoaderData<typeof loader>();
  return (
    <div className="auth-page">
      <div className="auth-card panel stack">
        <h1>Email confirmation</h1>
        {state === 'confirmed' ? (
          <>
            <p role="status">Your email address {email} is confirmed. Thank you! You can now invite others to your workspaces.</p>
            <Link className="button primary wide" to="/studio">
              Go to the studio
            </Link>
          </>
        ) : null}
        {state === 'signed-out' ? (
          <>
            <p role="status">If you followed the link from our email, your address is confirmed. Sign in to continue.</p>
            <Link className="button primary wide" to="/sign-in">
              Sign in
            </Link>
          </>
        ) : null}
        {state === 'failed' || state === 'pending' ? (
          <>
            <p className="form-error" role="alert">
              {state === 'pending' ? 'Your address is not confirmed yet.' : expired ? 'This confirmation link has expired.' : 'This confirmation link is not valid, or was already used.'}
            </p>
            {email ? (
              <Form method="post" action="/settings/account">
                <input type="hidden" name="intent" value="resend-verification" />
                <button type="submit" className="button primary wide">
                  Send a new link to {email}
                </button>
              </Form>
            ) : (
              <p>
                <Link to="/sign-in?next=%2Fsettings%2Faccount">Sign in</Link> and ask for a new link on your account page.
              </p>
            )}
          </>
        ) : null}
      </div>
    </div>
  );
}
