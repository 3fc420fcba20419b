/**
 * Sliding-window limits on counted actions, kept in Postgres (table `rate_limit_hit`) so they hold
 * across processes. One key names one budget ("sign-in-address:203.0.113.9", "invite-sender:<id>").
 * A hit is counted only when allowed, so a refused flood does not grow the table; the key's rows
 * older than the window are pruned on its next hit. Serialised per key by a transaction-scoped
 * advisory lock, so two concurrent hits cannot both take the last place.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Config } from '../config.js';

export interface LimitRule {
  max: number;
  windowSeconds: number;
}

export type LimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export async function hitLimit(db: Kysely<DB>, key: string, rule: LimitRule): Promise<LimitDecision> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
    const since = sql<Date>`now() - make_interval(secs => ${rule.windowSeconds})`;
    await trx.deleteFrom('rate_limit_hit').where('key', '=', key).where(sql<boolean>`at <= ${since}`).execute();
    const { n, oldest } = await trx
      .selectFrom('rate_limit_hit')
      .select([(eb) => eb.fn.countAll<string>().as('n'), (eb) => eb.fn.min('at').as('oldest')])
      .where('key', '=', key)
      .executeTakeFirstOrThrow();
    if (Number(n) >= rule.max) {
      const retryAt = new Date(oldest as Date).getTime() + rule.windowSeconds * 1000;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((retryAt - Date.now()) / 1000)) };
    }
    await trx.insertInto('rate_limit_hit').values({ key }).execute();
    return { allowed: true };
  });
}

/** Forgets every counted hit of a key (e.g. an account's sign-in limit after a password reset). */
export async function clearLimit(db: Kysely<DB>, key: string): Promise<void> {
  await db.deleteFrom('rate_limit_hit').where('key', '=', key).execute();
}

// ---- share links: limits per link, per process (share-links.ts) ----

/** Token buckets by key (a link id), refilled per minute; the least recently used keys are forgotten beyond `maxKeys`. */
export class KeyedBuckets {
  private buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly perMinute: number,
    private readonly maxKeys = 10_000,
  ) {}
  /** Takes one token; false (and nothing taken) when the key has none left. */
  take(key: string): boolean {
    const now = Date.now();
    const b = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + ((now - b.at) / 60_000) * this.perMinute);
    b.at = now;
    this.buckets.delete(key);
    this.buckets.set(key, b);
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

export interface ShareLimits {
  /** page, file and report requests per link */
  requests: KeyedBuckets;
  /** socket connections and board joins per link */
  joins: KeyedBuckets;
}

export const createShareLimits = (boards: Pick<Config['boards'], 'shareRequestsPerMinute' | 'shareJoinsPerMinute'>): ShareLimits => ({
  requests: new KeyedBuckets(boards.shareRequestsPerMinute),
  joins: new KeyedBuckets(boards.shareJoinsPerMinute),
});
