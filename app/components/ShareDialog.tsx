import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { SHARE_EXPIRY_DAYS, type ShareLinkView } from '../../server/shared/share-link-words.js';
import { lazyModule } from '../lib/lazy.js';
import { errorMessage, useTRPC } from '../lib/trpc.js';
import { FormError } from './FormError.js';

/** The link's schema (the procedure's own), loaded when the dialog opens (ADR 0024). */
const shareSchemas = lazyModule(() => import('../../server/shared/share-links.js'));

const EXPIRY_LABELS: Record<(typeof SHARE_EXPIRY_DAYS)[number], string> = { 0: 'Until revoked', 1: '1 day', 7: '7 days', 30: '30 days' };

const when = (d: Date | string) => new Date(d).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function linkState(l: ShareLinkView): string {
  if (l.state === 'revoked') return `Revoked ${when(l.revokedAt!)}`;
  if (l.state === 'expired') return `Expired ${when(l.expiresAt!)}`;
  return l.expiresAt ? `Works until ${when(l.expiresAt)}` : 'Works until revoked';
}

/**
 * "Share" on a board: view-only links for people without an account (server/services/share-links.ts).
 * Make one (label, how long it works, whether members' names are shown), copy it — it is shown only
 * then, since only its hash is kept — and see and revoke the board's links. A native modal dialog:
 * focus goes to the label when it opens, to the new link once made, and back to the opener on close.
 */
