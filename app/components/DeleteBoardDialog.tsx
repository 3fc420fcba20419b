import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useRef } from 'react';
import { errorMessage, useTRPC } from '../lib/trpc.js';
import { FormError } from './FormError.js';

/** Asks before deleting a board (a native modal dialog); `onDeleted` runs once the server deleted it. */
export function DeleteBoardDialog(props: { boardId: string; name: string; onClose: () => void; onDeleted: () => void }) {
  const trpc = useTRPC();
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const headingId = useId();
  const remove = useMutation(trpc.board.delete.mutationOptions({ onSuccess: props.onDeleted }));
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (!dialog.open) dialog.showModal();
    cancelRef.current?.focus();
  }, []);
  return (
    // A native modal dialog: focus moves in and stays there, Escape closes it (the close event).
    <dialog ref={ref} className="dialog" aria-labelledby={headingId} onClose={props.onClose}>
      <h2 id={headingId}>Delete “{props.name}”?</h2>
      <p className="muted">The board and everything on it are removed for everyone in the workspace. This cannot be undone.</p>
      <FormError message={remove.isError ? errorMessage(remove.error) : null} />
      <div className="row gap-s dialog-actions">
        <button ref={cancelRef} type="button" className="button ghost" onClick={() => ref.current?.close()}>
          Cancel
        </button>
        <button type="button" className="button danger" disabled={remove.isPending} onClick={() => remove.mutate({ boardId: props.boardId })}>
          {remove.isPending ? 'Deleting…' : 'Delete board'}
        </button>
      </div>
    </dialog>
  );
}
