import type { z } from 'zod';
import { AppError } from '../shared/errors.js';
import { PrivacyRequestInput, PrivacyRequestStatusInput } from '../shared/privacy.js';
import { audit } from './audit.js';
import { requireOperator } from './operators.js';
import type { Actor, Deps } from './deps.js';

/** Requests about one's data that self-service does not cover; recorded with a status an admin updates. */
export async function createPrivacyRequest(deps: Deps, actor: Actor, raw: z.input<typeof PrivacyRequestInput>) {
  const input = PrivacyRequestInput.parse(raw);
  const row = await deps.db.insertInto('privacy_request').values({ user_id: actor.userId, kind: input.kind, message: input.message }).returning(['id', 'kind', 'status', 'created_at']).executeTakeFirstOrThrow();
  await audit(deps.db, actor.userId, 'privacy-request.created', { requestId: row.id, kind: input.kind });
  return row;
}

export async function myPrivacyRequests(deps: Deps, actor: Actor) {
  return deps.db.selectFrom('privacy_request').select(['id', 'kind', 'message', 'status', 'created_at', 'updated_at']).where('user_id', '=', actor.userId).orderBy('created_at', 'desc').execute();
}

export async function listPrivacyRequests(deps: Deps, actor: Actor) {
  await requireOperator(deps, actor);
  // Looking at other people's requests is audited, like every console page with personal data.
  await audit(deps.db, actor.userId, 'admin.viewed', { page: 'privacy-requests' });
  return deps.db
    .selectFrom('privacy_request')
    .leftJoin('user', 'user.id', 'privacy_request.user_id')
    .select(['privacy_request.id', 'privacy_request.kind', 'privacy_request.message', 'privacy_request.status', 'privacy_request.created_at', 'user.email'])
    .orderBy('privacy_request.created_at', 'desc')
    .limit(200)
    .execute();
}

export async function setPrivacyRequestStatus(deps: Deps, actor: Actor, raw: z.input<typeof PrivacyRequestStatusInput>) {
  await requireOperator(deps, actor);
  const input = PrivacyRequestStatusInput.parse(raw);
  const row = await deps.db.updateTable('privacy_request').set({ status: input.status, updated_at: new Date() }).where('id', '=', input.id).returning(['id', 'status']).executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  return row;
}
