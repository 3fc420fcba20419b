import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { REASON_LABELS, REPORT_REASONS, type ReportReason } from '../../server/shared/report-words.js';
import { errorMessage } from '../lib/trpc.js';
import { FormError } from './FormError.js';

export interface OperatorAction {
  title: string;
  /** what happens, in plain words (who is told, what they will see) */
  explain: string;
  confirm: string;
  danger?: boolean;
  /** ask for a reason (shown to the person), starting at this one */
  reason?: ReportReason;
  run: (values: { reason: ReportReason; message?: string }) => Promise<unknown>;
}

/**
 * One operator decision as a native modal dialog: what it does, the reason the person will read,
 * an optional message to them, then confirm. Focus starts on the first field and returns to the
 * button that opened it.
 */
export function OperatorActionDialog(props: { action: OperatorAction; onClose: () => void; onDone: () => void }) {
  const { action } = props;
  const ref = useRef<HTMLDialogElement>(null);
  const firstRef = useRef<HTMLSelectElement & HTMLTextAreaElement>(null);
  const opener = useRef<Element | null>(null);
  const headingId = useId();
  const reasonId = useId();
  const messageId = useId();
  const [reason, setReason] = useState<ReportReason>(action.reason ?? 'other');
  const [message, setMessage] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    opener.current = document.activeElement;
    if (ref.current && !ref.current.open) ref.current.showModal();
    firstRef.current?.focus();
    return () => {
      if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
    };
  }, []);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setPending(true);
    setError(null);
    try {
      await action.run({ reason, message: message.trim() || undefined });
      props.onDone();
      ref.current?.close();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setPending(false);
    }
  };
  return (
    <dialog ref={ref} className="dialog report-dialog" aria-labelledby={headingId} onClose={props.onClose}>
      <form className="stack" onSubmit={submit}>
        <h2 id={headingId}>{action.title}</h2>
        <p className="muted">{action.explain}</p>
        {action.reason ? (
          <div className="stack-s">
            <label htmlFor={reasonId} className="field-label">
              Reason (the person will read it)
            </label>
            <select id={reasonId} ref={firstRef} value={reason} onChange={(e) => setReason(e.target.value as ReportReason)}>
              {REPORT_REASONS.map((r) => (
                <option key={r} value={r}>
                  {REASON_LABELS[r]}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <div className="stack-s">
          <label htmlFor={messageId} className="field-label">
            Message to them <span className="muted">(optional)</span>
          </label>
          <textarea id={messageId} ref={action.reason ? undefined : firstRef} value={message} onChange={(e) => setMessage(e.target.value)} rows={3} maxLength={1000} />
        </div>
        <FormError message={error} />
        <div className="row gap-s dialog-actions">
          <button type="button" className="button ghost" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="submit" className={`button ${action.danger ? 'danger' : 'primary'}`} disabled={pending}>
            {pending ? 'Working…' : action.confirm}
          </button>
        </div>
      </form>
    </dialog>
  );
}
