/**
 * The optional hosted prompt check: OpenAI's moderation API (`POST /v1/moderations`, `{ input }` →
 * `{ results: [{ flagged, categories, category_scores }] }`), or anything speaking that protocol
 * (MODERATION_API_URL / MODERATION_API_KEY / MODERATION_API_MODEL). Only the prompt is sent.
 *
 * It fails closed: an answer we cannot use (network error, timeout, non-2xx, another shape) is
 * MODERATION_UNAVAILABLE, and the generation is not started — an operator who configured the
 * check does not want prompts to pass unchecked while it is down. The tests run it against
 * testing/fake-moderation.ts.
 */
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import type { ModerationCategory } from '../../shared/moderation.js';

export interface HostedApi {
  url: string;
  key: string;
  model: string;
}

const Answer = z.object({
  results: z
    .array(
      z.object({
        flagged: z.boolean(),
        categories: z.record(z.string(), z.boolean()),
        category_scores: z.record(z.string(), z.number()).optional(),
      }),
    )
    .min(1),
});

/** OpenAI's category names → ours (the most specific first). */
export function categoryFor(name: string): ModerationCategory {
  if (name === 'sexual/minors') return 'minors';
  const head = name.split('/')[0]!;
  if (head === 'sexual') return 'sexual';
  if (head === 'violence') return 'violence';
  if (head === 'self-harm') return 'self-harm';
  if (head === 'hate') return 'hate';
  if (head === 'harassment') return 'harassment';
  return 'illicit'; // illicit, illicit/violent, and any category we do not know yet
}

export interface HostedVerdict {
  flagged: boolean;
  category: ModerationCategory | null;
}

const TIMEOUT_MS = 8_000;

export async function checkWithHostedApi(api: HostedApi, input: string, opts: { fetch?: typeof fetch; timeoutMs?: number } = {}): Promise<HostedVerdict> {
  const unavailable = (cause: unknown) => new AppError('MODERATION_UNAVAILABLE', { cause });
  let body: unknown;
  try {
    const res = await (opts.fetch ?? fetch)(`${api.url}/moderations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${api.key}` },
      body: JSON.stringify({ model: api.model, input }),
      signal: AbortSignal.timeout(opts.timeoutMs ?? TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`moderation API answered ${res.status}`);
    body = await res.json();
  } catch (err) {
    throw unavailable(err);
  }
  const parsed = Answer.safeParse(body);
  if (!parsed.success) throw unavailable(new Error('moderation API answered in an unexpected shape'));
  const result = parsed.data.results[0]!;
  if (!result.flagged) return { flagged: false, category: null };
  // The flagged category with the highest score names the refusal ("sexual/minors" wins over "sexual").
  const flagged = Object.entries(result.categories).filter(([, on]) => on).map(([name]) => name);
  const scores = result.category_scores ?? {};
  flagged.sort((a, b) => (a === 'sexual/minors' ? -1 : b === 'sexual/minors' ? 1 : (scores[b] ?? 0) - (scores[a] ?? 0)));
  return { flagged: true, category: flagged[0] ? categoryFor(flagged[0]) : 'illicit' };
}
