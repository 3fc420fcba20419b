import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';

/** Security- and privacy-relevant actions, kept (pseudonymised on account deletion). Never contents. */
export type AuditAction = 'role.changed' | 'privacy-request.created' | 'sign-in' | 'consent.changed' | 'policies.accepted' | 'export.requested' | 'export.ready' | 'export.downloaded' | 'export.failed' | 'deletion.requested' | 'deletion.canceled' | 'deletion.completed' | 'deletion.failed' | 'deletion.replayed'
  // reports and takedown (issue 15): user_id is the person the action is about (the owner, the
  // reporter, the suspended account); detail.operator names the operator who took it.
  | 'report.created' | 'report.dismissed' | 'appeal.created' | 'appeal.answered'
  | 'asset.hidden' | 'asset.restored' | 'account.suspended' | 'account.banned' | 'account.reinstated'
  // the operator console: user_id is the operator; what they looked at or did
  | 'admin.viewed' | 'admin.job-retried' | 'admin.job-canceled'
  // moderation (issue 15): automatic suspensions, appeals and the operator's term list
  | 'moderation.suspended' | 'moderation.appealed' | 'moderation.suspension.lifted' | 'moderation.term.added' | 'moderation.term.removed' | 'moderation.image-policy.changed'
  // board comments (issue 17): an owner or admin let viewers comment, or stopped it
  | 'comments.settings.changed'
  // the public API and webhooks (issue 18): detail names the key or endpoint (never the secret)
  | 'api-key.created' | 'api-key.revoked' | 'webhook.created' | 'webhook.deleted' | 'webhook.resent'
  // share links (issue 17): user_id made, revoked or switched; detail names the board and link, never the token
  | 'share-link.created' | 'share-link.revoked' | 'share-links.setting';

export async function audit(db: Kysely<DB> | Transaction<DB>, userId: string | null, action: AuditAction, detail: Record<string, unknown> = {}) {
  await db.insertInto('audit_log').values({ user_id: userId, action, detail: JSON.stringify(detail) }).execute();
}
