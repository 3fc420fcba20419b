import { Form, Link, useLocation, useNavigation } from '@remix-run/react';
import { FormError } from './FormError.js';

const STATUS_TEXT = {
  expired: 'This invitation has expired. Ask the person who invited you to send a new one.',
  used: 'This invitation has already been used.',
  revoked: 'This invitation was withdrawn.',
} as const;

export interface InvitationInfo {
  email: string;
  role: string;
  workspaceName: string;
  inviterName: string;
  status: 'pending' | 'expired' | 'used' | 'revoked';
}

/**
 * The invitation page, whether opened from the emailed link (/invite/{token}) or from the
 * notification (/invitations/{id}): who invites whom to what, and accepting with the signed-in
 * account (or signing in / up with the invited address first).
 */
export function InvitationCard({ info, me, error, notFound }: { info: InvitationInfo | null; me: { email: string } | null; error?: string; notFound: string }) {
  const busy = useNavigation().state === 'submitting';
  // The same on the server and in the browser: a link rendered with another `next` on the server
  // keeps it after hydration, and the person would not come back here after signing up.
  const here = useLocation().pathname;
  return (
    <div className="auth-page">
      <div className="panel auth-card stack">
        {!info ? (
          <>
            <h1>Invitation not found</h1>
            <p>{notFound}</p>
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
            <FormError message={error} />
          </>
        )}
      </div>
    </div>
  );
}
