/**
 * Share links' constants and views without zod, for the share dialog and the link page (zod stays
 * off their first load, ADR 0024); server/shared/share-links.ts builds the inputs from these.
 */

/** How long a new link works: the dialog's choices (days; 0 = until revoked). */
export const SHARE_EXPIRY_DAYS = [0, 1, 7, 30] as const;
export const MAX_LINKS_PER_BOARD = 20;

/** A link as the share dialog lists it (never its token: only its hash is stored). */
export interface ShareLinkView {
  id: string;
  label: string;
  showNames: boolean;
  createdAt: Date;
  createdBy: string | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  state: 'active' | 'expired' | 'revoked';
}

/** The link's path; the page adds the origin. */
export const sharePath = (token: string) => `/s/${token}`;
export const sharedFileUrl = (token: string, assetId: string, thumb = false) => `/s/${token}/files/${assetId}${thumb ? '?thumb=1' : ''}`;
