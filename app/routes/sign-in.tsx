import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useActionData, useLoaderData, useSearchParams } from '@remix-run/react';
import { SignInInput } from '../lib/auth-schemas.server.js';
import { AFTER_SIGN_IN } from '../../server/shared/auth-words.js';
import { safeDestination } from '../../server/shared/redirect.js';
import { AuthForm } from '../components/AuthForm.js';
import { bannedMessage } from '../../server/shared/report-words.js';
import { fieldErrors } from '../lib/forms.js';
import { redirectWithCookies } from '../lib/session.server.js';
import { authPageData, authRequest, TOO_MANY } from '../lib/auth.server.js';

export const meta: MetaFunction = () => [{ title: 'Sign in — Flux Klein' }];

export const loader = ({ context }: LoaderFunctionArgs) => authPageData(context);

export async function action({ request, context }: ActionFunctionArgs) {
  const form = Object.fromEntries(await request.formData());
  const next = safeDestination(form.next, AFTER_SIGN_IN);
  const parsed = SignInInput.safeParse(form);
  const values = { email: String(form.email ?? '') };
  if (!parsed.success) return { error: null, fieldErrors: fieldErrors<'email' | 'password'>(parsed.error), values };
  const res = await authRequest(context, request, '/sign-in/email', parsed.data);
  if (!res.ok) {
    // A banned account is told so (only after the right password: no oracle), with where to appeal.
    const banned = res.status === 403 ? ((await res.clone().json().catch(() => null)) as { code?: string; message?: string } | null) : null;
    if (banned?.code === 'ACCOUNT_BANNED' && banned.message) return { error: banned.message, fieldErrors: {}, values };
    const error = res.status === 429 ? TOO_MANY : 'That email and password do not match an account.';
    return { error, fieldErrors: {}, values };
  }
  const body = (await res.clone().json().catch(() => ({}))) as { twoFactorRedirect?: boolean };
  if (body.twoFactorRedirect) return redirectWithCookies(`/sign-in/two-factor?next=${encodeURIComponent(next)}`, res);
  return redirectWithCookies(next, res);
}

export default function SignIn() {
  const data = useActionData<typeof action>();
  const { providers, appealsEmail } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  return (
    <div className="auth-page stack-center">
      {params.get('reset') ? (
        <p className="panel notice auth-card" role="status">
          Your password was changed. Sign in with the new one.
        </p>
      ) : null}
      <AuthForm mode="sign-in" error={data?.error} fieldErrors={data?.fieldErrors} values={data?.values} next={safeDestination(params.get('next'), AFTER_SIGN_IN)} providers={providers} error2={
          // An OAuth sign-in refused for a ban comes back with error=ACCOUNT_BANNED (the words are ours, never the URL's).
          params.getAll('error').includes('ACCOUNT_BANNED')
            ? bannedMessage(appealsEmail ?? undefined)
            : params.get('error') === 'provider'
              ? 'Signing in with that provider did not work. Try again, or use your email and password.'
              : null
        } />
    </div>
  );
}
