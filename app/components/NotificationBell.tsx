import { Link } from '@remix-run/react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { NotificationView } from '../../server/shared/realtime.js';
import { useSocketConnected, useSocketEvent } from '../lib/realtime.js';
import { useTRPC } from '../lib/trpc.js';

/** "5 min ago". Server-rendered, its element carries `suppressHydrationWarning` (see app/lib/format.ts). */
export function timeAgo(iso: string | Date): string {
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/**
 * What opening a notification leads to, said as an action where that is not obvious from its title
 * (an invitation is accepted on the page its link opens). Null when it has no link.
 */
export function notificationAction(n: Pick<NotificationView, 'kind' | 'link'>): string | null {
  if (!n.link) return null;
  if (n.kind === 'invitation_received') return 'Open invitation';
  if (n.link.startsWith('/boards/')) return 'Open board';
  if (n.link.startsWith('/workspaces/')) return 'Open workspace';
  return null;
}

/** One notification in the bell's panel: a link when it leads somewhere, else a button that marks it read. */
function BellItem({ n, onOpen }: { n: NotificationView; onOpen: () => void }) {
  const action = notificationAction(n);
  const content = (
    <>
      <span className="notification-title">
        {n.read ? null : <span className="visually-hidden">Unread: </span>}
        {n.title}
      </span>
      {n.body ? <span className="muted small">{n.body}</span> : null}
      <span className="muted small" suppressHydrationWarning>
        {timeAgo(n.createdAt)}
      </span>
    </>
  );
  if (!n.link) {
    return (
      <button type="button" className="notification-item" onClick={onOpen}>
        {content}
      </button>
    );
  }
  return (
    <Link to={n.link} className="notification-item" onClick={onOpen}>
      {content}
      {action ? (
        <span className="notification-action" data-kind={n.kind}>
          {action}
        </span>
      ) : null}
    </Link>
  );
}

/** The notification centre: unread count on a bell, the latest ones in a panel, live from the user's room. */
export function NotificationBell() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const ref = useRef<HTMLDivElement>(null);
  const listKey = trpc.notification.list.queryKey({ limit: 10 });
  const list = useQuery(trpc.notification.list.queryOptions({ limit: 10 }, { staleTime: 60_000 }));
  const [live, setLive] = useState<string | null>(null);
  const onNew = useCallback(
    (n: NotificationView) => {
      queryClient.setQueryData(listKey, (old: { items: NotificationView[]; unread: number } | undefined) =>
        old ? { items: [n, ...old.items.filter((x) => x.id !== n.id)].slice(0, 10), unread: old.unread + 1 } : old,
      );
      setLive(`New notification: ${n.title}`);
    },
    [queryClient, listKey],
  );
  const onRead = useCallback(
    (e: { ids: string[] | 'all'; unread: number }) => {
      queryClient.setQueryData(listKey, (old: { items: NotificationView[]; unread: number } | undefined) =>
        old ? { unread: e.unread, items: old.items.map((x) => (e.ids === 'all' || e.ids.includes(x.id) ? { ...x, read: true } : x)) } : old,
      );
    },
    [queryClient, listKey],
  );
  useSocketEvent('notification:new', onNew);
  useSocketEvent('notification:read', onRead);
  // Events are not replayed: what arrived while the tab was not listening (before its socket
  // connected, or while it was away) is read again each time it connects.
  useSocketConnected(useCallback(() => void queryClient.invalidateQueries({ queryKey: trpc.notification.list.queryKey() }), [queryClient, trpc]));
  const markRead = useMutation(trpc.notification.markRead.mutationOptions({ onSuccess: (r, v) => onRead({ ids: v.ids, unread: r.unread }) }));
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);
  const unread = list.data?.unread ?? 0;
  return (
    <div className="bell" ref={ref}>
      <button type="button" className="bell-button" aria-expanded={open} aria-controls={panelId} onClick={() => setOpen((o) => !o)} aria-label={unread > 0 ? `Notifications, ${unread} unread` : 'Notifications'}>
        <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
          <path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z" />
        </svg>
        {unread > 0 ? (
          <span className="bell-count" data-testid="unread-count" aria-hidden="true">
            {unread > 99 ? '99+' : unread}
          </span>
        ) : null}
      </button>
      <span className="visually-hidden" aria-live="polite">
        {live}
      </span>
      {open ? (
        <div className="bell-panel" id={panelId} role="region" aria-label="Notifications">
          <div className="row gap-s bell-head">
            <h2 className="small-heading grow">Notifications</h2>
            <button type="button" className="button ghost small" disabled={unread === 0 || markRead.isPending} onClick={() => markRead.mutate({ ids: 'all' })}>
              Mark all read
            </button>
          </div>
          {list.isLoading ? <p className="muted small">Loading…</p> : null}
          {list.isError ? <p className="form-error">Notifications could not be loaded.</p> : null}
          {list.data && list.data.items.length === 0 ? <p className="muted small">Nothing yet. You will see finished jobs, invitations and mentions here.</p> : null}
          <ul className="notification-list">
            {list.data?.items.map((n) => (
              <li key={n.id} className={n.read ? '' : 'unread'}>
                <BellItem
                  n={n}
                  onOpen={() => {
                    if (!n.read) markRead.mutate({ ids: [n.id] });
                    setOpen(false);
                  }}
                />
              </li>
            ))}
          </ul>
          <Link to="/notifications" className="small" onClick={() => setOpen(false)}>
            All notifications
          </Link>
        </div>
      ) : null}
    </div>
  );
}
