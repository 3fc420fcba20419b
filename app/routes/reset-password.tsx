import type { ActionFunctionArgs, MetaFunction } from '@remix-run/node';
import { FormError } from '../components/FormError.js';
import { redirect } from '@remix-run/node';
import { Form, Link, useActionData, useNavigation, useSearchParams } from '@remix-run/react';
import { PASSWORD_HINT } from '../../server/shared/auth-words.js';
import { ResetPasswordForm } from '../lib/auth-schemas.server.js';
import { authRequest, passwordRefusal, TOO_MANY } from '../lib/auth.server.js';

export const meta: MetaFunction = () => [{ title: 'Choose a new password — Flux Klein' }];

export async function action({ request, context }: ActionFunctionArgs) {
  const parsed = ResetPasswordForm.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return { error: parsed.error.issues[0]?.message ?? 'Check the form.' };
  const res = await authRequest(context, request, '/reset-password', { token: parsed.data.token, newPassword: parsed.data.password });
  if (res.status === 429) return { error: TOO_MANY };
  if (!res.ok) return { error: (await passwordRefusal(res)) ?? 'This link has expired or was already used. Ask for a new one.' };
  return redirect('/sign-in?reset=1');
}

export default function ResetPassword() {
  const data = useActionData<typeof action>();
  const [params] = useSearchParams();
  const token = params.get('token');
  const busy = useNavigation().state !== 'idle';
  return (
    <div className="auth-page">
      <div className="auth-card panel stack">
        <h1>Choose a new password</h1>
        {!token || params.get('error') ? (
          <p className="form-error" role="alert">
            This link has expired or was already used. <Link to="/forgot-password">Ask for a new one</Link>.
          </p>
        ) : (
          <>
            <FormError message={data?.error} />
            <Form method="post" className="stack">
              <input type="hidden" name="token" value={token} />
              <div className="field">
                <label htmlFor="password">New password</label>
                <input id="password" name="password" type="password" autoComplete="new-password" minLength={8} required />
                <p className="hint">{PASSWORD_HINT} Other devices are signed out.</p>
              </div>
              <button type="submit" className="button primary wide" disabled={busy}>
                {busy ? 'Saving…' : 'Save the new password'}
              </button>
            </Form>
          </>
        )}
      </div>
    </div>
  );
}
