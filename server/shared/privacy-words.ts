/** What a privacy request can be about, without the schemas (zod stays out of the privacy page: ADR 0024); server/shared/privacy.ts re-exports it. */
export const PRIVACY_REQUEST_KINDS = ['access', 'correction', 'deletion', 'portability', 'objection'] as const;
