// The account forms' schemas for the routes' actions (sign-in, sign-up, forgot and reset password,
// two-factor, account and security settings). Through a `.server` module, so the browser build
// leaves them (and zod, ~80 kB compressed) out of those pages (ADR 0024).
import { z } from 'zod';
import { EmailSchema, PasswordSchema } from '../../server/shared/auth.js';

export { SignInInput, SignUpInput } from '../../server/shared/auth.js';

export const ForgotPasswordForm = z.object({ email: EmailSchema });
export const ResetPasswordForm = z.object({ token: z.string().min(1).max(200), password: PasswordSchema });

export const TwoFactorForm = z.object({
  code: z.string().trim().min(6, 'Enter the code.').max(32),
  method: z.enum(['totp', 'backup']),
  next: z.string().optional(),
});

/** The account page's forms, by intent. */
export const AccountIntent = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('rename'), name: z.string().trim().min(1, 'Enter your name.').max(80, 'Keep the name under 80 characters.') }),
  z.object({ intent: z.literal('resend-verification') }),
  z.object({ intent: z.literal('unlink'), id: z.string().min(1) }),
  z.object({ intent: z.literal('change-email'), newEmail: EmailSchema }),
]);

/** The security page's forms, by intent. */
export const SecurityIntent = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('change-password'), currentPassword: z.string().min(1, 'Enter your current password.'), newPassword: PasswordSchema, signOutOthers: z.string().optional() }),
  z.object({ intent: z.literal('enable-2fa'), password: z.string().min(1, 'Enter your password.') }),
  z.object({ intent: z.literal('confirm-2fa'), code: z.string().trim().min(6).max(10) }),
  z.object({ intent: z.literal('disable-2fa'), password: z.string().min(1, 'Enter your password.') }),
  z.object({ intent: z.literal('revoke'), sessionId: z.string().min(1) }),
  z.object({ intent: z.literal('revoke-others') }),
]);
