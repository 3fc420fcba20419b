import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useActionData, useLoaderData, useSearchParams } from '@remix-run/react';
import { SignUpInput } from '../lib/auth-schemas.server.js';
import { AFTER_SIGN_IN } from '../../server/shared/auth-words.js';
import { safeDestination } from '../../server/shared/redirect.js';
import { AuthForm } from '../components/AuthForm.js';
import { fieldErrors } from '../lib/forms.js';
import { redirectWithCookies } from '../lib/session.server.js';
import { authPageData, authRequest, passwordProblem, passwordRefusal, TOO_MANY } from '../lib/auth.server.js';

export const meta: MetaFunction = () => [{ title: 'Create account — Flux Klein' }];

export const loader = ({ context }: LoaderFunctionArgs) => authPageData(context);

export async function action({ request, context }: ActionFunctionArgs) {
  const form = Object.fromEntries(await request.formData());
  const next = safeDestination(form.next, AFTER_SIGN_IN);
  const parsed = SignUpInput.safeParse(form);
  const values = { name: String(form.name ?? ''), email: String(form.email ?? '') };
  if (!parsed.success) return { error: null, fieldErrors: fieldErrors<'name' | 'email' | 'password'>(parsed.error), values };
  const weak = passwordProblem(parsed.data.password, parsed.data);
  if (weak) return { error: null, fieldErrors: { password: weak }, values };
  const res = await authRequest(context, request, '/sign-up/email', parsed.data);
  if (!res.ok) {
    const refused = await passwordRefusal(res);
    if (refused) return { error: null, fieldErrors: { password: refused }, values };
    const error = res.status === 429 ? TOO_MANY : 'We could not create an account with these details. Check them and try again.';
    return { error, fieldErrors: {}, values };
  }
  // Sign-up answers alike for new and existing addresses; signing in tells them apart only for someone who knows the password.
  const signIn = await authRequest(context, request, '/sign-in/email', { email: parsed.data.email, password: parsed.data.password });
  if (signIn.ok) return redirectWithCookies(next, signIn);
  return { error: 'Check your email: if this address already has an account, we sent you a message about signing in.', fieldErrors: {}, values };
}

export default function SignUp() {
  const data = useActionData<typeof action>();
  const { providers } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  return (
    <div className="auth-page">
      <AuthForm mode="sign-up" error={data?.error} fieldErrors={data?.fieldErrors} values={data?.values ?? { email: params.get('email')?.slice(0, 254) ?? '' }} next={safeDestination(params.get('next'), AFTER_SIGN_IN)} providers={providers} error2={params.get('error') === 'provider' ? 'Signing in with that provider did not work. Try again, or use your email and password.' : null} />
    </div>
  );
}
