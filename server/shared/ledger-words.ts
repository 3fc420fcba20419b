/**
 * The credit ledger as people read it (/billing/ledger): each stored reason belongs to one kind a
 * person filters by, the row they see, and the CSV they download. No schemas here (zod stays out of
 * the ledger page: ADR 0024); ledger.ts has the filter's and re-exports these.
 */
export const LEDGER_KINDS = ['grant', 'purchase', 'refund', 'reserve', 'capture', 'release', 'transfer', 'adjustment'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

/** Stored reason (credit_ledger.reason) → the kind it is shown and filtered as. */
export const KIND_OF_REASON: Record<string, LedgerKind> = {
  signup_grant: 'grant',
  team_grant: 'grant',
  plan_grant: 'grant',
  purchase: 'purchase',
  refund: 'refund',
  'generation.reserve': 'reserve',
  'generation.capture': 'capture',
  'generation.release': 'release',
  'generation.partial_release': 'release',
  'transfer.out': 'transfer',
  'transfer.in': 'transfer',
  adjustment: 'adjustment',
};

export const KIND_LABEL: Record<LedgerKind, string> = {
  grant: 'Grant',
  purchase: 'Purchase',
  refund: 'Refund',
  reserve: 'Reserved for a job',
  capture: 'Charged (job done)',
  release: 'Returned (job failed, canceled or partly delivered)',
  transfer: 'Transfer',
  adjustment: 'Adjustment',
};

export const REASON_LABEL: Record<string, string> = {
  signup_grant: 'Sign-up credits',
  team_grant: 'Starting credits of the team',
  plan_grant: 'Monthly plan credits',
  purchase: 'Credit pack bought',
  refund: 'Payment refunded',
  'generation.reserve': 'Reserved for a generation',
  'generation.capture': 'Generation done: reservation kept',
  'generation.release': 'Generation failed or canceled: credits returned',
  'generation.partial_release': 'Some outputs not delivered: their credits returned',
  'transfer.out': 'Moved to a team workspace',
  'transfer.in': 'Moved in from a personal workspace',
  adjustment: 'Adjustment by an operator',
};

/** The reasons stored for these kinds (what the query filters on). */
export function reasonsOf(kinds: readonly LedgerKind[]): string[] {
  return Object.entries(KIND_OF_REASON)
    .filter(([, k]) => kinds.includes(k))
    .map(([r]) => r);
}

/** Most rows one CSV download holds (the newest, within the filter). */
export const LEDGER_CSV_MAX_ROWS = 50_000;

export interface LedgerRowView {
  id: string;
  createdAt: Date;
  kind: LedgerKind;
  reason: string;
  delta: number;
  /** The workspace's balance right after this entry (over every entry, whatever the filter). */
  balance: number;
  /** Who caused it (null for payments, grants without a person, deleted accounts). */
  user: { id: string; name: string } | null;
  /** What it is for: the generation (job) or the payment processor's invoice, checkout or charge. */
  subject: { type: 'generation'; id: string; prompt: string | null; assetId: string | null } | { type: 'invoice' | 'checkout' | 'charge' | 'transfer' | 'account' | 'workspace'; id: string } | null;
}

export interface LedgerSpender {
  userId: string | null;
  name: string;
  /** Credits kept by generations: reserved minus returned. */
  spent: number;
  generations: number;
}

/** A search param form of the filter: `?kind=reserve&kind=release&from=2026-12-01&to=2026-12-06`. */
export function filterFromSearch(params: URLSearchParams): Record<string, unknown> {
  const kinds = params.getAll('kind').filter(Boolean);
  return {
    ...(kinds.length ? { kinds } : {}),
    ...(params.get('from') ? { from: params.get('from') } : {}),
    ...(params.get('to') ? { to: params.get('to') } : {}),
  };
}

/** A CSV field; text that a spreadsheet would run as a formula is prefixed with '. */
export function csvField(v: string | number | null): string {
  if (v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const LEDGER_CSV_HEADER = ['time (UTC)', 'kind', 'entry', 'credits', 'balance', 'by', 'for', 'reference'];

export function ledgerCsvLine(r: LedgerRowView): string {
  const forText = r.subject?.type === 'generation' ? `generation: ${r.subject.prompt ?? '(deleted)'}` : (r.subject?.type ?? '');
  return [new Date(r.createdAt).toISOString(), r.kind, REASON_LABEL[r.reason] ?? r.reason, r.delta, r.balance, r.user?.name ?? '', forText, r.subject?.id ?? ''].map(csvField).join(',');
}
