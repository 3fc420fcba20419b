import { UAParser } from 'ua-parser-js';
import type { Deps } from './deps.js';
import { truncateIp } from './consent.js';

/** "Chrome 131 on macOS" from a user agent; never the raw string. */
export function deviceOf(ua: string | undefined | null): string | null {
  if (!ua) return null;
  const r = new UAParser(ua).getResult();
  const browser = [r.browser.name, r.browser.major].filter(Boolean).join(' ');
  const os = r.os.name ?? '';
  return (browser ? `${browser}${os ? ` on ${os}` : ''}` : os) || 'Unknown client';
}

export interface UsageEntry {
  userId: string | null;
  method: string;
  route: string;
  status: number;
  errorCode?: string | null;
  userAgent?: string | null;
  ip?: string | null;
}

export async function recordUsage(deps: Pick<Deps, 'db'>, e: UsageEntry) {
  await deps.db
    .insertInto('usage_log')
    .values({ user_id: e.userId, method: e.method, route: e.route.slice(0, 120), status: e.status, error_code: e.errorCode ?? null, device: deviceOf(e.userAgent), ip_network: truncateIp(e.ip) })
    .execute();
}

export async function recentActivity(deps: Pick<Deps, 'db'>, userId: string, limit = 50) {
  return deps.db.selectFrom('usage_log').select(['at', 'method', 'route', 'status', 'error_code', 'device', 'ip_network']).where('user_id', '=', userId).orderBy('at', 'desc').limit(limit).execute();
}
