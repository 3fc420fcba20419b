import { type Kysely, sql } from 'kysely';

/**
 * Billing records are kept when a workspace is deleted (the policy retains them): their link to the
 * workspace is cleared instead of the rows being deleted with it.
 */
// billing_customer is keyed by the workspace and goes with it; the customer stays in Stripe's records.
const TABLES = ['credit_ledger', 'subscription', 'invoice', 'credit_purchase'];

export async function up(db: Kysely<any>): Promise<void> {
  for (const t of TABLES) {
    await sql`alter table ${sql.table(t)} drop constraint if exists ${sql.raw(`${t}_workspace_id_fkey`)}`.execute(db);
    await sql`alter table ${sql.table(t)} alter column workspace_id drop not null`.execute(db);
    await sql`alter table ${sql.table(t)} add constraint ${sql.raw(`${t}_workspace_id_fkey`)} foreign key (workspace_id) references workspace(id) on delete set null`.execute(db);
  }
}
