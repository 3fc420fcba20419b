/** Lineage's labels without zod, for pages to import (ADR 0024); server/shared/lineage.ts re-exports them. */
export const LINEAGE_LABELS = { rerun: 'Re-run', variation: 'Variation', edit: 'Edit' } as const;
export type LineageKindName = keyof typeof LINEAGE_LABELS;
