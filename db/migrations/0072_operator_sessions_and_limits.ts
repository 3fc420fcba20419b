import { sql, type Kysely } from 'kysely';

/**
 * Two things the trust review asked for:
 * - `session.twoFactorVerified`: true only for a session created by completing a second factor
 *   (better-auth's /two-factor/verify-* endpoints). Operator pages need it when the account has
 *   two-factor on, since sessions from OAuth or from before 2FA was enabled never passed one.
 * - `rate_limit_hit`: a sliding-window log of counted actions by key (sign-in attempts per client
 *   address, invitations per sender and per workspace). Rows older than their window are pruned
 *   on the next hit of the same key; better-auth's own `rateLimit` table is left to better-auth
 *   (it prunes rows by its own shortest windows).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('session').addColumn('twoFactorVerified', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
  await db.schema
    .createTable('rate_limit_hit')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('rate_limit_hit_key_at_idx').on('rate_limit_hit').columns(['key', 'at']).execute();
}
