import type { z } from 'zod';
import { CLIENT_IP_HEADER } from '../shared/client-ip.js';
import { AnalyticsInput, CONSENT_COOKIE, decodeConsentCookie, encodeConsentCookie, POLICY_VERSION, SetConsentInput, type ConsentChoice } from '../shared/consent.js';
import { rooms } from '../shared/realtime.js';
import type { Deps } from './deps.js';
import { audit } from './audit.js';

/** The network an address belongs to, never the address: IPv4 /24, IPv6 /48. */
export function truncateIp(ip: string | null | undefined): string | null {
  if (!ip) return null;
  const v4 = ip.replace(/^::ffff:/, '');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  if (ip.includes(':')) {
    const groups = ip.split('::')[0]!.split(':').filter(Boolean);
    return `${[...groups, '0', '0', '0'].slice(0, 3).join(':')}::/48`;
  }
  return null;
}

export interface ConsentState extends ConsentChoice {
  decided: boolean;
  at: Date | null;
}

const NONE: ConsentState = { decided: false, preferences: false, analytics: false, at: null };

/**
 * The choice in force: for a signed-in person, their latest record, after merging a newer choice
 * they made as a visitor (the first-party cookie); for a visitor, the cookie. Latest wins.
 */
export async function currentConsent(deps: Pick<Deps, 'db'>, who: { userId: string | null; cookie: string | null; ip?: string | null }): Promise<ConsentState> {
  const fromCookie = decodeConsentCookie(who.cookie);
  if (!who.userId) return fromCookie ? { decided: true, preferences: fromCookie.preferences, analytics: fromCookie.analytics, at: fromCookie.at } : NONE;
  let latest = await deps.db.selectFrom('consent_record').selectAll().where('user_id', '=', who.userId).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
  if (fromCookie && (!latest || latest.created_at.getTime() < fromCookie.at.getTime())) {
    latest = await deps.db
      .insertInto('consent_record')
      .values({ user_id: who.userId, preferences: fromCookie.preferences, analytics: fromCookie.analytics, policy_version: fromCookie.version, source: 'visitor-cookie', ip_network: truncateIp(who.ip) })
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  return latest ? { decided: true, preferences: latest.preferences, analytics: latest.analytics, at: latest.created_at } : NONE;
}

/** Records a choice (append-only for signed-in people) and returns the cookie that carries it. */
export async function setConsent(deps: Deps, who: { userId: string | null; ip?: string | null }, raw: z.input<typeof SetConsentInput>) {
  const input = SetConsentInput.parse(raw);
  const at = new Date();
  if (who.userId) {
    const row = await deps.db
      .insertInto('consent_record')
      .values({ user_id: who.userId, ...input.choice, policy_version: POLICY_VERSION, source: input.source, ip_network: truncateIp(who.ip) })
      .returning('created_at')
      .executeTakeFirstOrThrow();
    deps.notifier.emit(rooms.user(who.userId), 'consent:changed', { ...input.choice });
    await audit(deps.db, who.userId, 'consent.changed', { ...input.choice, source: input.source });
    return { cookie: encodeConsentCookie(input.choice, row.created_at), state: { decided: true, ...input.choice, at: row.created_at } };
  }
  return { cookie: encodeConsentCookie(input.choice, at), state: { decided: true, ...input.choice, at } };
}

export async function consentHistory(deps: Pick<Deps, 'db'>, userId: string) {
  return deps.db.selectFrom('consent_record').select(['preferences', 'analytics', 'policy_version', 'source', 'created_at']).where('user_id', '=', userId).orderBy('created_at', 'desc').limit(50).execute();
}

/** First-party analytics: recorded only with consent, never with an address. */
export async function recordAnalytics(deps: Deps, who: { userId: string | null; cookie: string | null }, raw: z.input<typeof AnalyticsInput>): Promise<{ recorded: boolean }> {
  const input = AnalyticsInput.parse(raw);
  const consent = await currentConsent(deps, who);
  if (!consent.analytics) return { recorded: false };
  await deps.db.insertInto('analytics_event').values({ user_id: who.userId, name: input.name, path: input.path ?? null }).execute();
  return { recorded: true };
}

/** The consent state for a request's headers (its consent cookie and client address), as the root page shows it. */
export async function consentForRequest(deps: Pick<Deps, 'db'>, userId: string | null, headers: Headers): Promise<Pick<ConsentState, 'decided' | 'preferences' | 'analytics'>> {
  const prefix = `${CONSENT_COOKIE}=`;
  const cookie = (headers.get('cookie') ?? '').split(';').map((c) => c.trim()).find((c) => c.startsWith(prefix))?.slice(prefix.length) ?? null;
  const s = await currentConsent(deps, { userId, cookie, ip: headers.get(CLIENT_IP_HEADER) });
  return { decided: s.decided, preferences: s.preferences, analytics: s.analytics };
}
