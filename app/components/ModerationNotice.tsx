import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { lazyModule } from '../lib/lazy.js';

/** The appeal's schema (the procedure's own), loaded when the form is first used (ADR 0024). */
const moderationSchemas = lazyModule(() => import('../../server/shared/moderation.js'));
import { errorMessage, useTRPC } from '../lib/trpc.js';

/** A refusal from the prompt check, as the studio shows it (codes from server/shared/errors.ts). */
export interface Refusal {
  code: 'PROMPT_REFUSED' | 'GENERATION_SLOWED' | 'GENERATION_SUSPENDED';
  message: string;
}
export const REFUSAL_CODES = new Set<string>(['PROMPT_REFUSED', 'GENERATION_SLOWED', 'GENERATION_SUSPENDED']);

const TITLE: Record<Refusal['code'], string> = {
  PROMPT_REFUSED: 'This prompt was not sent',
  GENERATION_SLOWED: 'Please wait a little',
  GENERATION_SUSPENDED: 'Generating is suspended for your account',
};

export interface Standing {
  suspended: { reason: string; until: Date | string; appealed: boolean } | null;
}

/**
 * Why the studio did not start a generation, in plain words: a refused prompt (with its category),
 * being slowed down after refusals, or a suspension with its reason, its end and a form to appeal.
 */
export function ModerationNotice({ refusal, standing, onAppealed }: { refusal: Refusal | null; standing: Standing | null; onAppealed: () => void }) {
  const suspended = standing?.suspended ?? null;
  if (!refusal && !suspended) return null;
  const code = suspended ? 'GENERATION_SUSPENDED' : refusal!.code;
  return (
    <div className="refusal stack-s" role="alert" data-testid="moderation-notice">
      <h2>{TITLE[code]}</h2>
      {suspended ? (
        <>
          <p>
            {suspended.reason} You can generate again after {new Date(suspended.until).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })}.
          </p>
          {suspended.appealed ? <p className="small">Your appeal was sent. An operator will look at it; if they lift the suspension you can generate again at once.</p> : <AppealForm onAppealed={onAppealed} />}
        </>
      ) : (
        <p>{refusal!.message}</p>
      )}
    </div>
  );
}

function AppealForm({ onAppealed }: { onAppealed: () => void }) {
  const trpc = useTRPC();
  const [message, setMessage] = useState('');
  const [error, setError] = useState<string | null>(null);
  const appeal = useMutation(trpc.moderation.appeal.mutationOptions({ onSuccess: onAppealed, onError: (e) => setError(errorMessage(e)) }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // Without the schema (its download failed), the server's check answers instead.
    const schemas = await moderationSchemas().catch(() => null);
    const parsed = schemas?.AppealInput.safeParse({ message });
    if (parsed && !parsed.success) return setError(parsed.error.issues[0]?.message ?? 'Please write a sentence or two.');
    setError(null);
    appeal.mutate(parsed ? parsed.data : { message });
  };
  return (
    <form className="stack-s" onSubmit={(e) => void submit(e)} onFocus={() => void moderationSchemas().catch(() => {})}>
      <label htmlFor="appeal-message" className="small">
        Think this is a mistake? Tell an operator why (they see your message, not your prompts):
      </label>
      <textarea id="appeal-message" rows={3} maxLength={2000} value={message} onChange={(e) => setMessage(e.target.value)} aria-describedby={error ? 'appeal-error' : undefined} />
      {error ? (
        <p id="appeal-error" className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <div>
        <button type="submit" className="button small" disabled={appeal.isPending}>
          {appeal.isPending ? 'Sending…' : 'Send appeal'}
        </button>
      </div>
    </form>
  );
}
