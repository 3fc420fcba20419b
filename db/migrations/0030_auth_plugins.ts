import { type Kysely, sql } from 'kysely';

/** better-auth plugins: two-factor (TOTP + backup codes) and its rate limiter's table (kept in Postgres). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('user').addColumn('twoFactorEnabled', 'boolean', (c) => c.defaultTo(false)).execute();
  await db.schema
    .createTable('twoFactor')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('backupCodes', 'text', (c) => c.notNull())
    .addColumn('userId', 'text', (c) => c.notNull().references('user.id').onDelete('cascade'))
    .addColumn('verified', 'boolean', (c) => c.defaultTo(true))
    .addColumn('failedVerificationCount', 'integer', (c) => c.defaultTo(0))
    .addColumn('lockedUntil', 'timestamptz')
    .execute();
  await db.schema.createIndex('two_factor_user_idx').on('twoFactor').column('userId').execute();
  await db.schema.createIndex('two_factor_secret_idx').on('twoFactor').column('secret').execute();
  await db.schema
    .createTable('rateLimit')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('lastRequest', 'bigint', (c) => c.notNull().defaultTo(sql`0`))
    .execute();
}
