/** The credit ledger's filter and page schemas (shared by the page's loader and the tRPC procedures); the rest is in ledger-words.ts. */
import { z } from 'zod';
import { LEDGER_KINDS } from './ledger-words.js';

export * from './ledger-words.js';

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Use a date like 2026-12-31.');

export const LedgerFilterInput = z
  .object({
    workspaceId: z.uuid().optional(),
    kinds: z.array(z.enum(LEDGER_KINDS)).max(LEDGER_KINDS.length).optional(),
    /** Inclusive days (UTC), YYYY-MM-DD. */
    from: Day.optional(),
    to: Day.optional(),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { message: 'The start date is after the end date.', path: ['to'] });
export type LedgerFilter = z.infer<typeof LedgerFilterInput>;

export const LEDGER_PAGE_MAX = 200;
export const LedgerListInput = z.object({
  filter: LedgerFilterInput.default({}),
  cursor: z.string().max(200).nullish(),
  limit: z.number().int().min(1).max(LEDGER_PAGE_MAX).default(50),
});

