import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';

/** Security- and privacy-relevant actions, kept (pseudonymised on account deletion). Never contents. */
export type AuditAction = 'role.changed' | 'privacy-request.created' | 'sign-in' | 'consent.changed' | 'policies.accepted' | 'export.requested' | 'export.ready' | 'export.downloaded' | 'export.failed' | 'deletion.requested' | 'deletion.canceled' | 'deletion.completed' | 'deletion.failed' | 'deletion.replayed' | 'moderation.suspended' | 'moderation.appealed' | 'moderation.suspension.lifted' | 'moderation.term.added' | 'moderation.term.removed' | 'moderation.image-policy.changed';

export async function audit(db: Kysely<DB> | Transaction<DB>, userId: string | null, action: AuditAction, detail: Record<string, unknown> = {}) {
  await db.insertInto('audit_log').values({ user_id: userId, action, detail: JSON.stringify(detail) }).execute();
}
