import { AppealForm } from './AppealForm.js';

/** A refusal from the prompt check or the account's standing, as the studio shows it (codes from server/shared/errors.ts). */
export interface Refusal {
  code: 'PROMPT_REFUSED' | 'GENERATION_SLOWED' | 'ACCOUNT_SUSPENDED';
  message: string;
}
export const REFUSAL_CODES = new Set<string>(['PROMPT_REFUSED', 'GENERATION_SLOWED', 'ACCOUNT_SUSPENDED']);

const TITLE: Record<Refusal['code'], string> = {
  PROMPT_REFUSED: 'This prompt was not sent',
  GENERATION_SLOWED: 'Please wait a little',
  ACCOUNT_SUSPENDED: 'Your account is suspended',
};

export interface Standing {
  /** the one standing record's suspension (automatic after refused prompts, or an operator's); until null: until lifted */
  suspended: { reason: string; until: Date | string | null; appealed: boolean } | null;
}

/**
 * Why the studio did not start a generation, in plain words: a refused prompt (with its category),
 * being slowed down after refusals, or a suspension with its reason, its end and a form to appeal.
 */
export function ModerationNotice({ refusal, standing, onAppealed }: { refusal: Refusal | null; standing: Standing | null; onAppealed: () => void }) {
  const suspended = standing?.suspended ?? null;
  if (!refusal && !suspended) return null;
  const code = suspended ? 'ACCOUNT_SUSPENDED' : refusal!.code;
  return (
    <div className="refusal stack-s" role="alert" data-testid="moderation-notice">
      <h2>{TITLE[code]}</h2>
      {suspended ? (
        <>
          <p>
            Reason: {suspended.reason}{' '}
            {suspended.until
              ? `You can generate, upload and change boards again after ${new Date(suspended.until).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })}.`
              : 'You can generate, upload and change boards again when moderators lift it.'}
          </p>
          {suspended.appealed ? (
            <p className="small">You asked for a review. Moderators will answer by notification and email; if they lift the suspension you can generate again at once.</p>
          ) : (
            <AppealForm onAppealed={onAppealed} />
          )}
        </>
      ) : (
        <p>{refusal!.message}</p>
      )}
    </div>
  );
}
