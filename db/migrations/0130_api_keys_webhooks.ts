import { sql, type Kysely } from 'kysely';

/**
 * The public API and outgoing webhooks (issue 18, ADR 0019):
 *
 * - `api_key`: a secret a program sends as `Authorization: Bearer fk_…`. Only its SHA-256 is kept
 *   (`token_hash`, unique) and a short `prefix` to recognise it by; the whole key is shown once.
 *   A key acts as its `user_id` in `workspace_id` with its `scopes` ('read', 'generate'); a
 *   'personal' key belongs to its user alone, a 'workspace' key is managed by the workspace's
 *   owners and admins. Revoked keys stay (revoked_at, revoked_by) so the list says what happened.
 * - `webhook_endpoint`: a workspace's receiver URL, its signing secret (`whsec_…`, needed in clear
 *   to sign), and the events it wants.
 * - `webhook_delivery`: one message to one endpoint and what came of it (status, attempts, the
 *   last answer). `message_id` is the Standard Webhooks `webhook-id`, the same on every attempt
 *   and on a "send again" (`resend_of`), so a receiver can drop duplicates; the first delivery of
 *   a message per endpoint is unique, so an event announced twice is sent once.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_key')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'text', (c) => c.notNull().references('user.id').onDelete('cascade'))
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspace.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('personal', 'workspace')`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', sql`text[]`, (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_by', 'text', (c) => c.references('user.id').onDelete('set null'))
    .execute();
  await sql`create index api_key_user_idx on api_key (user_id, created_at desc)`.execute(db);
  await sql`create index api_key_workspace_idx on api_key (workspace_id, created_at desc) where kind = 'workspace'`.execute(db);

  await db.schema
    .createTable('webhook_endpoint')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspace.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('events', sql`text[]`, (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('user.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await sql`create index webhook_endpoint_workspace_idx on webhook_endpoint (workspace_id) where deleted_at is null`.execute(db);

  await db.schema
    .createTable('webhook_delivery')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('endpoint_id', 'uuid', (c) => c.notNull().references('webhook_endpoint.id').onDelete('cascade'))
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspace.id').onDelete('cascade'))
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('resend_of', 'uuid', (c) => c.references('webhook_delivery.id').onDelete('set null'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending', 'succeeded', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_attempt_at', 'timestamptz')
    .addColumn('delivered_at', 'timestamptz')
    .execute();
  await sql`create unique index webhook_delivery_once on webhook_delivery (endpoint_id, message_id) where resend_of is null`.execute(db);
  await sql`create index webhook_delivery_log_idx on webhook_delivery (endpoint_id, created_at desc)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_delivery').execute();
  await db.schema.dropTable('webhook_endpoint').execute();
  await db.schema.dropTable('api_key').execute();
}
