import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { POLICIES, POLICY_NAMES, type PolicyName } from '../shared/policies.js';

/** Policies whose current version the person has not accepted yet, with what changed. */
export async function pendingPolicies(db: Kysely<DB>, userId: string) {
  const rows = await db.selectFrom('policy_acceptance').select(['policy', 'version']).where('user_id', '=', userId).execute();
  return POLICY_NAMES.filter((p) => !rows.some((r) => r.policy === p && r.version === POLICIES[p].version)).map((p) => ({ policy: p, ...POLICIES[p] }));
}

/** Records acceptance of the current versions (idempotent per policy and version). */
export async function acceptPolicies(db: Kysely<DB>, userId: string, method: 'sign-up' | 'clicked' | 'continued-use', names: PolicyName[] = POLICY_NAMES) {
  if (names.length === 0) return;
  await db
    .insertInto('policy_acceptance')
    .values(names.map((p) => ({ user_id: userId, policy: p, version: POLICIES[p].version, method })))
    .onConflict((oc) => oc.columns(['user_id', 'policy', 'version']).doNothing())
    .execute();
}
