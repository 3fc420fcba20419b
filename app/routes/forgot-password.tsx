import type { ActionFunctionArgs, MetaFunction } from '@remix-run/node';
import { FormError } from '../components/FormError.js';
import { Form, Link, useActionData, useNavigation } from '@remix-run/react';
import { ForgotPasswordForm } from '../lib/auth-schemas.server.js';
import { authRequest, TOO_MANY } from '../lib/auth.server.js';

export const meta: MetaFunction = () => [{ title: 'Reset your password — Flux Klein' }];

export async function action({ request, context }: ActionFunctionArgs) {
  const parsed = ForgotPasswordForm.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return { sent: false, error: parsed.error.issues[0]?.message ?? 'Enter a valid email address.' };
  const res = await authRequest(context, request, '/request-password-reset', { email: parsed.data.email, redirectTo: '/reset-password' });
  if (res.status === 429) return { sent: false, error: TOO_MANY };
  // The same answer whether or not there is an account for this address.
  return { sent: true, error: null };
}

export default function ForgotPassword() {
  const data = useActionData<typeof action>();
  const busy = useNavigation().state !== 'idle';
  return (
    <div className="auth-page">
      <div className="auth-card panel stack">
        <h1>Reset your password</h1>
        {data?.sent ? (
          <p role="status">If there is an account for that address, we have sent it a link to choose a new password. The link works for an hour.</p>
        ) : (
          <>
            <p className="muted">Enter the email address of your account and we will send you a link to choose a new password.</p>
            <FormError message={data?.error} />
            <Form method="post" className="stack">
              <div className="field">
                <label htmlFor="email">Email</label>
                <input id="email" name="email" type="email" autoComplete="email" required />
              </div>
              <button type="submit" className="button primary wide" disabled={busy}>
                {busy ? 'Sending…' : 'Send the link'}
              </button>
            </Form>
          </>
        )}
        <p className="small center">
          <Link to="/sign-in">Back to sign in</Link>
        </p>
      </div>
    </div>
  );
}
