// The schemas the operator and ledger pages' loaders check their search parameters with. Through a
// `.server` module, so the browser build leaves them (and zod) out of those pages (ADR 0024).
export { LedgerFilterInput } from '../../server/shared/ledger.js';
export { JobListInput, ReportListInput, UserSearchInput } from '../../server/shared/reports.js';
