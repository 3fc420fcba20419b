/**
 * The ledger as a page (/billing/ledger) and a CSV: every entry of a workspace with the balance
 * right after it, who caused it, and what it was for (the generation, or the payment processor's
 * invoice, checkout or charge); filtered by kind and day; plus, per member, what their generations
 * spent. Read-only over `credit_ledger` (ledger.ts writes it); any member may read it.
 */
import { sql, type Kysely } from 'kysely';
import type { z } from 'zod';
import type { DB } from '../../db/schema.js';
import { KIND_OF_REASON, LEDGER_CSV_MAX_ROWS, LedgerFilterInput, LedgerListInput, reasonsOf, type LedgerFilter, type LedgerRowView, type LedgerSpender } from '../shared/ledger.js';
import type { Actor, Deps } from './deps.js';
import { balanceOf } from './ledger.js';
import { beforeCursor, decodeCursor, page, type Cursor } from './pagination.js';
import { resolveWorkspace } from './workspaces.js';

const dayStart = (day: string) => sql<Date>`(${day}::date)::timestamp at time zone 'UTC'`;
const dayEnd = (day: string) => sql<Date>`(${day}::date + 1)::timestamp at time zone 'UTC'`;

/** The workspace's entries, newest first, each with the running balance computed over all of them. */
function entries(db: Kysely<DB>, workspaceId: string, filter: LedgerFilter, cursor: Cursor | null, limit: number) {
  return db
    .with('l', (qb) =>
      qb
        .selectFrom('credit_ledger')
        .select(['id', 'created_at', 'delta', 'reason', 'ref', 'user_id', sql<number>`(sum(delta) over (order by created_at, id))::int`.as('balance')])
        .where('workspace_id', '=', workspaceId),
    )
    .selectFrom('l')
    .leftJoin('user', 'user.id', 'l.user_id')
    .leftJoin('generation', (j) => j.on(sql<boolean>`l.reason like 'generation.%' and generation.id::text = l.ref`))
    .select([
      'l.id',
      'l.created_at',
      'l.delta',
      'l.reason',
      'l.ref',
      'l.balance',
      'l.user_id',
      'user.name as user_name',
      'generation.id as generation_id',
      'generation.prompt',
      sql<string | null>`(select a.id from asset a where a.generation_id = generation.id and a.source = 'output' and a.deleted_at is null and a.hidden_at is null order by a.storage_key limit 1)`.as('asset_id'),
    ])
    .$if(filter.kinds !== undefined && filter.kinds.length > 0, (q) => q.where('l.reason', 'in', reasonsOf(filter.kinds!)))
    .$if(filter.from !== undefined, (q) => q.where('l.created_at', '>=', dayStart(filter.from!)))
    .$if(filter.to !== undefined, (q) => q.where('l.created_at', '<', dayEnd(filter.to!)))
    .$if(cursor !== null, (q) => q.where(beforeCursor('l', cursor!)))
    .orderBy('l.created_at', 'desc')
    .orderBy('l.id', 'desc')
    .limit(limit);
}

type EntryRow = Awaited<ReturnType<ReturnType<typeof entries>['execute']>>[number];

function subjectOf(r: EntryRow): LedgerRowView['subject'] {
  if (r.reason.startsWith('generation.')) return { type: 'generation', id: r.ref, prompt: r.prompt ?? null, assetId: r.asset_id };
  if (r.reason === 'purchase') return { type: 'checkout', id: r.ref };
  if (r.reason === 'plan_grant') return { type: 'invoice', id: r.ref };
  if (r.reason === 'refund') return { type: 'charge', id: r.ref.split(':')[0]! };
  if (r.reason === 'transfer.in' || r.reason === 'transfer.out') return { type: 'transfer', id: r.ref.split(':').pop()! };
  return null;
}

function toView(r: EntryRow): LedgerRowView {
  return {
    id: r.id,
    createdAt: r.created_at,
    kind: KIND_OF_REASON[r.reason] ?? 'adjustment',
    reason: r.reason,
    delta: r.delta,
    balance: Number(r.balance),
    user: r.user_id ? { id: r.user_id, name: r.user_name ?? 'Deleted account' } : null,
    subject: subjectOf(r),
  };
}

/** What each member's generations spent in the period (reserved minus returned). */
async function spenders(db: Kysely<DB>, workspaceId: string, filter: LedgerFilter): Promise<LedgerSpender[]> {
  const rows = await db
    .selectFrom('credit_ledger')
    .leftJoin('user', 'user.id', 'credit_ledger.user_id')
    .select([
      'credit_ledger.user_id',
      'user.name',
      sql<number>`(-sum(credit_ledger.delta))::int`.as('spent'),
      sql<number>`(count(*) filter (where credit_ledger.reason = 'generation.reserve'))::int`.as('generations'),
    ])
    .where('credit_ledger.workspace_id', '=', workspaceId)
    .where('credit_ledger.reason', 'in', ['generation.reserve', 'generation.release', 'generation.partial_release'])
    .$if(filter.from !== undefined, (q) => q.where('credit_ledger.created_at', '>=', dayStart(filter.from!)))
    .$if(filter.to !== undefined, (q) => q.where('credit_ledger.created_at', '<', dayEnd(filter.to!)))
    .groupBy(['credit_ledger.user_id', 'user.name'])
    .orderBy('spent', 'desc')
    .execute();
  return rows.map((r) => ({ userId: r.user_id, name: r.user_id ? (r.name ?? 'Deleted account') : 'Deleted account', spent: Number(r.spent), generations: Number(r.generations) }));
}

/** One page of the ledger, the current balance, and who spent what (team workspaces). */
export async function listLedger(deps: Pick<Deps, 'db'>, actor: Actor, raw: z.input<typeof LedgerListInput>) {
  const input = LedgerListInput.parse(raw);
  const workspaceId = await resolveWorkspace(deps.db, actor, input.filter.workspaceId, 'viewer');
  const cursor = decodeCursor(input.cursor);
  const [rows, balance, ws, spent] = await Promise.all([
    entries(deps.db, workspaceId, input.filter, cursor, input.limit + 1).execute(),
    balanceOf(deps.db, workspaceId),
    deps.db.selectFrom('workspace').select('kind').where('id', '=', workspaceId).executeTakeFirstOrThrow(),
    spenders(deps.db, workspaceId, input.filter),
  ]);
  const { items, nextCursor } = page(rows, input.limit);
  return { workspaceId, balance, team: ws.kind === 'team', items: items.map(toView), nextCursor, spenders: spent };
}

/** Every entry within the filter (newest first, up to LEDGER_CSV_MAX_ROWS), for the CSV download. */
export async function exportLedger(deps: Pick<Deps, 'db'>, actor: Actor, raw: z.input<typeof LedgerFilterInput>) {
  const filter = LedgerFilterInput.parse(raw);
  const workspaceId = await resolveWorkspace(deps.db, actor, filter.workspaceId, 'viewer');
  const rows = await entries(deps.db, workspaceId, filter, null, LEDGER_CSV_MAX_ROWS + 1).execute();
  return { workspaceId, rows: rows.slice(0, LEDGER_CSV_MAX_ROWS).map(toView), truncated: rows.length > LEDGER_CSV_MAX_ROWS };
}
