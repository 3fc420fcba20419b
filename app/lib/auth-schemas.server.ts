// The sign-in and sign-up schemas for the routes' actions. Through a `.server` module, so the
// browser build leaves them (and zod, ~80 kB compressed) out of those pages (ADR 0024).
export { SignInInput, SignUpInput } from '../../server/shared/auth.js';
