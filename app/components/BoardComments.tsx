import { useMutation, useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { BoardItem } from '../../server/shared/board.js';
import { COMMENT_MAX_CHARS, liveComments, type BoardCommentEvent, type CommentView, type ThreadView } from '../../server/shared/comments.js';
import { useSocketConnected, useSocketEvent } from '../lib/realtime.js';
import { errorMessage, useTRPC } from '../lib/trpc.js';
import { describeItem } from './BoardCanvas.js';
import { timeAgo } from './NotificationBell.js';

/**
 * A board's comment threads: loaded from the server (so a reload or a late arrival sees them) and
 * kept current by `board:comment` events in the board's room (the newest state of each thread wins);
 * read again whenever the tab's socket (re)connects, since events sent meanwhile are not replayed.
 */
export function useBoardComments(boardId: string) {
  const trpc = useTRPC();
  const query = useQuery(trpc.comment.list.queryOptions({ boardId }));
  const [threads, setThreads] = useState<Map<string, ThreadView>>(new Map());
  const gone = useRef(new Map<string, number>());
  useEffect(() => {
    if (!query.data) return;
    setThreads((cur) => {
      const next = new Map<string, ThreadView>();
      for (const t of query.data.threads) {
        const have = cur.get(t.id);
        if ((gone.current.get(t.id) ?? 0) > t.updatedAt) continue;
        next.set(t.id, have && have.updatedAt > t.updatedAt ? have : t);
      }
      // Threads that arrived live after the list was read.
      for (const [id, t] of cur) if (!next.has(id) && t.createdAt > query.dataUpdatedAt - 5_000) next.set(id, t);
      return next;
    });
  }, [query.data, query.dataUpdatedAt]);
  const apply = useCallback(
    (e: BoardCommentEvent) => {
      if (e.boardId !== boardId) return;
      setThreads((cur) => {
        const next = new Map(cur);
        if ('removed' in e) {
          gone.current.set(e.threadId, e.updatedAt);
          next.delete(e.threadId);
          return next;
        }
        const have = cur.get(e.thread.id);
        if (have && have.updatedAt > e.thread.updatedAt) return cur;
        next.set(e.thread.id, e.thread);
        return next;
      });
    },
    [boardId],
  );
  useSocketEvent('board:comment', apply);
  const refetch = query.refetch;
  const again = useCallback(() => void refetch(), [refetch]);
  useSocketConnected(again);
  // Whether one may comment follows the workspace's setting and one's role.
  useSocketEvent('workspace:changed', again);
  useSocketEvent('board:role', again);
  const list = useMemo(() => [...threads.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id)), [threads]);
  return { threads: list, apply, mayComment: query.data?.mayComment ?? false, reason: query.data?.reason ?? null, isLoading: query.isLoading, isError: query.isError, refetch };
}

/** Open threads' comment counts per item (the badges on the canvas). */
export function commentCounts(threads: ThreadView[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of threads) if (!t.resolved && t.itemId) m.set(t.itemId, (m.get(t.itemId) ?? 0) + liveComments(t));
  return m;
}

/** Where a new comment goes: the selected item, a spot picked on the canvas, or the middle of the view. */
export type CommentTarget = { kind: 'item'; item: BoardItem } | { kind: 'point'; x: number; y: number; picked: boolean };

function targetText(t: CommentTarget): string {
  if (t.kind === 'item') return `On ${describeItem(t.item).replace(/^(\w)/, (c) => c.toLowerCase())}`;
  return t.picked ? 'At the spot you picked on the canvas' : 'At the middle of the view (select an item or pick a spot to pin it elsewhere)';
}

const submitOnCtrlEnter = (e: KeyboardEvent<HTMLTextAreaElement>) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    e.currentTarget.form?.requestSubmit();
  }
};

