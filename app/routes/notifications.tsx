import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useRevalidator } from '@remix-run/react';
import { useMutation } from '@tanstack/react-query';
import { useCallback } from 'react';
import { notificationAction, timeAgo } from '../components/NotificationBell.js';
import { useSocketConnected, useSocketEvent } from '../lib/realtime.js';
import { requireUser } from '../lib/session.server.js';
import { useTRPC } from '../lib/trpc.js';

export const meta: MetaFunction = () => [{ title: 'Notifications — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { trpc } = await requireUser(request, context);
  return trpc.notification.list({ limit: 100 });
}

export default function Notifications() {
  const { items, unread } = useLoaderData<typeof loader>();
  const trpc = useTRPC();
  const revalidator = useRevalidator();
  const { revalidate } = revalidator;
  const refresh = useCallback(() => void revalidate(), [revalidate]);
  useSocketEvent('notification:new', refresh);
  useSocketEvent('notification:read', refresh);
  // What arrived while the tab was not listening (before its socket connected, or while it was away) is read again.
  useSocketConnected(refresh);
  const markRead = useMutation(trpc.notification.markRead.mutationOptions({ onSuccess: refresh }));
  return (
    <div className="narrow-page">
      <div className="section-head">
        <h1>Notifications</h1>
        <button type="button" className="button ghost small" disabled={unread === 0 || markRead.isPending} onClick={() => markRead.mutate({ ids: 'all' })}>
          Mark all read
        </button>
      </div>
      {items.length === 0 ? (
        <div className="panel empty-state">
          <h2>Nothing yet</h2>
          <p className="muted">Finished and failed jobs, invitations, new members and mentions in board notes show up here.</p>
        </div>
      ) : (
        <ul className="panel notification-list full" aria-label="Notifications">
          {items.map((n) => {
            const action = n.kind === 'invitation_received' ? notificationAction(n) : null;
            const open = () => (n.read ? undefined : markRead.mutate({ ids: [n.id] }));
            return (
              <li key={n.id} className={n.read ? '' : 'unread'}>
                <div className="grow">
                  <div className="notification-title">
                    {n.read ? null : <span className="visually-hidden">Unread: </span>}
                    {n.link ? (
                      <Link to={n.link} onClick={open}>
                        {n.title}
                      </Link>
                    ) : (
                      n.title
                    )}
                  </div>
                  {n.body ? <div className="muted small">{n.body}</div> : null}
                  <div className="muted small" suppressHydrationWarning>
                    {timeAgo(n.createdAt)}
                  </div>
                </div>
                {n.link && action ? (
                  <Link to={n.link} className="button primary small" onClick={open}>
                    {action}
                    <span className="visually-hidden">: {n.title}</span>
                  </Link>
                ) : null}
                {!n.read ? (
                  <button type="button" className="button ghost small" onClick={() => markRead.mutate({ ids: [n.id] })}>
                    Mark read<span className="visually-hidden">: {n.title}</span>
                  </button>
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
