import { useMutation, useQuery } from '@tanstack/react-query';
import { Link } from '@remix-run/react';
import { useRef, useState, type ReactNode } from 'react';
import type { AssetView } from '../../server/shared/views.js';
import { ACCEPTED_IMAGE_TYPES, uploadReference } from '../lib/uploads.js';
import { errorMessage, useTRPC } from '../lib/trpc.js';
import { useToast } from './Toaster.js';

/** The board's side panel: generate, place from the library, upload a reference, add a note. */
export function BoardSidebar(props: {
  workspaceId: string;
  boardId: string;
  readOnly: boolean;
  /** why the person's role cannot change the board (server/shared/permissions.ts), when that is why it is read-only */
  readOnlyReason?: string | null;
  /** read-only because the account is suspended: say so, and where to ask for a review */
  suspended?: boolean;
  onPlace: (a: Pick<AssetView, 'id' | 'url' | 'width' | 'height' | 'prompt'>) => void;
  onAddNote: () => void;
  /** shown after the generate form (the board's job feed) */
  children?: ReactNode;
}) {
  const { workspaceId, boardId, readOnly } = props;
  const trpc = useTRPC();
  const toast = useToast();
  const [prompt, setPrompt] = useState('');
  const fileRef = useRef<HTMLInputElement>(null);
  const [uploading, setUploading] = useState(false);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const library = useQuery(trpc.asset.list.queryOptions({ workspaceId, kind: 'images', limit: 24 }, { enabled: !readOnly }));
  const generate = useMutation(
    trpc.generation.create.mutationOptions({
      onSuccess: () => setPrompt(''),
      onError: (err) => toast({ tone: 'error', title: 'Could not start the generation', body: errorMessage(err) }),
    }),
  );
  if (readOnly) {
    return (
      <aside className="board-side panel" aria-label="Board tools">
        {props.suspended ? (
          <p className="gate-hint">
            Your account is suspended, so you cannot generate or change boards. <Link to="/settings/account#moderation">Ask for a review</Link>
          </p>
        ) : (
        <p className="gate-hint">{props.readOnlyReason ? `${props.readOnlyReason} Ask a workspace admin for editor access to generate here or change the board.` : 'This board cannot be changed right now.'}</p>
        )}
        {props.children}
      </aside>
    );
  }
  return (
    <aside className="board-side panel stack" aria-label="Board tools">
      <form
        className="stack-s"
        onSubmit={(e) => {
          e.preventDefault();
          if (prompt.trim()) generate.mutate({ prompt: prompt.trim(), workspaceId, boardId });
        }}
      >
        <label htmlFor="board-prompt" className="field-label">
          Generate onto the board
        </label>
        <textarea id="board-prompt" className="board-prompt" value={prompt} onChange={(e) => setPrompt(e.target.value)} maxLength={2000} placeholder="Describe an image…" rows={3} />
        <button type="submit" className="button primary" disabled={generate.isPending || !prompt.trim()}>
          Generate
        </button>
      </form>
      {props.children}
      <button type="button" className="button ghost" onClick={props.onAddNote}>
        Add a note <kbd>N</kbd>
      </button>
      <div className="stack-s">
        <input
          ref={fileRef}
          id="board-upload"
          type="file"
          accept={ACCEPTED_IMAGE_TYPES}
          className="visually-hidden"
          onChange={async (e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (!file) return;
            setUploading(true);
            setUploadError(null);
            try {
              const a = await uploadReference(file, workspaceId);
              props.onPlace({ ...a, prompt: a.originalName });
              void library.refetch();
            } catch (err) {
              setUploadError((err as Error).message);
            } finally {
              setUploading(false);
            }
          }}
        />
        <button type="button" className="button ghost" onClick={() => fileRef.current?.click()} disabled={uploading} aria-describedby={uploadError ? 'board-upload-error' : undefined}>
          {uploading ? 'Uploading…' : 'Upload a reference image'}
        </button>
        <label htmlFor="board-upload" className="visually-hidden">
          Upload a reference image onto the board
        </label>
        {uploadError ? (
          <p id="board-upload-error" className="field-error" role="alert">
            {uploadError}
          </p>
        ) : null}
      </div>
      <section className="stack-s" aria-labelledby="board-library-h">
        <h2 id="board-library-h" className="small-heading">
          From the library
        </h2>
        {library.isLoading ? <p className="muted small">Loading…</p> : null}
        {library.isError ? <p className="form-error small">The library could not be loaded.</p> : null}
        {library.data && library.data.items.length === 0 ? <p className="muted small">No images yet. Generate one above or in the studio.</p> : null}
        <ul className="board-library">
          {library.data?.items
            .filter((a) => a.media === 'image')
            .map((a) => (
              <li key={a.id}>
                <button
                  type="button"
                  className={`board-library-item${a.moderation === 'blur' ? ' is-flagged' : ''}`}
                  onClick={() => props.onPlace(a)}
                  aria-label={`Place on the board: ${a.prompt ?? a.originalName ?? 'image'}${a.moderation === 'blur' ? ' (may be sensitive, shown blurred)' : ''}`}
                >
                  <img src={`${a.url}?thumb=1`} alt="" loading="lazy" />
                </button>
              </li>
            ))}
        </ul>
      </section>
    </aside>
  );
}
