/**
 * Reports, takedown and the operator console: the inputs (one zod schema each, shared by the tRPC
 * procedures and the dialogs that send them) and the words the UI shows for each reason.
 */
import { z } from 'zod';

/** Why something is reported, and why an operator acted: one list, so a hide can cite the report's reason. */
export const REPORT_REASONS = ['sexual', 'child_safety', 'violence', 'hate', 'illegal', 'privacy', 'copyright', 'spam', 'other'] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];

export const REASON_LABELS: Record<ReportReason, string> = {
  sexual: 'Sexual or explicit content',
  child_safety: 'Puts children at risk',
  violence: 'Violence or gore',
  hate: 'Hate or harassment',
  illegal: 'Illegal or dangerous activity',
  privacy: 'Shows a real person without consent, or private information',
  copyright: 'Copies someone else’s work or trademark',
  spam: 'Spam or scam',
  other: 'Something else',
};

/** Reasons only the product itself gives (never offered in a report form): moderation's automatic suspension. */
export const AUTOMATIC_REASON_LABELS = { refused_prompts: 'Many of your prompts were refused in a short time' } as const;

export const reasonLabel = (r: string) => (REASON_LABELS as Record<string, string>)[r] ?? (AUTOMATIC_REASON_LABELS as Record<string, string>)[r] ?? r;

const Reason = z.enum(REPORT_REASONS, { error: 'Choose a reason.' });
const Note = z.string().trim().max(1000, 'Keep the note under 1,000 characters.').optional();

export const ReportAssetInput = z.object({ assetId: z.uuid(), reason: Reason, note: Note });
export const ReportBoardItemInput = z.object({ boardId: z.uuid(), itemId: z.string().min(1).max(100), reason: Reason, note: Note });

/** An operator's decision: the reason (shown to the owner in words) and an optional note to them. */
const Decision = { reason: Reason, message: z.string().trim().max(1000, 'Keep the message under 1,000 characters.').optional() };
export const HideAssetInput = z.object({ assetId: z.uuid(), ...Decision });
export const RestoreAssetInput = z.object({ assetId: z.uuid(), message: Decision.message });
export const DismissReportInput = z.object({ reportId: z.uuid(), message: Decision.message });
export const SetStandingInput = z.object({ userId: z.string().min(1).max(100), standing: z.enum(['suspended', 'banned']), ...Decision });
export const ReinstateInput = z.object({ userId: z.string().min(1).max(100), message: Decision.message });
export const AnswerAppealInput = z.object({ appealId: z.uuid(), grant: z.boolean(), message: Decision.message });

export const AppealInput = z.object({
  /** the hidden asset; left out: the account's suspension */
  assetId: z.uuid().optional(),
  message: z.string().trim().min(10, 'Tell us in a sentence or two why we should look again.').max(2000, 'Keep it under 2,000 characters.'),
});

export const ReportListInput = z.object({ status: z.enum(['open', 'actioned', 'dismissed']).default('open') });
export const UserSearchInput = z.object({ q: z.string().trim().max(200).optional() });
export const JobListInput = z.object({
  status: z.enum(['queued', 'running', 'failed', 'succeeded', 'canceled']).optional(),
  provider: z.string().max(40).optional(),
});
export const JobActionInput = z.object({ generationId: z.uuid() });

/** What a member of the owning workspace sees instead of a hidden item, with how to appeal. */
export function hiddenMessage(reason: string | null): string {
  return `Hidden by moderators: ${reasonLabel(reason ?? 'other')}. If you think this is a mistake, ask for a review on the item's page.`;
}

/** The words a banned person sees when signing in (password or OAuth), with where to appeal. */
export function bannedMessage(appealsEmail: string | undefined): string {
  return `This account has been banned and cannot sign in. ${banAppealHowTo(appealsEmail)}`;
}

/** How a banned person, who cannot sign in, appeals: APPEALS_EMAIL, or the mail that told them. */
export function banAppealHowTo(appealsEmail: string | undefined): string {
  return appealsEmail ? `To appeal, write to ${appealsEmail}.` : 'To appeal, reply to the email that told you about the ban.';
}
