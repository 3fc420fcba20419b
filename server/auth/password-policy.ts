/**
 * Enforces the password policy (server/shared/password-policy.ts) inside better-auth, before any
 * endpoint that sets a password: sign-up, reset by emailed link, change while signed in, and
 * set-password (server-only in better-auth: adding a password to an account made by OAuth). The
 * owner whose name and address the password must not contain is the one the request is about:
 * the sign-up's fields, the reset token's account, or the signed-in account.
 */
import { APIError, createAuthMiddleware, getSessionFromCtx } from 'better-auth/api';
import { passwordProblem, type PasswordOwner } from '../shared/password-policy.js';

export const PASSWORD_POLICY_CODE = 'PASSWORD_TOO_WEAK';

export type Ctx = Parameters<Parameters<typeof createAuthMiddleware>[0]>[0];

async function ownerOf(ctx: Ctx): Promise<PasswordOwner> {
  const body = (ctx.body ?? {}) as Record<string, unknown>;
  switch (ctx.path) {
    case '/sign-up/email':
      return { email: typeof body.email === 'string' ? body.email : null, name: typeof body.name === 'string' ? body.name : null };
    case '/reset-password': {
      const token = typeof body.token === 'string' ? body.token : (ctx.query as { token?: string } | undefined)?.token;
      const v = token ? await ctx.context.internalAdapter.findVerificationValue(`reset-password:${token}`) : null;
      const user = v ? await ctx.context.internalAdapter.findUserById(v.value) : null;
      return { email: user?.email, name: user?.name };
    }
    default: {
      const session = await getSessionFromCtx(ctx).catch(() => null);
      return { email: session?.user.email, name: session?.user.name };
    }
  }
}

const NEW_PASSWORD_FIELD: Record<string, 'password' | 'newPassword'> = {
  '/sign-up/email': 'password',
  '/reset-password': 'newPassword',
  '/change-password': 'newPassword',
  '/set-password': 'newPassword',
};

/** Throws the policy's refusal for a request that sets a password; nothing for other requests. */
export async function enforcePasswordPolicy(ctx: Ctx): Promise<void> {
  const field = NEW_PASSWORD_FIELD[ctx.path];
  if (!field) return;
  const password = (ctx.body as Record<string, unknown> | undefined)?.[field];
  if (typeof password !== 'string') return; // better-auth's own validation answers
  const problem = passwordProblem(password, await ownerOf(ctx));
  if (problem) throw APIError.from('BAD_REQUEST', { code: PASSWORD_POLICY_CODE, message: problem });
}
