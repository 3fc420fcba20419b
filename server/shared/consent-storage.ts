/** Local-storage keys each category may write; withdrawing a category removes them. Without zod: every page imports it (ADR 0024). */
export const STORAGE_KEYS = { preferences: ['fk:studio-settings'], analytics: ['fk:analytics-id'] } as const;
