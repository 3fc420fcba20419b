/**
 * Reports, takedown and the operator console: the inputs (one zod schema each, shared by the tRPC
 * procedures and the dialogs that send them) and the words the UI shows for each reason.
 */
import { z } from 'zod';

export { REPORT_REASONS, REASON_LABELS, AUTOMATIC_REASON_LABELS, reasonLabel, hiddenMessage, bannedMessage, banAppealHowTo, type ReportReason } from './report-words.js';
import { REPORT_REASONS } from './report-words.js';

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
