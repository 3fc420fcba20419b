import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { REASON_LABELS, REPORT_REASONS, type ReportReason } from '../../server/shared/report-words.js';
import { errorMessage, useTRPC } from '../lib/trpc.js';
import { FormError } from './FormError.js';

/** What is reported: a library asset, a board item (members), or an item on a board shared by link (no account). */
export type ReportTarget = { kind: 'asset'; assetId: string } | { kind: 'boardItem'; boardId: string; itemId: string } | { kind: 'link'; token: string; itemId: string };

/**
 * "Report" as a native modal dialog: a reason (radio buttons: arrow keys move between them), an
 * optional note, then a plain confirmation. Focus goes to the first reason when it opens, to the
 * confirmation when it is sent, and back to the button that opened it when it closes (Escape too).
 */
export function ReportDialog(props: { target: ReportTarget; what: string; onClose: () => void }) {
  const trpc = useTRPC();
  const ref = useRef<HTMLDialogElement>(null);
  const firstRef = useRef<HTMLInputElement>(null);
  const doneRef = useRef<HTMLHeadingElement>(null);
  const opener = useRef<Element | null>(null);
  const headingId = useId();
  const noteId = useId();
  const [reason, setReason] = useState<ReportReason | null>(null);
  const [note, setNote] = useState('');
  const [missing, setMissing] = useState(false);
  const asset = useMutation(trpc.report.asset.mutationOptions());
  const item = useMutation(trpc.report.boardItem.mutationOptions());
  const link = useMutation(trpc.share.report.mutationOptions());
  const send = props.target.kind === 'asset' ? asset : props.target.kind === 'link' ? link : item;
  const done = send.data;

  useEffect(() => {
    opener.current = document.activeElement;
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    firstRef.current?.focus();
    return () => {
      if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
    };
  }, []);
  useEffect(() => {
    if (done) doneRef.current?.focus();
  }, [done]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!reason) {
      setMissing(true);
      firstRef.current?.focus();
      return;
    }
    const body = { reason, note: note.trim() || undefined };
    if (props.target.kind === 'asset') asset.mutate({ assetId: props.target.assetId, ...body });
    else if (props.target.kind === 'link') link.mutate({ token: props.target.token, itemId: props.target.itemId, ...body });
    else item.mutate({ boardId: props.target.boardId, itemId: props.target.itemId, ...body });
  };

  return (
    <dialog ref={ref} className="dialog report-dialog" aria-labelledby={headingId} onClose={props.onClose}>
      {done ? (
        <div className="stack" role="status">
          <h2 id={headingId} ref={doneRef} tabIndex={-1}>
            {done.duplicate ? 'Already reported' : 'Report sent'}
          </h2>
          <p>{done.message}</p>
          <div className="row gap-s dialog-actions">
            <button type="button" className="button primary" onClick={() => ref.current?.close()}>
              Close
            </button>
          </div>
        </div>
      ) : (
        <form className="stack" onSubmit={submit} noValidate>
          <div className="stack-s">
            <h2 id={headingId}>Report {props.what}</h2>
            <p className="muted small">Moderators will look at it. The person who made it is not told who reported it.</p>
          </div>
          <fieldset className="report-reasons" aria-describedby={missing ? `${headingId}-missing` : undefined}>
            <legend className="field-label">What is wrong with it?</legend>
            {REPORT_REASONS.map((r, i) => (
              <label key={r} className="report-reason">
                <input
                  ref={i === 0 ? firstRef : undefined}
                  type="radio"
                  name="reason"
                  value={r}
                  checked={reason === r}
                  onChange={() => {
                    setReason(r);
                    setMissing(false);
                  }}
                />
                <span>{REASON_LABELS[r]}</span>
              </label>
            ))}
          </fieldset>
          {missing ? (
            <p id={`${headingId}-missing`} className="field-error" role="alert">
              Choose a reason.
            </p>
          ) : null}
          <div className="stack-s">
            <label htmlFor={noteId} className="field-label">
              Anything else moderators should know? <span className="muted">(optional)</span>
            </label>
            <textarea id={noteId} value={note} onChange={(e) => setNote(e.target.value)} maxLength={1000} rows={3} />
          </div>
          <FormError message={send.isError ? errorMessage(send.error) : null} />
          <div className="row gap-s dialog-actions">
            <button type="button" className="button ghost" onClick={() => ref.current?.close()}>
              Cancel
            </button>
            <button type="submit" className="button danger" disabled={send.isPending}>
              {send.isPending ? 'Sending…' : 'Send report'}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