export function ShareDialog(props: { boardId: string; boardName: string; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ref = useRef<HTMLDialogElement>(null);
  const labelRef = useRef<HTMLInputElement>(null);
  const madeRef = useRef<HTMLInputElement>(null);
  const opener = useRef<Element | null>(null);
  const headingId = useId();
  const [label, setLabel] = useState('');
  const [expiresInDays, setExpires] = useState<(typeof SHARE_EXPIRY_DAYS)[number]>(7);
  const [showNames, setShowNames] = useState(false);
  const [labelError, setLabelError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const listOptions = trpc.share.list.queryOptions({ boardId: props.boardId });
  const list = useQuery(listOptions);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: listOptions.queryKey });
  const create = useMutation(trpc.share.create.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.share.revoke.mutationOptions({ onSuccess: refresh }));
  const made = create.data;
  const url = made && typeof window !== 'undefined' ? `${window.location.origin}${made.path}` : '';

  useEffect(() => {
    void shareSchemas().catch(() => {});
    opener.current = document.activeElement;
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    labelRef.current?.focus();
    return () => {
      if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
    };
  }, []);
  useEffect(() => {
    if (made) madeRef.current?.select();
  }, [made]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // Without the schema (its download failed), the server's check answers instead.
    const input = { boardId: props.boardId, label, expiresInDays, showNames };
    const parsed = (await shareSchemas().catch(() => null))?.CreateShareLinkInput.safeParse(input);
    if (parsed && !parsed.success) {
      setLabelError(parsed.error.issues[0]?.message ?? 'Check the label.');
      labelRef.current?.focus();
      return;
    }
    setLabelError(null);
    setCopied(false);
    create.mutate(parsed ? parsed.data : input);
  };
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
    } catch {
      madeRef.current?.select();
    }
  };

  const allowed = list.data?.allowed ?? true;
  const links = list.data?.links ?? [];
  return (
    <dialog ref={ref} className="dialog share-dialog" aria-labelledby={headingId} onClose={props.onClose}>
      <div className="stack">
        <div className="stack-s">
          <h2 id={headingId}>Share “{props.boardName}”</h2>
          <p className="muted small">Anyone with a link can watch this board live, without an account, but cannot change it. They do not appear to your team; you see only how many are watching.</p>
        </div>
        {!allowed ? (
          <p className="panel notice small" role="status">
            Sharing by link is turned off for this workspace, so no link works now.{' '}
            {list.data?.canChangeSetting ? 'You can turn it on in the workspace settings.' : 'Owners and admins can turn it on in the workspace settings.'}
          </p>
        ) : made ? (
          <div className="stack-s share-made" role="status">
            <label htmlFor={`${headingId}-url`} className="field-label">
              Link for “{made.link.label}”
            </label>
            <div className="row gap-s share-url-row">
              <input id={`${headingId}-url`} ref={madeRef} className="share-url" readOnly value={url} onFocus={(e) => e.currentTarget.select()} />
              <button type="button" className="button primary small" onClick={() => void copy()}>
                {copied ? 'Copied' : 'Copy link'}
              </button>
            </div>
            <p className="hint small">Copy it now: for safety it is not shown again. If it gets lost, make a new one and revoke this one.</p>
            <div className="row gap-s">
              <button type="button" className="button ghost small" onClick={() => (create.reset(), setLabel(''), requestAnimationFrame(() => labelRef.current?.focus()))}>
                Make another link
              </button>
            </div>
          </div>
        ) : (
          <form className="stack-s" onSubmit={(e) => void submit(e)} noValidate>
            <div className="field">
              <label htmlFor={`${headingId}-label`}>Label</label>
              <input
                id={`${headingId}-label`}
                ref={labelRef}
                value={label}
                maxLength={60}
                placeholder="e.g. Client review"
                onChange={(e) => setLabel(e.target.value)}
                aria-invalid={labelError ? true : undefined}
                aria-describedby={labelError ? `${headingId}-label-error` : `${headingId}-label-hint`}
              />
              {labelError ? (
                <p id={`${headingId}-label-error`} className="field-error" role="alert">
                  {labelError}
                </p>
              ) : (
                <p id={`${headingId}-label-hint`} className="hint small">
                  Only your team sees it: who the link is for.
                </p>
              )}
            </div>
            <div className="field">
              <label htmlFor={`${headingId}-expiry`}>Works for</label>
              <select id={`${headingId}-expiry`} value={expiresInDays} onChange={(e) => setExpires(Number(e.target.value) as (typeof SHARE_EXPIRY_DAYS)[number])}>
                {SHARE_EXPIRY_DAYS.map((d) => (
                  <option key={d} value={d}>
                    {EXPIRY_LABELS[d]}
                  </option>
                ))}
              </select>
            </div>
            <label className="checkbox">
              <input type="checkbox" checked={showNames} onChange={(e) => setShowNames(e.target.checked)} /> Show who is on the board (members’ names and cursors)
            </label>
            <FormError message={create.isError ? errorMessage(create.error) : null} />
            <div className="row gap-s">
              <button type="submit" className="button primary" disabled={create.isPending}>
                {create.isPending ? 'Making the link…' : 'Create link'}
              </button>
            </div>
          </form>
        )}
        <section className="stack-s" aria-labelledby={`${headingId}-links`}>
          <h3 id={`${headingId}-links`} className="small-heading">
            Links to this board
          </h3>
          {list.isPending ? (
            <p className="muted small" aria-busy="true">
              Loading links…
            </p>
          ) : list.isError ? (
            <p className="danger small" role="alert">
              {errorMessage(list.error)}{' '}
              <button type="button" className="button ghost small" onClick={() => void list.refetch()}>
                Try again
              </button>
            </p>
          ) : links.length === 0 ? (
            <p className="muted small">No links yet.</p>
          ) : (
            <ul className="share-links" aria-label="Share links">
              {links.map((l) => (
                <li key={l.id} className={`share-link share-link-${l.state}`}>
                  <div className="share-link-text">
                    <strong>{l.label}</strong>
                    <span className="muted small">
                      {linkState(l)}
                      {l.showNames ? ' · shows names' : ''}
                      {l.createdBy ? ` · by ${l.createdBy}` : ''}
                    </span>
                  </div>
                  {l.state === 'active' ? (
                    <button type="button" className="button danger-ghost small" disabled={revoke.isPending && revoke.variables?.linkId === l.id} onClick={() => revoke.mutate({ linkId: l.id })} aria-label={`Revoke the link “${l.label}”`}>
                      Revoke
                    </button>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
          <FormError message={revoke.isError ? errorMessage(revoke.error) : null} />
        </section>
        <div className="row gap-s dialog-actions">
          <button type="button" className="button ghost" onClick={() => ref.current?.close()}>
            Close
          </button>
        </div>
      </div>
    </dialog>
  );
}
