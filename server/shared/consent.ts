import { z } from 'zod';

/** Cookie and local-storage categories. "Necessary" (session, consent cookie, current workspace) is always on. */
export const POLICY_VERSION = '2026-11-24';
export const CONSENT_COOKIE = 'fk_consent';

export const ConsentChoice = z.strictObject(
  { preferences: z.boolean(), analytics: z.boolean() },
  { error: 'Consent may only name the preferences and analytics categories.' },
);
export type ConsentChoice = z.infer<typeof ConsentChoice>;

export const SetConsentInput = z.strictObject({ choice: ConsentChoice, source: z.enum(['banner', 'settings']) });

export const AnalyticsInput = z.strictObject({ name: z.enum(['page_view', 'generation_started', 'library_search']), path: z.string().max(200).regex(/^\//).optional() });

export { STORAGE_KEYS } from './consent-storage.js';

/** The visitor cookie: the choice and when it was made. */
export function encodeConsentCookie(c: ConsentChoice, at: Date): string {
  return `${POLICY_VERSION}.${c.preferences ? 1 : 0}${c.analytics ? 1 : 0}.${at.getTime()}`;
}
export function decodeConsentCookie(v: string | undefined | null): (ConsentChoice & { at: Date; version: string }) | null {
  const m = v?.match(/^([0-9-]{10})\.([01])([01])\.(\d{10,14})$/);
  if (!m) return null;
  return { version: m[1]!, preferences: m[2] === '1', analytics: m[3] === '1', at: new Date(Number(m[4])) };
}
