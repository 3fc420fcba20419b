import { Form, Link, useNavigation } from '@remix-run/react';
import { PASSWORD_HINT } from '../../server/shared/auth-words.js';
import { FormError } from './FormError.js';
import { SocialButtons } from './SocialButtons.js';

export interface AuthFormProps {
  mode: 'sign-in' | 'sign-up';
  error?: string | null;
  fieldErrors?: Partial<Record<'name' | 'email' | 'password', string>>;
  values?: { name?: string; email?: string };
  next: string;
  providers?: string[];
  /** An error from a provider round trip (shown when there is no form error). */
  error2?: string | null;
}

export function AuthForm({ mode, error: formError, fieldErrors = {}, values = {}, next, providers = [], error2 }: AuthFormProps) {
  const error = formError ?? error2;
  const navigation = useNavigation();
  const busy = navigation.state !== 'idle' && navigation.formMethod === 'POST';
  const signUp = mode === 'sign-up';
  const field = (name: 'name' | 'email' | 'password') => ({
    id: name,
    name,
    'aria-invalid': fieldErrors[name] ? true : undefined,
    'aria-describedby': fieldErrors[name] ? `${name}-error` : undefined,
  });
  return (
    <div className="auth-card panel">
      <h1>{signUp ? 'Create your account' : 'Welcome back'}</h1>
      <p className="muted">{signUp ? 'Start generating in under a minute. You get a personal workspace right away.' : 'Sign in to your studio and library.'}</p>
      <FormError message={error} />
      <SocialButtons providers={providers} next={next} />
      <Form method="post" className="stack" noValidate>
        <input type="hidden" name="next" value={next} />
        {signUp ? (
          <div className="field">
            <label htmlFor="name">Name</label>
            <input {...field('name')} autoComplete="name" defaultValue={values.name} required maxLength={80} />
            {fieldErrors.name ? <p id="name-error" className="field-error">{fieldErrors.name}</p> : null}
          </div>
        ) : null}
        <div className="field">
          <label htmlFor="email">Email</label>
          <input {...field('email')} type="email" autoComplete="email" defaultValue={values.email} required />
          {fieldErrors.email ? <p id="email-error" className="field-error">{fieldErrors.email}</p> : null}
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input {...field('password')} type="password" autoComplete={signUp ? 'new-password' : 'current-password'} required minLength={signUp ? 8 : undefined} />
          {fieldErrors.password ? <p id="password-error" className="field-error">{fieldErrors.password}</p> : signUp ? <p className="hint">{PASSWORD_HINT}</p> : null}
        </div>
        {!signUp ? (
          <p className="small">
            <Link to="/forgot-password">Forgot your password?</Link>
          </p>
        ) : null}
        <button type="submit" className="button primary wide" disabled={busy}>
          {busy ? (signUp ? 'Creating account…' : 'Signing in…') : signUp ? 'Create account' : 'Sign in'}
        </button>
      </Form>
      <p className="muted small center">
        {signUp ? (
          <>
            Already have an account? <Link to={`/sign-in?next=${encodeURIComponent(next)}`}>Sign in</Link>
          </>
        ) : (
          <>
            New here? <Link to={`/sign-up?next=${encodeURIComponent(next)}`}>Create an account</Link>
          </>
        )}
      </p>
    </div>
  );
}
