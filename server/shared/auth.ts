import { z } from 'zod';

export { AFTER_SIGN_IN, PASSWORD_HINT } from './auth-words.js';

export const EmailSchema = z.string().trim().toLowerCase().pipe(z.email({ error: 'Enter a valid email address.' }).max(254, 'That email address is too long.'));
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

