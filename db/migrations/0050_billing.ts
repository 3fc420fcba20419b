import { type Kysely, sql } from 'kysely';

/**
 * Billing metadata only (from Stripe): customer id, subscription state, card brand and last four
 * digits, invoice ids and amounts. No column can hold a card number.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('billing_customer')
    .addColumn('workspace_id', 'uuid', (c) => c.primaryKey().references('workspace.id').onDelete('cascade'))
    .addColumn('stripe_customer_id', 'text', (c) => c.notNull().unique().check(sql`stripe_customer_id ~ '^cus_[A-Za-z0-9]+$'`))
    .addColumn('card_brand', 'text', (c) => c.check(sql`card_brand ~ '^[a-z_]{1,20}$'`))
    .addColumn('card_last4', 'text', (c) => c.check(sql`card_last4 ~ '^[0-9]{4}$'`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('subscription')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id ~ '^sub_[A-Za-z0-9]+$'`))
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspace.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('price_id', 'text', (c) => c.notNull())
    .addColumn('current_period_end', 'timestamptz')
    .addColumn('cancel_at_period_end', 'boolean', (c) => c.notNull().defaultTo(false))
    // Stripe's `created` of the newest event applied: older events arriving late are ignored.
    .addColumn('source_event_at', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('subscription_workspace_idx').on('subscription').column('workspace_id').execute();
  await db.schema
    .createTable('invoice')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id ~ '^in_[A-Za-z0-9]+$'`))
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspace.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('amount_cents', 'integer', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('hosted_invoice_url', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('stripe_event')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('processed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // One-off purchases, to find what a refund takes back.
  await db.schema
    .createTable('credit_purchase')
    .addColumn('payment_intent_id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspace.id').onDelete('cascade'))
    .addColumn('checkout_session_id', 'text', (c) => c.notNull().unique())
    .addColumn('credits', 'integer', (c) => c.notNull())
    .addColumn('amount_cents', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}