export interface BoardCommentsProps {
  boardId: string;
  meId: string;
  data: ReturnType<typeof useBoardComments>;
  items: BoardItem[];
  target: CommentTarget;
  picking: boolean;
  onPick: (on: boolean) => void;
  /** a thread to show (a badge or pin clicked, a notification's link) */
  focusThreadId: string | null;
  onFocused: () => void;
  onShowOnBoard: (t: ThreadView) => void;
  onClose: () => void;
}

/** The comments panel: a new comment for the selected item or a point, then the open (or resolved) threads. */
export function BoardComments(props: BoardCommentsProps) {
  const { data } = props;
  const trpc = useTRPC();
  const [tab, setTab] = useState<'open' | 'resolved'>('open');
  const [draft, setDraft] = useState('');
  const start = useMutation(
    trpc.comment.start.mutationOptions({
      onSuccess: (t) => {
        data.apply({ boardId: props.boardId, thread: t });
        setDraft('');
        setTab('open');
        props.onPick(false);
      },
    }),
  );
  const open = data.threads.filter((t) => !t.resolved);
  const resolved = data.threads.filter((t) => t.resolved);
  const shown = tab === 'open' ? open : resolved;

  // A thread asked for: its tab, scrolled to and focused.
  useEffect(() => {
    if (!props.focusThreadId) return;
    const t = data.threads.find((x) => x.id === props.focusThreadId);
    if (!t) return;
    setTab(t.resolved ? 'resolved' : 'open');
    requestAnimationFrame(() => {
      const el = document.getElementById(`thread-${t.id}`);
      el?.scrollIntoView({ block: 'nearest' });
      el?.focus({ preventScroll: true });
      props.onFocused();
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.focusThreadId, data.threads]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body = draft.trim();
    if (!body || start.isPending) return;
    const t = props.target;
    start.mutate(t.kind === 'item' ? { boardId: props.boardId, itemId: t.item.id, x: Math.round(t.item.x + t.item.w), y: Math.round(t.item.y), body } : { boardId: props.boardId, x: Math.round(t.x), y: Math.round(t.y), body });
  };

  return (
    <section className="panel board-comments stack-s" aria-labelledby="board-comments-h" data-testid="board-comments" id="board-comments">
      <div className="row gap-s board-comments-head">
        <h2 id="board-comments-h" className="small-heading grow">
          Comments
        </h2>
        <button type="button" className="button ghost small" onClick={props.onClose} aria-label="Close comments">
          Close
        </button>
      </div>
      {data.mayComment ? (
        <form className="stack-s" onSubmit={submit} aria-label="Start a thread">
          <p className="small muted board-comments-target" data-testid="comment-target">
            {targetText(props.target)}
          </p>
          <label htmlFor="comment-new" className="visually-hidden">
            New comment (mention someone with @name)
          </label>
          <textarea
            id="comment-new"
            rows={3}
            value={draft}
            maxLength={COMMENT_MAX_CHARS}
            placeholder="Write a comment… (@name to mention)"
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={submitOnCtrlEnter}
            aria-invalid={start.isError || undefined}
            aria-describedby={start.isError ? 'comment-new-error' : undefined}
          />
          {start.isError ? (
            <p id="comment-new-error" className="form-error small" role="alert">
              {errorMessage(start.error)}
            </p>
          ) : null}
          <div className="row gap-s wrap">
            <button type="submit" className="button primary small" disabled={!draft.trim() || start.isPending}>
              {start.isPending ? 'Sending…' : 'Comment'}
            </button>
            {props.target.kind === 'item' ? null : (
              <button type="button" className="button ghost small" aria-pressed={props.picking} onClick={() => props.onPick(!props.picking)}>
                {props.picking ? 'Click the canvas… (Esc cancels)' : 'Pick a spot'}
              </button>
            )}
          </div>
        </form>
      ) : data.reason ? (
        <p className="gate-hint small">{data.reason}</p>
      ) : null}
      <div className="row gap-s" role="group" aria-label="Which threads">
        <button type="button" className={`button small ${tab === 'open' ? 'primary' : 'ghost'}`} aria-pressed={tab === 'open'} onClick={() => setTab('open')}>
          Open ({open.length})
        </button>
        <button type="button" className={`button small ${tab === 'resolved' ? 'primary' : 'ghost'}`} aria-pressed={tab === 'resolved'} onClick={() => setTab('resolved')}>
          Resolved ({resolved.length})
        </button>
      </div>
      {data.isLoading ? (
        <p className="muted small" role="status">
          Loading comments…
        </p>
      ) : null}
      {data.isError ? (
        <p className="form-error small">
          The comments could not be loaded.{' '}
          <button type="button" className="link-button" onClick={() => void data.refetch()}>
            Try again
          </button>
        </p>
      ) : null}
      {!data.isLoading && !data.isError && shown.length === 0 ? (
        <p className="muted small" data-testid="comments-empty">
          {tab === 'open'
            ? data.mayComment
              ? 'No open comments. Select an item (press C on it) or pick a spot, and write the first one.'
              : 'No open comments on this board.'
            : 'No resolved threads yet.'}
        </p>
      ) : null}
      <ol className="board-comments-list" aria-label={tab === 'open' ? 'Open threads' : 'Resolved threads'}>
        {shown.map((t) => (
          <li key={t.id}>
            <CommentThread thread={t} meId={props.meId} mayComment={data.mayComment} items={props.items} onShow={() => props.onShowOnBoard(t)} apply={data.apply} />
          </li>
        ))}
      </ol>
    </section>
  );
}

function anchorText(t: ThreadView, items: BoardItem[]): string {
  if (!t.itemId) return 'On the canvas';
  const item = items.find((i) => i.id === t.itemId);
  return item ? `On ${describeItem(item).replace(/^(\w)/, (c) => c.toLowerCase())}` : 'On an item that was removed';
}

/** One thread: where it is pinned, its comments, a reply box, resolve or reopen. */
function CommentThread(props: { thread: ThreadView; meId: string; mayComment: boolean; items: BoardItem[]; onShow: () => void; apply: (e: BoardCommentEvent) => void }) {
  const { thread: t } = props;
  const trpc = useTRPC();
  const [reply, setReply] = useState('');
  const onThread = { onSuccess: (next: ThreadView) => props.apply({ boardId: t.boardId, thread: next }) };
  const send = useMutation(trpc.comment.reply.mutationOptions({ onSuccess: (next) => (onThread.onSuccess(next), setReply('')) }));
  const resolve = useMutation(trpc.comment.resolve.mutationOptions(onThread));
  const first = t.comments[0];
  const label = `Thread: ${first?.deleted ? 'deleted comment' : (first?.body.slice(0, 60) ?? '')}`;
  const error = send.error ?? resolve.error;
  return (
    <article id={`thread-${t.id}`} className={`board-comment-thread${t.resolved ? ' resolved' : ''}`} aria-label={label} tabIndex={-1} data-thread-id={t.id}>
      <div className="row gap-s board-comment-anchor">
        <button type="button" className="link-button small grow" onClick={props.onShow}>
          {anchorText(t, props.items)}
        </button>
        {props.mayComment ? (
          <button type="button" className="button ghost small" disabled={resolve.isPending} onClick={() => resolve.mutate({ threadId: t.id, resolved: !t.resolved })}>
            {t.resolved ? 'Reopen' : 'Resolve'}
          </button>
        ) : null}
      </div>
      {t.resolved ? <p className="small muted">Resolved by {t.resolvedByName}</p> : null}
      <ol className="board-comment-list">
        {t.comments.map((c) => (
          <li key={c.id}>
            <CommentItem comment={c} mine={c.authorId === props.meId} apply={props.apply} boardId={t.boardId} />
          </li>
        ))}
      </ol>
      {props.mayComment ? (
        <form
          className="row gap-s board-comment-reply"
          onSubmit={(e) => {
            e.preventDefault();
            if (reply.trim() && !send.isPending) send.mutate({ threadId: t.id, body: reply.trim() });
          }}
        >
          <label htmlFor={`reply-${t.id}`} className="visually-hidden">
            Reply to this thread
          </label>
          <textarea id={`reply-${t.id}`} rows={1} className="grow" value={reply} maxLength={COMMENT_MAX_CHARS} placeholder="Reply…" onChange={(e) => setReply(e.target.value)} onKeyDown={submitOnCtrlEnter} />
          <button type="submit" className="button ghost small" disabled={!reply.trim() || send.isPending}>
            Reply
          </button>
        </form>
      ) : null}
      {error ? (
        <p className="form-error small" role="alert">
          {errorMessage(error)}
        </p>
      ) : null}
    </article>
  );
}

/** One comment: who, when, what; its author edits or deletes it in place. */
function CommentItem(props: { comment: CommentView; mine: boolean; boardId: string; apply: (e: BoardCommentEvent) => void }) {
  const { comment: c } = props;
  const trpc = useTRPC();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(c.body);
  const [confirming, setConfirming] = useState(false);
  const edit = useMutation(
    trpc.comment.edit.mutationOptions({
      onSuccess: (t) => {
        props.apply({ boardId: props.boardId, thread: t });
        setEditing(false);
      },
    }),
  );
  // A thread left empty is gone at once here; otherwise the board's room brings the new state.
  const del = useMutation(trpc.comment.delete.mutationOptions({ onSuccess: (r) => void (r.removed && props.apply({ boardId: props.boardId, threadId: r.threadId, removed: true, updatedAt: Date.now() })) }));
  if (c.deleted) return <p className="small muted board-comment-deleted">This comment was deleted.</p>;
  return (
    <div className="board-comment" data-comment-id={c.id}>
      <p className="small board-comment-meta">
        <strong>{props.mine ? 'You' : c.authorName}</strong> <span className="muted" suppressHydrationWarning>· {timeAgo(new Date(c.createdAt))}{c.editedAt ? ' · edited' : ''}</span>
      </p>
      {editing ? (
        <form
          className="stack-s"
          onSubmit={(e) => {
            e.preventDefault();
            if (draft.trim()) edit.mutate({ commentId: c.id, body: draft.trim() });
          }}
        >
          <label htmlFor={`edit-${c.id}`} className="visually-hidden">
            Edit your comment
          </label>
          <textarea
            id={`edit-${c.id}`}
            rows={2}
            value={draft}
            maxLength={COMMENT_MAX_CHARS}
            autoFocus
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') setEditing(false);
              else submitOnCtrlEnter(e);
            }}
          />
          <div className="row gap-s">
            <button type="submit" className="button primary small" disabled={!draft.trim() || edit.isPending}>
              Save
            </button>
            <button type="button" className="button ghost small" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <p className="board-comment-body">{c.body}</p>
      )}
      {props.mine && !editing ? (
        <div className="row gap-s">
          <button
            type="button"
            className="link-button small"
            onClick={() => {
              setDraft(c.body);
              setEditing(true);
            }}
          >
            Edit<span className="visually-hidden"> your comment</span>
          </button>
          {confirming ? (
            <>
              <button type="button" className="link-button small danger" onClick={() => del.mutate({ commentId: c.id })} disabled={del.isPending}>
                Delete it
              </button>
              <button type="button" className="link-button small" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </>
          ) : (
            <button type="button" className="link-button small" onClick={() => setConfirming(true)}>
              Delete<span className="visually-hidden"> your comment</span>
            </button>
          )}
        </div>
      ) : null}
      {edit.isError || del.isError ? (
        <p className="form-error small" role="alert">
          {errorMessage(edit.error ?? del.error)}
        </p>
      ) : null}
    </div>
  );
}
