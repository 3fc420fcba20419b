/** The words the UI shows for each report reason and for bans, without zod: pages import these (ADR 0024). */

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
