/**
 * Share links (issue 17): the inputs (one zod schema each, shared by the tRPC procedures and the
 * share dialog) and what the dialog and the link page show.
 */
import { z } from 'zod';
import { REPORT_REASONS } from './reports.js';
import { MAX_LINKS_PER_BOARD, SHARE_EXPIRY_DAYS } from './share-link-words.js';

export { MAX_LINKS_PER_BOARD, SHARE_EXPIRY_DAYS, sharedFileUrl, sharePath, type ShareLinkView } from './share-link-words.js';
/** A link token: 128 random bits, base64url (22 characters). */
export const ShareToken = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'Not a share link.');

export const CreateShareLinkInput = z.object({
  boardId: z.uuid(),
  label: z.string().trim().min(1, 'Give the link a label, so you know whom you sent it to.').max(60, 'Keep the label under 60 characters.'),
  expiresInDays: z.union(SHARE_EXPIRY_DAYS.map((d) => z.literal(d)) as [z.ZodLiteral<0>, z.ZodLiteral<1>, z.ZodLiteral<7>, z.ZodLiteral<30>]).default(0),
  showNames: z.boolean().default(false),
});
export const RevokeShareLinkInput = z.object({ linkId: z.uuid() });
export const ShareSettingInput = z.object({ workspaceId: z.uuid(), allow: z.boolean() });
export const ShareTokenInput = z.object({ token: ShareToken });
export const ReportViaLinkInput = z.object({
  token: ShareToken,
  itemId: z.string().min(1).max(100),
  reason: z.enum(REPORT_REASONS, { error: 'Choose a reason.' }),
  note: z.string().trim().max(1000, 'Keep the note under 1,000 characters.').optional(),
});
