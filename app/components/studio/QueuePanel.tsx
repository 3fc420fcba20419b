import { useMutation, useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import type { QueueItem, QueueView } from '../../../server/shared/queue.js';
import type { GenerationEvent } from '../../../server/shared/realtime.js';
import { useSocketConnected, useSocketEvent } from '../../lib/realtime.js';
import { errorMessage, useTRPC } from '../../lib/trpc.js';
import { useToast } from '../Toaster.js';

const ordinal = (n: number) => {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${s}`;
};
const short = (s: string, n = 70) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function placeText(i: QueueItem): string {
  if (i.status === 'running') return `Running · ${i.progress}%`;
  if (i.retrying) return 'Waiting to try again';
  if (i.position !== null) return `${ordinal(i.position)} in line`;
  return 'Queued';
}

/** Jobs of mine a person may move: queued, holding a place in line (not running, not waiting to retry). */
const movable = (i: QueueItem) => i.mine && i.status === 'queued' && i.position !== null;

/**
 * The workspace's queue: queued and running jobs in the order workers take them, with their places
 * in line kept live (read again when a job changes state, when someone reorders, and when the socket
 * reconnects). A person moves their own queued jobs by dragging or with Alt+↑/Alt+↓ (or the buttons),
 * cancels one or all of theirs, and runs a failed one again. Used in the studio and on /queue.
 */
export function QueuePanel({ workspaceId, mayGenerate, mayCancel, headingLevel = 2 }: { workspaceId: string | undefined; mayGenerate: boolean; mayCancel: boolean; headingLevel?: 1 | 2 }) {
  const trpc = useTRPC();
  const toast = useToast();
  const input = { workspaceId };
  const query = useQuery(trpc.queue.list.queryOptions(input, { refetchInterval: (q) => ((q.state.data as QueueView | undefined)?.active.some((i) => i.status === 'queued') ? 10_000 : false) }));
  const [view, setView] = useState<QueueView | null>(null);
  const busy = useRef(false);
  useEffect(() => {
    if (query.data && !busy.current) setView(query.data);
  }, [query.data]);
  const [announce, setAnnounce] = useState('');
  const [confirmAll, setConfirmAll] = useState(false);
  const [dragId, setDragId] = useState<string | null>(null);
  const focusAfter = useRef<string | null>(null);
  const listRef = useRef<HTMLOListElement>(null);

  // Live: a job changing state (not every progress tick) or someone reordering moves the positions.
  const lastStatus = useRef(new Map<string, string>());
  const { refetch } = query;
  const onUpdate = useCallback(
    (e: GenerationEvent) => {
      if (workspaceId && e.workspaceId !== workspaceId) return;
      const before = lastStatus.current.get(e.id);
      lastStatus.current.set(e.id, e.status);
      if (before !== e.status) void refetch();
      else
        setView((v) =>
          v ? { ...v, active: v.active.map((i) => (i.id === e.id ? { ...i, progress: e.progress, statusMessage: e.statusMessage ?? i.statusMessage } : i)) } : v,
        );
    },
    [refetch, workspaceId],
  );
  useSocketEvent('generation:update', onUpdate);
  useSocketEvent(
    'queue:changed',
    useCallback((e: { workspaceId: string }) => {
      if (!workspaceId || e.workspaceId === workspaceId) void refetch();
    }, [refetch, workspaceId]),
  );
  useSocketConnected(useCallback(() => void refetch(), [refetch]));

  // One reorder at a time, in the order they were made: a newer order waits for the one in flight
  // (two sent at once could be applied the wrong way round), and answers are not shown meanwhile.
  const pendingOrder = useRef<string[] | null>(null);
  const inFlight = useRef(false);
  const reorder = useMutation(
    trpc.queue.reorder.mutationOptions({
      onSuccess: (v) => {
        if (!pendingOrder.current) setView(v);
      },
      onError: (err) => {
        pendingOrder.current = null;
        toast({ tone: 'error', title: 'Could not move the job', body: errorMessage(err) });
        void refetch();
      },
      onSettled: () => {
        const next = pendingOrder.current;
        pendingOrder.current = null;
        inFlight.current = next !== null;
        busy.current = inFlight.current;
        if (next) reorder.mutate({ workspaceId, ids: next });
      },
    }),
  );
  const sendOrder = (ids: string[]) => {
    busy.current = true;
    if (inFlight.current) pendingOrder.current = ids;
    else {
      inFlight.current = true;
      reorder.mutate({ workspaceId, ids });
    }
  };
  const cancel = useMutation(trpc.generation.cancel.mutationOptions({ onSuccess: () => void refetch(), onError: (err) => toast({ tone: 'error', title: 'Could not cancel', body: errorMessage(err) }) }));
  const cancelAll = useMutation(
    trpc.queue.cancelAll.mutationOptions({
      onSuccess: ({ canceled }) => {
        setConfirmAll(false);
        setAnnounce(canceled === 0 ? 'Nothing of yours was waiting.' : `Canceled ${canceled} job${canceled === 1 ? '' : 's'}; the credits are back.`);
        void refetch();
      },
      onError: (err) => toast({ tone: 'error', title: 'Could not cancel', body: errorMessage(err) }),
    }),
  );
  const rerun = useMutation(
    trpc.generation.rerun.mutationOptions({
      onSuccess: () => {
        setAnnounce('Started again.');
        void refetch();
      },
      onError: (err) => toast({ tone: 'error', title: 'Could not start it again', body: errorMessage(err) }),
    }),
  );

  useEffect(() => {
    if (!focusAfter.current) return;
    const el = listRef.current?.querySelector<HTMLElement>(`[data-job="${focusAfter.current}"]`);
    focusAfter.current = null;
    el?.focus();
  });

  /** Moves one of my jobs to the place of another of mine (or by a step), keeping everyone else's where they are. */
  const move = (id: string, to: number | 'up' | 'down') => {
    if (!view) return;
    const mine = view.active.filter(movable);
    const from = mine.findIndex((i) => i.id === id);
    if (from === -1) return;
    const target = to === 'up' ? from - 1 : to === 'down' ? from + 1 : to;
    if (target < 0 || target >= mine.length || target === from) return;
    const order = mine.slice();
    const [item] = order.splice(from, 1);
    order.splice(target, 0, item!);
    // Shown at once: my jobs take my places in line in the new order.
    const slots = view.active.map((i, k) => (movable(i) ? k : -1)).filter((k) => k >= 0);
    const next = view.active.slice();
    slots.forEach((k, n) => {
      next[k] = { ...order[n]!, position: view.active[k]!.position };
    });
    setView({ ...view, active: next });
    focusAfter.current = id;
    const moved = next.find((i) => i.id === id)!;
    setAnnounce(`“${short(moved.prompt, 40)}” is now ${moved.position ? `${ordinal(moved.position)} in line` : 'moved'}.`);
    sendOrder(order.map((i) => i.id));
  };

  const onKey = (e: KeyboardEvent<HTMLLIElement>, i: QueueItem) => {
    if (!movable(i) || !e.altKey) return;
    if (e.key === 'ArrowUp') {
      e.preventDefault();
      move(i.id, 'up');
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      move(i.id, 'down');
    }
  };
  const onDrop = (e: DragEvent, over: QueueItem) => {
    e.preventDefault();
    const id = dragId ?? e.dataTransfer.getData('text/plain');
    setDragId(null);
    if (!view || !id || id === over.id || !movable(over)) return;
    move(id, view.active.filter(movable).findIndex((i) => i.id === over.id));
  };

  const H = headingLevel === 1 ? 'h1' : 'h2';
  const mine = view?.active.filter(movable) ?? [];
  const anyMine = view?.active.some((i) => i.mine) ?? false;
  return (
    <section className="panel queue-panel stack-s" aria-labelledby="queue-heading">
      <div className="section-head">
        <H id="queue-heading">Queue</H>
        {mayCancel && anyMine ? (
          confirmAll ? (
            <span className="row gap-s" role="group" aria-label="Confirm cancel all">
              <button type="button" className="button danger small" onClick={() => cancelAll.mutate({ workspaceId })} disabled={cancelAll.isPending}>
                Yes, cancel all mine
              </button>
              <button type="button" className="button ghost small" onClick={() => setConfirmAll(false)}>
                Keep them
              </button>
            </span>
          ) : (
            <button type="button" className="button ghost small" onClick={() => setConfirmAll(true)}>
              Cancel all mine
            </button>
          )
        ) : null}
      </div>
      <p className="visually-hidden" aria-live="polite">
        {announce}
      </p>
      {query.isError && !view ? (
        <p className="field-error" role="alert">
          The queue could not be loaded. {errorMessage(query.error)}{' '}
          <button type="button" className="button ghost small" onClick={() => void refetch()}>
            Try again
          </button>
        </p>
      ) : !view ? (
        <p className="muted small" aria-busy="true">
          Loading the queue…
        </p>
      ) : view.active.length === 0 ? (
        <p className="muted small">Nothing is waiting or running in this workspace.</p>
      ) : (
        <>
          {mine.length > 1 ? <p className="hint">Drag your jobs, or focus one and press Alt+↑ / Alt+↓, to choose which runs first. Others’ jobs keep their places.</p> : null}
          <ol className="queue-list" ref={listRef} aria-label="Jobs in the queue">
            {view.active.map((i) => {
              const canMove = movable(i) && mayGenerate;
              const k = mine.findIndex((m) => m.id === i.id);
              return (
                <li
                  key={i.id}
                  data-job={i.id}
                  className={`queue-item ${i.mine ? 'mine' : ''} ${dragId === i.id ? 'dragging' : ''}`}
                  tabIndex={canMove ? 0 : undefined}
                  aria-label={`${short(i.prompt, 60)}: ${placeText(i)}${i.mine ? '' : `, by ${i.userName}`}`}
                  aria-keyshortcuts={canMove ? 'Alt+ArrowUp Alt+ArrowDown' : undefined}
                  draggable={canMove}
                  onKeyDown={(e) => onKey(e, i)}
                  onDragStart={(e) => {
                    setDragId(i.id);
                    e.dataTransfer.setData('text/plain', i.id);
                    e.dataTransfer.effectAllowed = 'move';
                  }}
                  onDragEnd={() => setDragId(null)}
                  onDragOver={(e) => {
                    if (dragId && movable(i)) e.preventDefault();
                  }}
                  onDrop={(e) => onDrop(e, i)}
                >
                  <div className="queue-main">
                    <span className={`pill pill-${i.status}`}>{placeText(i)}</span>
                    <span className="queue-prompt">{short(i.prompt)}</span>
                  </div>
                  <div className="queue-sub muted small">
                    {i.kind === 'video' ? 'Video' : 'Image'} · {i.mine ? 'you' : i.userName}
                    {i.statusMessage ? <span className="queue-status"> · {i.statusMessage}</span> : null}
                  </div>
                  <div className="row gap-s queue-actions">
                    {canMove ? (
                      <>
                        <button type="button" className="button ghost small" aria-label={`Move “${short(i.prompt, 30)}” up`} disabled={k <= 0} onClick={() => move(i.id, 'up')}>
                          ↑
                        </button>
                        <button type="button" className="button ghost small" aria-label={`Move “${short(i.prompt, 30)}” down`} disabled={k === mine.length - 1} onClick={() => move(i.id, 'down')}>
                          ↓
                        </button>
                      </>
                    ) : null}
                    {i.mine && mayCancel ? (
                      <button type="button" className="button ghost small" aria-label={`Cancel “${short(i.prompt, 30)}”`} onClick={() => cancel.mutate({ id: i.id })}>
                        Cancel
                      </button>
                    ) : null}
                  </div>
                </li>
              );
            })}
          </ol>
        </>
      )}
      {view && view.failed.length > 0 ? (
        <div className="stack-s">
          <h3 className="small-heading">Failed recently</h3>
          <ul className="queue-list" aria-label="Failed jobs">
            {view.failed.map((i) => (
              <li key={i.id} className="queue-item">
                <div className="queue-main">
                  <span className="pill pill-failed">Failed</span>
                  <span className="queue-prompt">{short(i.prompt)}</span>
                </div>
                {i.errorMessage ? <div className="queue-sub muted small">{i.errorMessage}</div> : null}
                {mayGenerate ? (
                  <div className="row gap-s queue-actions">
                    <button type="button" className="button ghost small" aria-label={`Run “${short(i.prompt, 30)}” again`} onClick={() => rerun.mutate({ id: i.id })} disabled={rerun.isPending}>
                      Run again
                    </button>
                  </div>
                ) : null}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}
