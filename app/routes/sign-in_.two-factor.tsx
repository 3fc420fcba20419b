import type { ActionFunctionArgs, MetaFunction } from '@remix-run/node';
import { FormError } from '../components/FormError.js';
import { Form, useActionData, useNavigation, useSearchParams } from '@remix-run/react';
import { useState } from 'react';
import { AFTER_SIGN_IN } from '../../server/shared/auth-words.js';
import { safeDestination } from '../../server/shared/redirect.js';
import { TwoFactorForm } from '../lib/auth-schemas.server.js';
import { authRequest, TOO_MANY } from '../lib/auth.server.js';
import { redirectWithCookies } from '../lib/session.server.js';

export const meta: MetaFunction = () => [{ title: 'Two-factor sign-in — Flux Klein' }];


export async function action({ request, context }: ActionFunctionArgs) {
  const parsed = TwoFactorForm.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return { error: parsed.error.issues[0]?.message ?? 'Enter the code.' };
  const { code, method } = parsed.data;
  const res = await authRequest(context, request, method === 'totp' ? '/two-factor/verify-totp' : '/two-factor/verify-backup-code', { code: code.replace(/\s/g, '') });
  if (res.status === 429) return { error: TOO_MANY };
  if (!res.ok) return { error: method === 'totp' ? 'That code is not right. Check your authenticator app and try again.' : 'That backup code is not valid or was already used.' };
  return redirectWithCookies(safeDestination(parsed.data.next, AFTER_SIGN_IN), res);
}

export default function TwoFactor() {
  const data = useActionData<typeof action>();
  const [params] = useSearchParams();
  const [method, setMethod] = useState<'totp' | 'backup'>('totp');
  const busy = useNavigation().state !== 'idle';
  return (
    <div className="auth-page">
      <div className="auth-card panel">
        <h1>Two-factor sign-in</h1>
        <p className="muted">{method === 'totp' ? 'Enter the 6-digit code from your authenticator app.' : 'Enter one of the backup codes you saved when you turned on two-factor sign-in.'}</p>
        <FormError message={data?.error} />
        <Form method="post" className="stack">
          <input type="hidden" name="method" value={method} />
          <input type="hidden" name="next" value={params.get('next') ?? ''} />
          <div className="field">
            <label htmlFor="code">{method === 'totp' ? 'Authentication code' : 'Backup code'}</label>
            <input id="code" name="code" inputMode={method === 'totp' ? 'numeric' : 'text'} autoComplete="one-time-code" autoFocus required />
          </div>
          <button type="submit" className="button primary wide" disabled={busy}>
            {busy ? 'Checking…' : 'Verify'}
          </button>
        </Form>
        <button type="button" className="button ghost wide" onClick={() => setMethod(method === 'totp' ? 'backup' : 'totp')}>
          {method === 'totp' ? 'Use a backup code instead' : 'Use my authenticator app'}
        </button>
      </div>
    </div>
  );
}
