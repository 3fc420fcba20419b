/**
 * Notifications: stored per user (so they survive a reload) and pushed live to the user's room,
 * which reaches every tab of that user on every process (the Socket.io Postgres adapter).
 * Each is created once per (user, kind, ref): a retried job or hook never notifies twice.
 */
import { readyTitle } from '../shared/generation.js';
import type { Kysely } from 'kysely';
import * as Y from 'yjs';
import type { DB } from '../../db/schema.js';
import { itemsOf, mentionKeysOf, mentionsIn } from '../shared/board.js';
import { rooms, type NotificationView } from '../shared/realtime.js';
import { AppError } from '../shared/errors.js';
import { boardAccess } from '../boards/access.js';
import { loadBoardDoc } from '../boards/store.js';
import { requirePermission } from './workspaces.js';
import type { Actor, Deps, GenerationChange } from './deps.js';

type Row = { id: string; kind: string; title: string; body: string | null; link: string | null; workspace_id: string | null; read_at: Date | null; created_at: Date };

const toView = (r: Row): NotificationView => ({
  id: r.id,
  kind: r.kind as NotificationView['kind'],
  title: r.title,
  body: r.body,
  link: r.link,
  workspaceId: r.workspace_id,
  read: r.read_at !== null,
  createdAt: r.created_at.toISOString(),
});

export interface NewNotification {
  userId: string;
  workspaceId: string | null;
  kind: NotificationView['kind'];
  title: string;
  body?: string | null;
  link?: string | null;
  /** What it is about (a generation id, an invitation id…): with kind, makes it happen once. */
  ref: string;
}

/** Stores a notification and pushes it to the user's tabs; a duplicate (same user, kind, ref) does nothing. */
export async function notify(deps: Pick<Deps, 'db' | 'notifier'>, n: NewNotification): Promise<NotificationView | null> {
  const row = await deps.db
    .insertInto('notification')
    .values({ user_id: n.userId, workspace_id: n.workspaceId, kind: n.kind, title: n.title, body: n.body ?? null, link: n.link ?? null, ref: n.ref })
    .onConflict((oc) => oc.constraint('notification_once').doNothing())
    .returning(['id', 'kind', 'title', 'body', 'link', 'workspace_id', 'read_at', 'created_at'])
    .executeTakeFirst();
  if (!row) return null;
  const view = toView(row);
  deps.notifier.emit(rooms.user(n.userId), 'notification:new', view);
  return view;
}

export async function listNotifications(db: Kysely<DB>, actor: Actor, opts: { limit?: number; unreadOnly?: boolean } = {}) {
  let q = db.selectFrom('notification').select(['id', 'kind', 'title', 'body', 'link', 'workspace_id', 'read_at', 'created_at']).where('user_id', '=', actor.userId);
  if (opts.unreadOnly) q = q.where('read_at', 'is', null);
  const rows = await q.orderBy('created_at', 'desc').limit(Math.min(opts.limit ?? 30, 100)).execute();
  return { items: rows.map(toView), unread: await unreadCount(db, actor) };
}

export async function unreadCount(db: Kysely<DB>, actor: Actor): Promise<number> {
  const r = await db.selectFrom('notification').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', actor.userId).where('read_at', 'is', null).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Marks some (or all) of the actor's notifications read; other tabs hear the new count. */
export async function markRead(deps: Pick<Deps, 'db' | 'notifier'>, actor: Actor, ids: string[] | 'all'): Promise<{ unread: number }> {
  let q = deps.db.updateTable('notification').set({ read_at: new Date() }).where('user_id', '=', actor.userId).where('read_at', 'is', null);
  if (ids !== 'all') {
    if (ids.length === 0) return { unread: await unreadCount(deps.db, actor) };
    // Someone else's notification is NOT_FOUND, like one that does not exist (nothing is marked then).
    const mine = await deps.db.selectFrom('notification').select('id').where('user_id', '=', actor.userId).where('id', 'in', ids).execute();
    if (mine.length !== new Set(ids).size) throw new AppError('NOT_FOUND');
    q = q.where('id', 'in', ids);
  }
  await q.execute();
  const unread = await unreadCount(deps.db, actor);
  deps.notifier.emit(rooms.user(actor.userId), 'notification:read', { ids, unread });
  return { unread };
}

/** The generationChanged hook: job finished or failed, to its author. */
export async function jobNotificationHook(change: GenerationChange, deps: Deps): Promise<void> {
  if (change.status !== 'succeeded' && change.status !== 'failed') return;
  const short = change.prompt.length > 80 ? `${change.prompt.slice(0, 77)}…` : change.prompt;
  await notify(deps, {
    userId: change.userId,
    workspaceId: change.workspaceId,
    kind: change.status === 'succeeded' ? 'job_succeeded' : 'job_failed',
    title: change.status === 'succeeded' ? readyTitle(change.kind, change.assets.length, 'notification') : change.kind === 'video' ? 'Your video failed' : 'Your generation failed',
    body: change.status === 'succeeded' ? short : `${short} — ${change.errorMessage ?? 'please try again.'}`,
    link: change.boardId ? `/boards/${change.boardId}` : '/studio',
    ref: change.id,
  });
}

/**
 * Tells the members named with @name in a note that they were mentioned. The text is read from the
 * stored board (not from the caller), so nobody can send a mention the board does not contain. A
 * name matches a member's display name (first word or all of it, spaces removed) or email local part
 * (`mentionKeysOf`); only members of the board's workspace are notified, never the author.
 */
export async function notifyMentions(deps: Pick<Deps, 'db' | 'notifier'>, actor: Actor, boardId: string, noteId: string): Promise<{ notified: number }> {
  const { board } = await boardAccess(deps.db, actor, boardId);
  // Mentioning is part of writing a note, which takes an editor: a viewer cannot notify in someone's name.
  await requirePermission(deps.db, actor, board.workspaceId, 'board.edit');
  const doc = await loadBoardDoc(deps.db, board.id);
  let text = '';
  try {
    const m = itemsOf(doc).get(noteId);
    text = m instanceof Y.Map ? String(m.get('text') ?? '') : '';
  } finally {
    doc.destroy();
  }
  const names = mentionsIn(text);
  if (names.length === 0) return { notified: 0 };
  const members = await deps.db
    .selectFrom('membership')
    .innerJoin('user', 'user.id', 'membership.user_id')
    .select(['user.id', 'user.name', 'user.email'])
    .where('membership.workspace_id', '=', board.workspaceId)
    .execute();
  const author = members.find((m) => m.id === actor.userId);
  let notified = 0;
  for (const m of members) {
    if (m.id === actor.userId) continue;
    if (!mentionKeysOf(m).some((k) => names.includes(k))) continue;
    const snippet = text.length > 120 ? `${text.slice(0, 117)}…` : text;
    const done = await notify(deps, {
      userId: m.id,
      workspaceId: board.workspaceId,
      kind: 'mentioned',
      title: `${author?.name || 'Someone'} mentioned you on “${board.name}”`,
      body: snippet,
      link: `/boards/${board.id}`,
      ref: `${board.id}:${noteId}:${hash(text)}`,
    });
    if (done) notified++;
  }
  return { notified };
}

function hash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}
