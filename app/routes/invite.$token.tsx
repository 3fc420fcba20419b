import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { FormError } from '../components/FormError.js';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { errorMessage } from '../lib/trpc.js';
import { workspaceCookie } from '../lib/workspace.server.js';

export const meta: MetaFunction = () => [{ title: 'Invitation — Flux Klein' }, { name: 'referrer', content: 'no-referrer' }];

export async function loader({ params, context }: LoaderFunctionArgs) {
  const trpc = await context.trpc();
  const [info, me] = await Promise.all([trpc.workspace.invitation({ token: params.token! }).catch(() => null), trpc.me.get()]);
  return { info, me: me ? { email: me.email } : null };
}

export async function action({ params, context }: ActionFunctionArgs) {
  const trpc = await context.trpc();
  try {
    const r = await trpc.workspace.acceptInvitation({ token: params.token! });
    return redirect('/boards', { headers: { 'Set-Cookie': workspaceCookie(context, r.workspaceId) } });
  } catch (err) {
    return { error: errorMessage(err) };
  }
}

const STATUS_TEXT = {
  expired: 'This invitation has expired. Ask the person who invited you to send a new one.',
  used: 'This invitation has already been used.',
  revoked: 'This invitation was withdrawn.',
} as const;

export default function Invite() {
  const { info, me } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  const here = typeof window === 'undefined' ? '' : window.location.pathname;
  return (
    <div className="auth-page">
      <div className="panel auth-card stack">
        {!info ? (
          <>
            <h1>Invitation not found</h1>
            <p>This invitation link is not valid. Check that you opened the whole link from the email.</p>
          </>
        ) : (
          <>
            <h1>Join {info.workspaceName}</h1>
            <p>
              {info.inviterName} invited <strong>{info.email}</strong> to join as {info.role === 'admin' ? 'an admin' : `an ${info.role}`}.
            </p>
            {info.status !== 'pending' ? (
              <p className="form-error" role="alert">
                {STATUS_TEXT[info.status]}
              </p>
            ) : me ? (
              <>
                {me.email.toLowerCase() !== info.email.toLowerCase() ? (
                  <p className="form-error">
                    You are signed in as {me.email}. This invitation is for {info.email}: sign out and sign in (or create an account) with that address.
                  </p>
                ) : null}
                <Form method="post">
                  <button type="submit" className="button primary wide" disabled={busy}>
                    Accept and join {info.workspaceName}
                  </button>
                </Form>
              </>
            ) : (
              <div className="stack-s">
                <p>Sign in or create an account with {info.email} to accept.</p>
                <Link className="button primary wide" to={`/sign-up?next=${encodeURIComponent(here || '/')}&email=${encodeURIComponent(info.email)}`}>
                  Create an account
                </Link>
                <Link className="button ghost wide" to={`/sign-in?next=${encodeURIComponent(here || '/')}`}>
                  Sign in
                </Link>
              </div>
            )}
            <FormError message={data?.error} />
          </>
        )}
      </div>
    </div>
  );
}
