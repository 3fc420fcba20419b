/**
 * The password policy, checked wherever a password is set (sign-up, reset, change: the
 * better-auth hook in server/auth/password-policy.ts enforces it; the forms' actions call the same
 * function to show the problem next to the field). Offline: zxcvbn-ts with its common and English
 * dictionaries, no network look-up.
 *
 * Refused: shorter than 8 or longer than 128 characters; containing the account's email address,
 * the part of it before the @, or its name; or guessable (zxcvbn score below 3, i.e. fewer than
 * about 10^8 guesses: the common passwords, words, keyboard walks, dates and repeats it knows).
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;
export const PASSWORD_MIN_SCORE = 3;
export { PASSWORD_HINT } from './auth.js';

export interface PasswordOwner {
  email?: string | null;
  name?: string | null;
}

let factory: ZxcvbnFactory | null = null;
function zxcvbn(): ZxcvbnFactory {
  factory ??= new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEn.translations,
  });
  return factory;
}

const fold = (s: string) => s.normalize('NFKC').toLowerCase().replace(/\s+/g, '');

/** The parts of the owner that must not be in the password: whole email, its local part, the name and its longer words. */
function personalParts(owner: PasswordOwner): string[] {
  const parts = new Set<string>();
  const email = owner.email?.trim();
  if (email) {
    parts.add(fold(email));
    const local = email.split('@')[0] ?? '';
    if (local.length >= 3) parts.add(fold(local));
  }
  const name = owner.name?.trim();
  if (name) {
    if (fold(name).length >= 3) parts.add(fold(name));
    for (const word of name.split(/[\s.,_-]+/)) if (word.length >= 4) parts.add(fold(word));
  }
  return [...parts].filter(Boolean);
}

/** Why this password is refused, as a sentence saying what to do; null when it is acceptable. */
export function passwordProblem(password: string, owner: PasswordOwner = {}): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters for the password.`;
  if (password.length > PASSWORD_MAX_LENGTH) return `Use at most ${PASSWORD_MAX_LENGTH} characters for the password.`;
  const folded = fold(password);
  const parts = personalParts(owner);
  if (parts.some((p) => folded.includes(p))) return 'Do not use your name or email address in the password. Choose a few unrelated words instead.';
  const result = zxcvbn().check(password, parts);
  if (result.score < PASSWORD_MIN_SCORE) {
    const why = result.feedback.warning ? `${result.feedback.warning.replace(/\.$/, '')}. ` : '';
    return `That password is too easy to guess. ${why}Use a longer one: a few unrelated words work well.`;
  }
  return null;
}
