import { sql, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Config } from '../config.js';
import { AppError } from '../shared/errors.js';
import { lockLedger } from './credits.js';

/**
 * Rate limits on starting generations, beside credits: per user, generations started in the last
 * minute and generations queued or running at once; per workspace, generations queued or running
 * at once. Checked inside the transaction that inserts the generation, after taking the
 * workspace's ledger lock and an advisory lock on the user, so concurrent requests are counted one
 * after the other and cannot both slip under a limit. A refusal is RATE_LIMITED (429) with a
 * message saying when to try again and `retryAfterSeconds` for the Retry-After header; the
 * transaction rolls back, so nothing is stored or charged.
 */
export type GenerationLimits = Config['generationLimits'];

const WINDOW_SECONDS = 60;
/** No way to know when a running job ends; a short, honest guess for Retry-After. */
const IN_FLIGHT_RETRY_SECONDS = 10;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export async function checkGenerationLimits(trx: Transaction<DB>, limits: GenerationLimits, who: { userId: string; workspaceId: string }): Promise<void> {
  // Lock order: the workspace (the ledger lock, as reserveCredits takes it), then the user.
  await lockLedger(trx, who.workspaceId);
  await sql`select pg_advisory_xact_lock(hashtextextended(${`generation-limits:${who.userId}`}, 0))`.execute(trx);

  const { rows } = await sql<{ recent: number; user_in_flight: number; workspace_in_flight: number }>`
    select
      (select count(*)::int from generation where user_id = ${who.userId} and created_at > clock_timestamp() - make_interval(secs => ${WINDOW_SECONDS})) as recent,
      (select count(*)::int from generation where user_id = ${who.userId} and status in ('queued', 'running')) as user_in_flight,
      (select count(*)::int from generation where workspace_id = ${who.workspaceId} and status in ('queued', 'running')) as workspace_in_flight`.execute(trx);
  const counts = rows[0]!;

  if (counts.recent >= limits.perUserPerMinute) {
    // The slot frees when the oldest generation that keeps the count at the limit leaves the window.
    const { rows: when } = await sql<{ seconds: number }>`
      select ceil(extract(epoch from (created_at + make_interval(secs => ${WINDOW_SECONDS}) - clock_timestamp())))::int as seconds
      from generation where user_id = ${who.userId} and created_at > clock_timestamp() - make_interval(secs => ${WINDOW_SECONDS})
      order by created_at desc offset ${limits.perUserPerMinute - 1} limit 1`.execute(trx);
    const seconds = Math.min(WINDOW_SECONDS, Math.max(1, when[0]?.seconds ?? WINDOW_SECONDS));
    throw new AppError('RATE_LIMITED', {
      userMessage: `You have started ${plural(counts.recent, 'generation')} in the last minute. Try again in ${plural(seconds, 'second')}.`,
      retryAfterSeconds: seconds,
    });
  }
  if (counts.user_in_flight >= limits.perUserInFlight) {
    throw new AppError('RATE_LIMITED', {
      userMessage: `You have ${plural(counts.user_in_flight, 'generation')} in progress, the most at once. Try again when one finishes.`,
      retryAfterSeconds: IN_FLIGHT_RETRY_SECONDS,
    });
  }
  if (counts.workspace_in_flight >= limits.perWorkspaceInFlight) {
    throw new AppError('RATE_LIMITED', {
      userMessage: `This workspace has ${plural(counts.workspace_in_flight, 'generation')} in progress, the most at once. Try again when one finishes.`,
      retryAfterSeconds: IN_FLIGHT_RETRY_SECONDS,
    });
  }
}
