import { useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import type { BoardJobEvent } from '../../server/shared/realtime.js';
import { useSocketEvent } from '../lib/realtime.js';
import { useTRPC } from '../lib/trpc.js';

const FEED_MAX = 50;

function statusLabel(e: BoardJobEvent): string {
  switch (e.status) {
    case 'queued':
      return 'Queued';
    case 'running':
      return e.progress > 0 ? `Running ${Math.round(e.progress)}%` : 'Running';
    case 'succeeded':
      return 'Done';
    case 'failed':
      return 'Failed';
    case 'canceled':
      return 'Canceled';
    default:
      return e.status;
  }
}

function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  return new Date(ms).toLocaleDateString();
}

/**
 * The board's job feed: every generation started from this board, by whom, with its live state,
 * newest first. Loaded from the server (so jobs started before arriving are there) and kept current
 * by `board:job` events in the board's room. A finished job focuses its item on the canvas.
 */
export function BoardFeed(props: { boardId: string; meId: string; onFocusItem: (itemId: string) => boolean }) {
  const trpc = useTRPC();
  const feed = useQuery(trpc.board.feed.queryOptions({ boardId: props.boardId }));
  const [jobs, setJobs] = useState<Map<string, BoardJobEvent>>(new Map());
  const [missing, setMissing] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, []);
  // The stored feed, merged with whatever arrived live meanwhile (the newer state of each job wins).
  useEffect(() => {
    if (!feed.data) return;
    setJobs((cur) => {
      const next = new Map(cur);
      for (const e of feed.data) {
        const have = next.get(e.id);
        if (!have || have.updatedAt <= e.updatedAt) next.set(e.id, e);
      }
      return next;
    });
  }, [feed.data]);
  const onJob = useCallback(
    (e: BoardJobEvent) => {
      if (e.boardId !== props.boardId) return;
      setJobs((cur) => {
        const have = cur.get(e.id);
        if (have && have.updatedAt > e.updatedAt) return cur;
        const next = new Map(cur);
        next.set(e.id, e);
        return next;
      });
    },
    [props.boardId],
  );
  useSocketEvent('board:job', onJob);
  const list = [...jobs.values()].sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id)).slice(0, FEED_MAX);

  return (
    <section className="board-feed stack-s" aria-labelledby="board-feed-h" data-testid="board-feed">
      <h2 id="board-feed-h" className="small-heading">
        Jobs on this board
      </h2>
      {feed.isLoading ? <p className="muted small">Loading…</p> : null}
      {feed.isError ? (
        <p className="form-error small">
          The jobs could not be loaded.{' '}
          <button type="button" className="link-button" onClick={() => void feed.refetch()}>
            Try again
          </button>
        </p>
      ) : null}
      {feed.data && list.length === 0 ? <p className="muted small">No generations yet. Jobs started from this board show up here for everyone on it.</p> : null}
      {missing ? (
        <p className="muted small" role="status">
          {missing}
        </p>
      ) : null}
      <ol className="board-feed-list" aria-live="polite">
        {list.map((e) => {
          const finished = e.status === 'succeeded';
          const body = (
            <>
              <span className="board-feed-top">
                <span className={`pill pill-${e.status}`}>{statusLabel(e)}</span>
                <span className="muted small">
                  {e.userId === props.meId ? 'You' : e.userName} · {ago(e.createdAt, now)}
                </span>
              </span>
              <span className="board-feed-prompt small">{e.prompt}</span>
              {e.status === 'running' ? <progress className="board-feed-progress" max={100} value={Math.round(e.progress)} aria-label={`Progress of “${e.prompt}”`} /> : null}
              {e.status === 'failed' && e.errorMessage ? <span className="small danger">{e.errorMessage}</span> : null}
            </>
          );
          return (
            <li key={e.id} data-job-id={e.id} data-status={e.status}>
              {finished ? (
                <button
                  type="button"
                  className="board-feed-item"
                  onClick={() => setMissing(props.onFocusItem(e.itemId) ? null : 'That result is no longer on the board.')}
                >
                  {/* Named by what it shows (status, who, when, prompt), after what it does. */}
                  <span className="visually-hidden">Show on the board: </span>
                  {body}
                </button>
              ) : (
                <div className="board-feed-item">{body}</div>
              )}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
