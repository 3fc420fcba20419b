import { useRevalidator } from '@remix-run/react';
import { useMutation } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { lazyModule } from '../lib/lazy.js';
import { errorMessage, useTRPC } from '../lib/trpc.js';
import { FormError } from './FormError.js';

/** The appeal's schema (the procedure's own), loaded when the form is first used (ADR 0024). */
const reportSchemas = lazyModule(() => import('../../server/shared/reports.js'));

/** Asks moderators to look again at a hidden item (`assetId`) or at the account's suspension. */
export function AppealForm(props: { assetId?: string; onAppealed?: () => void }) {
  const trpc = useTRPC();
  const revalidator = useRevalidator();
  const id = useId();
  const [message, setMessage] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const appeal = useMutation(trpc.report.appeal.mutationOptions({ onSuccess: () => (revalidator.revalidate(), props.onAppealed?.()) }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // Without the schema (its download failed), the server's check answers instead.
    const schemas = await reportSchemas().catch(() => null);
    const parsed = schemas?.AppealInput.safeParse({ assetId: props.assetId, message });
    if (parsed && !parsed.success) return setFieldError(parsed.error.issues[0]?.message ?? 'Check the message.');
    setFieldError(null);
    appeal.mutate(parsed ? parsed.data : { assetId: props.assetId, message });
  };
  if (appeal.isSuccess) {
    return (
      <p className="notice panel" role="status">
        Thanks. Moderators will look again and tell you what they decide by notification and email.
      </p>
    );
  }
  return (
    <form className="stack-s" onSubmit={(e) => void submit(e)} onFocus={() => void reportSchemas().catch(() => {})} noValidate>
      <label htmlFor={id} className="field-label">
        Ask for a review: tell moderators why
      </label>
      <textarea id={id} value={message} onChange={(e) => setMessage(e.target.value)} rows={4} maxLength={2000} aria-invalid={fieldError ? true : undefined} aria-describedby={fieldError ? `${id}-error` : undefined} />
      {fieldError ? (
        <p id={`${id}-error`} className="field-error">
          {fieldError}
        </p>
      ) : null}
      <FormError message={appeal.isError ? errorMessage(appeal.error) : null} />
      <button type="submit" className="button primary" disabled={appeal.isPending}>
        {appeal.isPending ? 'Sending…' : 'Ask for a review'}
      </button>
    </form>
  );
}
