import { z } from 'zod';

export const EmailSchema = z.string().trim().toLowerCase().pipe(z.email({ error: 'Enter a valid email address.' }).max(254, 'That email address is too long.'));
/** What the forms say under a new-password field (the policy: server/shared/password-policy.ts). */
export const PASSWORD_HINT = 'At least 8 characters; not a common password, your name or your email address. A few unrelated words work well.';
export const PasswordSchema = z.string().min(8, 'Use at least 8 characters for the password.').max(128, 'Use at most 128 characters for the password.');

export const SignUpInput = z.object({
  name: z.string().trim().min(1, 'Enter your name.').max(80, 'Keep the name under 80 characters.'),
  email: EmailSchema,
  password: PasswordSchema,
});

export const SignInInput = z.object({
  email: EmailSchema,
  password: z.string().min(1, 'Enter your password.').max(128),
});

/** Where a person lands after signing in when no (acceptable) destination was given. */
export const AFTER_SIGN_IN = '/studio';
