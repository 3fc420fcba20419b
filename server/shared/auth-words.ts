// Words and places of the sign-in forms, without zod: the pages import these (ADR 0024).

/** What the forms say under a new-password field (the policy: server/shared/password-policy.ts). */
export const PASSWORD_HINT = 'At least 8 characters; not a common password, your name or your email address. A few unrelated words work well.';

/** Where a person lands after signing in when no (acceptable) destination was given. */
export const AFTER_SIGN_IN = '/studio';
