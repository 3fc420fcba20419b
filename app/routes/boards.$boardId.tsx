import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useNavigate, useRevalidator, useSearchParams } from '@remix-run/react';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { startTransition, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import * as Y from 'yjs';
import { ZoomControls } from '../components/ZoomControls.js';
import { BoardCanvas, LOCAL, newNote, type CommentPin, type View } from '../components/BoardCanvas.js';
import { BoardComments, commentCounts, useBoardComments, type CommentTarget } from '../components/BoardComments.js';
import { liveComments, type ThreadView } from '../../server/shared/comments.js';
import { BoardPresence, colorFor, type Peer } from '../components/BoardPresence.js';
import { BoardSidebar } from '../components/BoardSidebar.js';
import { BoardFeed } from '../components/BoardFeed.js';
import { BoardHistory, diffSummary, useRestoreNotices, versionLabel, type PreviewState } from '../components/BoardHistory.js';
import { itemsFromFields } from '../../server/shared/board-versions.js';
import { DeleteBoardDialog } from '../components/DeleteBoardDialog.js';
import type { BoardClient, BoardClientState } from '../lib/board-client.js';
import { openBoardEarly, releaseBoardClient, takeBoardClient } from '../lib/board-session.js';
import { useSocket, useSocketEvent } from '../lib/realtime.js';
import { requireUser } from '../lib/session.server.js';
import { can, deniedReason } from '../../server/shared/permissions.js';
import { ERROR_CODES } from '../../server/shared/errors.js';
import { ReportDialog } from '../components/ReportDialog.js';
import { ShareDialog } from '../components/ShareDialog.js';
import { errorMessage, useTRPC, useTRPCClient } from '../lib/trpc.js';
import { arrange, boardUndoManager, byStacking, fitSize, freeSpotNear, itemsOf, mentionsIn, putItem, readItem, type BoardItem } from '../../server/shared/board.js';
import { usePageShortcuts } from '../components/Shortcuts.js';
import { BOARD_SHORTCUTS } from '../lib/shortcuts.js';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.board.name ?? 'Board'} — Flux Klein` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { me, trpc } = await requireUser(request, context);
  try {
    const board = await trpc.board.get({ boardId: params.boardId! });
    return { board, me: { id: me.id, name: me.name || me.email } };
  } catch {
    throw new Response('Not found', { status: 404 });
  }
}

/** The live board: a BoardClient on the tab's socket, its items, the others' presence. */
function useBoard(boardId: string) {
  const socket = useSocket();
  const [client, setClient] = useState<BoardClient | null>(null);
  const [state, setState] = useState<BoardClientState | null>(null);
  const [items, setItems] = useState<BoardItem[]>([]);
  const [peers, setPeers] = useState<Peer[]>([]);
  // Joined while the page hydrates (app/lib/board-session.ts), taken over by the effect below.
  openBoardEarly(boardId);
  useEffect(() => {
    if (!socket) return;
    const c = takeBoardClient(socket, boardId);
    // Items are read again only where the document changed (a board may hold thousands): unchanged
    // items keep their object, so the canvas re-renders only those that changed. Once per frame.
    const cache = new Map<string, BoardItem>();
    const changed = new Set<string>();
    let all = true;
    let frame = 0;
    const read = () => {
      frame = 0;
      if (!all && changed.size === 0) return;
      const live = itemsOf(c.doc);
      if (all) {
        cache.clear();
        live.forEach((m, id) => {
          if (m instanceof Y.Map) cache.set(id, readItem(id, m));
        });
      } else {
        for (const id of changed) {
          const m = live.get(id);
          if (m instanceof Y.Map) cache.set(id, readItem(id, m));
          else cache.delete(id);
        }
      }
      const first = all;
      all = false;
      changed.clear();
      const next = [...cache.values()].sort(byStacking);
      // The whole board at once (on joining): a transition, rendered in slices; later changes at once.
      if (first) startTransition(() => setItems(next));
      else setItems(next);
    };
    const onItems = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
      for (const e of events) {
        if (e.path.length === 0) for (const key of e.keys.keys()) changed.add(key);
        else changed.add(String(e.path[0]));
      }
      if (!frame) frame = requestAnimationFrame(read);
    };
    // Not the document's 'update' event: listening to it makes Yjs encode every change once more.
    itemsOf(c.doc).observeDeep(onItems);
    const onAwareness = () => {
      const list: Peer[] = [];
      c.awareness.getStates().forEach((s, clientId) => {
        if (clientId === c.doc.clientID || !s?.user) return;
        list.push({ clientId, user: s.user, cursor: s.cursor ?? null, selection: Array.isArray(s.selection) ? s.selection : [], readOnly: s.readOnly });
      });
      setPeers(list);
    };
    c.awareness.on('change', onAwareness);
    const off = c.onChange(setState);
    // Opened early, it may already be joined and hold the board. The page's first render with the
    // board (all its items) is a transition: rendered in slices, the browser stays responsive.
    startTransition(() => {
      setState(c.state);
      if (itemsOf(c.doc).size > 0) read();
      if (c.awareness.getStates().size > 1) onAwareness();
      setClient(c);
    });
    return () => {
      cancelAnimationFrame(frame);
      off();
      itemsOf(c.doc).unobserveDeep(onItems);
      c.awareness.off('change', onAwareness);
      c.destroy();
      c.doc.destroy();
      releaseBoardClient(boardId);
      setClient(null);
    };
  }, [socket, boardId]);
  return { client, state, items, peers };
}

function statusText(s: BoardClientState | null): string {
  if (!s || s.status === 'connecting') return 'Connecting…';
  if (s.status === 'offline') return s.unsaved > 0 ? `Offline, ${s.unsaved} ${s.unsaved === 1 ? 'change' : 'changes'} waiting` : 'Offline — your changes will sync when you reconnect';
  if (s.status === 'closed') return s.error?.message ?? 'This board is closed.';
  // "Saved" only once the server says the change is committed to the database (not when it was sent).
  return s.unsaved > 0 ? 'Saving…' : 'All changes saved';
}

/**
 * The board's name as a heading; editors rename it in place (Enter saves, Escape cancels) and see
 * the server's refusal if there is one.
 */
function BoardTitle(props: { boardId: string; name: string; canRename: boolean; onRenamed: (name: string) => void }) {
  const trpc = useTRPC();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(props.name);
  const renameButton = useRef<HTMLButtonElement>(null);
  const rename = useMutation(
    trpc.board.rename.mutationOptions({
      onSuccess: (b) => {
        props.onRenamed(b.name);
        setEditing(false);
        requestAnimationFrame(() => renameButton.current?.focus());
      },
    }),
  );
  const cancel = () => {
    setEditing(false);
    rename.reset();
    requestAnimationFrame(() => renameButton.current?.focus());
  };
  if (!editing || !props.canRename) {
    return (
      <>
        <h1 className="board-title">{props.name}</h1>
        {props.canRename ? (
          <button
            ref={renameButton}
            type="button"
            className="button ghost small"
            onClick={() => {
              setDraft(props.name);
              setEditing(true);
            }}
          >
            Rename<span className="visually-hidden"> board</span>
          </button>
        ) : null}
      </>
    );
  }
  return (
    <form
      className="row gap-s board-rename"
      onSubmit={(e) => {
        e.preventDefault();
        if (draft === props.name) return cancel();
        rename.mutate({ boardId: props.boardId, name: draft });
      }}
    >
      <label htmlFor="board-rename" className="visually-hidden">
        Board name
      </label>
      <input
        id="board-rename"
        className="board-rename-input"
        value={draft}
        maxLength={80}
        autoFocus
        onFocus={(e) => e.currentTarget.select()}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            cancel();
          }
        }}
        aria-invalid={rename.isError || undefined}
        aria-describedby={rename.isError ? 'board-rename-error' : undefined}
      />
      <button type="submit" className="button primary small" disabled={rename.isPending}>
        Save
      </button>
      <button type="button" className="button ghost small" onClick={cancel}>
        Cancel
      </button>
      {rename.isError ? (
        <p id="board-rename-error" className="form-error small" role="alert">
          {errorMessage(rename.error)}
        </p>
      ) : null}
    </form>
  );
}

/** Shown instead of the board when it was deleted or access to it ended (the server closed it). */
function BoardClosed({ error }: { error: BoardClientState['error'] }) {
  const [title, text] =
    error?.code === 'NOT_FOUND'
      ? ['This board was deleted', 'It was removed from the workspace with everything on it.']
      : error?.code === 'BOARD_ACCESS_REVOKED'
        ? ['You no longer have access to this board', 'You were removed from its workspace, or your role there changed.']
        : ['This board cannot be opened', error?.message ?? 'Please try again in a moment.'];
  return (
    <div className="panel empty-state board-closed" role="alert">
      <h2>{title}</h2>
      <p className="muted">{text}</p>
      <Link to="/boards" className="button primary">
        Back to boards
      </Link>
    </div>
  );
}

export default function BoardPage() {
  const { board, me } = useLoaderData<typeof loader>();
  usePageShortcuts(BOARD_SHORTCUTS);
  const { client, state, items, peers } = useBoard(board.id);
  const navigate = useNavigate();
  const trpc = useTRPC();
  const trpcClient = useTRPCClient();
  const revalidator = useRevalidator();
  const mentions = useMutation(trpc.notification.mentions.mutationOptions());
  // Which images on the board the classifier flagged, and how this workspace shows them (blurred or withheld).
  const imageIds = useMemo(() => [...new Set(items.flatMap((i) => (i.type === 'image' && i.assetId && i.status !== 'removed' ? [i.assetId] : [])))].sort().slice(0, 500), [items]);
  const verdictQuery = useQuery(
    trpc.moderation.verdicts.queryOptions({ workspaceId: board.workspaceId, assetIds: imageIds }, { enabled: imageIds.length > 0, staleTime: 30_000, retry: false, placeholderData: keepPreviousData }),
  );
  // The last answer and the ids it covers. An image not covered yet (just placed) or when the check
  // fails is treated as flagged: blurred, never shown unchecked.
  const answered = useRef<{ ids: Set<string>; verdicts: Record<string, 'blur' | 'block'> }>({ ids: new Set(), verdicts: {} });
  if (verdictQuery.data && !verdictQuery.isPlaceholderData && verdictQuery.isSuccess) answered.current = { ids: new Set(imageIds), verdicts: verdictQuery.data };
  const verdicts = useMemo<Record<string, 'blur' | 'block'>>(
    () => Object.fromEntries(imageIds.flatMap((id) => (answered.current.ids.has(id) ? (answered.current.verdicts[id] ? [[id, answered.current.verdicts[id]]] : []) : [[id, 'blur']]))),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `answered` changes with the query's data
    [imageIds, verdictQuery.data, verdictQuery.isPlaceholderData],
  );
  const closed = state?.status === 'closed';
  // Until the server has answered the join (its role), the client holds the board read-only: the page
  // shows what the loader said meanwhile, so its controls do not vanish and come back (a layout shift
  // and two renders of the whole page), and nothing is edited before the join (`locked`).
  const joined = Boolean(state && state.role !== null);
  const readOnly = closed || (joined ? state!.readOnly : board.readOnly);
  const locked = readOnly || !joined;
  const role = state?.role ?? board.role;
  // The role's permissions (server/shared/permissions.ts): what it cannot do is hidden, and the side panel says why.
  const suspended = Boolean(state?.suspended);
  const roleReason = suspended ? ERROR_CODES.ACCOUNT_SUSPENDED.message : deniedReason(role, 'board.edit');
  const [reporting, setReporting] = useState<{ itemId: string; what: string } | null>(null);
  const canRename = !readOnly && can(role, 'board.rename');
  const canDelete = !closed && can(role, 'board.delete');
  const [confirmDelete, setConfirmDelete] = useState(false);
  // Share links (issue 17): editors make and revoke them; everyone sees how many people watch through one.
  const canShare = !readOnly && !suspended && can(role, 'board.share');
  const [sharing, setSharing] = useState(false);
  const [anonymous, setAnonymous] = useState(0);
  const onViewers = useCallback((e: { boardId: string; anonymous: number }) => e.boardId === board.id && setAnonymous(e.anonymous), [board.id]);
  useSocketEvent('board:viewers', onViewers);
  // The name, kept current when someone renames the board (the workspace's boards changed).
  const [name, setName] = useState(board.name);
  useEffect(() => setName(board.name), [board.name]);
  const onWorkspaceChanged = useCallback(
    (e: { workspaceId: string; what: string }) => {
      if (e.workspaceId !== board.workspaceId || e.what !== 'boards') return;
      trpcClient.board.get.query({ boardId: board.id }).then(
        (b) => setName(b.name),
        () => {
          /* deleted or no access: the board's socket says so */
        },
      );
    },
    [trpcClient, board.id, board.workspaceId],
  );
  useSocketEvent('workspace:changed', onWorkspaceChanged);
  const [selection, setSelection] = useState<Set<string>>(new Set());
  // One image or note selected: it can be reported (server/services/reports.ts), whatever the role.
  const selectedItem = selection.size === 1 ? items.find((i) => selection.has(i.id)) : undefined;
  const reportable = selectedItem && ((selectedItem.type === 'image' && selectedItem.assetId) || selectedItem.type === 'note') ? selectedItem : undefined;
  const [view, setView] = useState<View>({ x: 0, y: 0, zoom: 1 });
  // Version history (a side panel) and the version being previewed in place of the live board.
  const [historyOpen, setHistoryOpen] = useState(false);
  const [preview, setPreview] = useState<PreviewState | null>(null);
  // Comments (issue 17): the panel, a spot being picked for a new thread, a thread to show.
  const comments = useBoardComments(board.id);
  const [searchParams] = useSearchParams();
  const [commentsOpen, setCommentsOpen] = useState(() => searchParams.has('thread'));
  const [focusThread, setFocusThread] = useState<string | null>(() => searchParams.get('thread'));
  const [picking, setPicking] = useState(false);
  const [picked, setPicked] = useState<{ x: number; y: number } | null>(null);
  const openThreads = useMemo(() => comments.threads.filter((t) => !t.resolved), [comments.threads]);
  const counts = useMemo(() => commentCounts(openThreads), [openThreads]);
  const pins = useMemo<CommentPin[]>(() => {
    const onBoard = new Set(items.map((i) => i.id));
    // Threads on a point, and threads whose item was removed (shown where the item was).
    return openThreads
      .filter((t) => !t.itemId || !onBoard.has(t.itemId))
      .map((t) => ({ threadId: t.id, x: t.x, y: t.y, count: liveComments(t), label: `Comment: ${t.comments.find((c) => !c.deleted)?.body.slice(0, 60) ?? ''}` }));
  }, [openThreads, items]);
  useEffect(() => {
    if (!picking) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setPicking(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [picking]);
  const previewDoc = useMemo(() => (preview ? new Y.Doc() : null), [preview]);
  useEffect(() => () => previewDoc?.destroy(), [previewDoc]);
  const previewItems = useMemo(() => (preview ? itemsFromFields(preview.items) : []), [preview]);
  // A preview opens fitted to the version's items (the live view comes back when it closes); on a
  // narrow screen, where the panel is below the canvas, the preview is scrolled into view.
  const liveView = useRef<View | null>(null);
  const previewId = preview?.version.id ?? null;
  useEffect(() => {
    if (!previewId) {
      if (liveView.current) setView(liveView.current);
      liveView.current = null;
      return;
    }
    setView((v) => {
      liveView.current ??= v;
      const r = document.querySelector('.board-canvas')?.getBoundingClientRect();
      if (!r || previewItems.length === 0) return v;
      const minX = Math.min(...previewItems.map((i) => i.x));
      const minY = Math.min(...previewItems.map((i) => i.y));
      const maxX = Math.max(...previewItems.map((i) => i.x + i.w));
      const maxY = Math.max(...previewItems.map((i) => i.y + i.h));
      const zoom = Math.max(0.2, Math.min(1, (r.width - 48) / (maxX - minX || 1), (r.height - 48) / (maxY - minY || 1)));
      return { zoom, x: r.width / 2 - ((minX + maxX) / 2) * zoom, y: r.height / 2 - ((minY + maxY) / 2) * zoom };
    });
    if (window.matchMedia('(max-width: 900px)').matches) document.querySelector('[data-testid="preview-bar"]')?.scrollIntoView({ block: 'start' });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [previewId]);
  const previewMarks = useMemo(() => {
    const m = new Map<string, string>();
    if (!preview) return m;
    for (const id of preview.diff.edited) m.set(id, 'edited');
    for (const id of preview.diff.moved) m.set(id, 'moved');
    for (const id of preview.diff.removed) m.set(id, 'removed');
    return m;
  }, [preview]);
  const [, force] = useState(0);
  const color = useMemo(() => colorFor(me.id), [me.id]);
  const doc = client?.doc ?? null;
  useRestoreNotices(doc, me.id);
  // Undo/redo of this person's own edits only. Made and destroyed by the same effect, so a
  // remount (React's strict mode) does not leave the page holding a destroyed manager.
  const [undo, setUndo] = useState<Y.UndoManager | null>(null);
  useEffect(() => {
    if (!doc) return;
    const u = boardUndoManager(doc);
    const bump = () => force((n) => n + 1);
    u.on('stack-item-added', bump);
    u.on('stack-item-popped', bump);
    setUndo(u);
    return () => {
      setUndo(null);
      u.destroy();
    };
  }, [doc]);

  // Presence: who I am, where my pointer is, what I selected.
  useEffect(() => {
    client?.awareness.setLocalStateField('user', { id: me.id, name: me.name, color });
  }, [client, me, color]);
  useEffect(() => {
    client?.awareness.setLocalStateField('selection', [...selection]);
  }, [client, selection]);
  const lastCursor = useRef(0);
  const onCursor = useCallback(
    (p: { x: number; y: number } | null) => {
      const now = Date.now();
      if (p && now - lastCursor.current < 50) return;
      lastCursor.current = now;
      client?.awareness.setLocalStateField('cursor', p ? { x: Math.round(p.x), y: Math.round(p.y) } : null);
    },
    [client],
  );
  // Items removed by someone else leave the selection. Checked against the document: `items`
  // follows it a frame later, and a note just added is already selected.
  useEffect(() => {
    if (!doc) return;
    const live = itemsOf(doc);
    if ([...selection].some((id) => !live.has(id))) setSelection(new Set([...selection].filter((id) => live.has(id))));
  }, [doc, items, selection]);
  // A new note gets focus once it is on screen (so Enter edits it, Delete removes it).
  const focusNext = useRef<string | null>(null);
  useEffect(() => {
    const el = focusNext.current ? document.querySelector<HTMLElement>(`[data-item-id="${CSS.escape(focusNext.current)}"]`) : null;
    if (!el) return;
    focusNext.current = null;
    el.focus();
  }, [items]);

  const center = () => {
    const el = document.querySelector('.board-canvas');
    const r = el?.getBoundingClientRect();
    return { x: ((r?.width ?? 800) / 2 - view.x) / view.zoom - 100, y: ((r?.height ?? 600) / 2 - view.y) / view.zoom - 75 };
  };
  /** A local edit from the toolbar: one undo step of its own. */
  const edit = (fn: () => void) => {
    if (!doc || locked) return;
    undo?.stopCapturing();
    doc.transact(fn, LOCAL);
  };
  const topZ = () => items.reduce((z, i) => Math.max(z, i.z), 0) + 1;
  const addNote = () => {
    if (!doc || locked) return;
    undo?.stopCapturing();
    const id = newNote(doc, center(), topZ(), me.id);
    setSelection(new Set([id]));
    focusNext.current = id;
  };
  const place = (a: { id: string; url: string; width: number | null; height: number | null; prompt: string | null }) => {
    if (!doc || locked) return;
    const id = `img-${a.id}-${Math.random().toString(36).slice(2, 6)}`;
    const size = fitSize(a.width, a.height, 240);
    const at = freeSpotNear(items, center(), size.w, size.h);
    undo?.stopCapturing();
    doc.transact(() => void putItem(doc, { id, type: 'image', ...at, ...size, z: topZ(), assetId: a.id, url: a.url, prompt: a.prompt ?? undefined, createdBy: me.id }), LOCAL);
    setSelection(new Set([id]));
  };

  /** Shows an item (a job's result, from the feed): centred, selected and focused. False when it is not on the board. */
  const focusItem = (itemId: string): boolean => {
    const item = items.find((i) => i.id === itemId);
    if (!item) return false;
    setPreview(null);
    const r = document.querySelector('.board-canvas')?.getBoundingClientRect();
    const zoom = view.zoom;
    setView({ zoom, x: (r?.width ?? 800) / 2 - (item.x + item.w / 2) * zoom, y: (r?.height ?? 600) / 2 - (item.y + item.h / 2) * zoom });
    setSelection(new Set([itemId]));
    // On a narrow screen the canvas is above the panels: bring it into view.
    document.querySelector('.board-canvas')?.scrollIntoView({ block: 'nearest' });
    requestAnimationFrame(() => document.querySelector<HTMLElement>(`[data-item-id="${CSS.escape(itemId)}"]`)?.focus({ preventScroll: true }));
    return true;
  };

  const feed = <BoardFeed boardId={board.id} meId={me.id} onFocusItem={focusItem} />;

  const showComments = () => {
    setPreview(null);
    setHistoryOpen(false);
    setCommentsOpen(true);
    // On a narrow screen the panel is below the canvas.
    requestAnimationFrame(() => document.getElementById('board-comments')?.scrollIntoView({ block: 'nearest' }));
  };
  /** A badge (an item's threads), a pin (one thread) or C on the selection (a new comment). */
  const onOpenComments = (what: { itemId: string } | { threadId: string } | { selection: true }) => {
    showComments();
    if ('threadId' in what) setFocusThread(what.threadId);
    else if ('itemId' in what) {
      setSelection(new Set([what.itemId]));
      setFocusThread(openThreads.find((t) => t.itemId === what.itemId)?.id ?? null);
    } else requestAnimationFrame(() => document.getElementById('comment-new')?.focus());
  };
  /** "On note: …" in a thread: its item (or its spot) centred on the canvas. */
  const showThreadOnBoard = (t: ThreadView) => {
    if (t.itemId && focusItem(t.itemId)) return;
    const r = document.querySelector('.board-canvas')?.getBoundingClientRect();
    setView((v) => ({ ...v, x: (r?.width ?? 800) / 2 - t.x * v.zoom, y: (r?.height ?? 600) / 2 - t.y * v.zoom }));
    document.querySelector('.board-canvas')?.scrollIntoView({ block: 'nearest' });
  };
  const viewMiddle = () => {
    const r = typeof document === 'undefined' ? undefined : document.querySelector('.board-canvas')?.getBoundingClientRect();
    return { x: ((r?.width ?? 800) / 2 - view.x) / view.zoom, y: ((r?.height ?? 600) / 2 - view.y) / view.zoom };
  };
  const commentTarget: CommentTarget = selectedItem ? { kind: 'item', item: selectedItem } : picked ? { kind: 'point', ...picked, picked: true } : { kind: 'point', ...viewMiddle(), picked: false };

  const deleteDialog = confirmDelete ? <DeleteBoardDialog boardId={board.id} name={name} onClose={() => setConfirmDelete(false)} onDeleted={() => navigate('/boards', { state: { deletedBoard: name } })} /> : null;
  if (closed) {
    return (
      <div className="board-page">
        <div className="board-bar">
          <Link to="/boards" className="back-link">
            ← Boards
          </Link>
          <h1 className="board-title">{name}</h1>
        </div>
        <BoardClosed error={state?.error ?? null} />
        {deleteDialog}
      </div>
    );
  }

  return (
    <div className="board-page">
      <div className="board-bar">
        <div className="row gap-s grow">
          <Link to="/boards" className="back-link">
            ← Boards
          </Link>
          <BoardTitle
            boardId={board.id}
            name={name}
            canRename={canRename}
            onRenamed={(n) => {
              setName(n);
              revalidator.revalidate(); // the tab title
            }}
          />
          {readOnly ? (
            <span className="pill" title={roleReason ?? undefined}>
              View only
            </span>
          ) : null}
          {canDelete ? (
            <button type="button" className="button danger-ghost small" onClick={() => setConfirmDelete(true)} aria-haspopup="dialog">
              Delete board
            </button>
          ) : null}
        </div>
        <BoardPresence me={{ id: me.id, name: me.name, color }} peers={peers} />
        {anonymous > 0 ? (
          <span className="pill anon-viewers" role="status" title="People watching through a share link. Who they are is not shown.">
            {anonymous} anonymous {anonymous === 1 ? 'viewer' : 'viewers'}
          </span>
        ) : null}
        <div className="row gap-s" role="toolbar" aria-label="Board view">
          {roleReason ? null : (
            <>
              <button type="button" className="button ghost small" onClick={() => undo?.undo()} disabled={readOnly || !undo?.canUndo()}>
                Undo
              </button>
              <button type="button" className="button ghost small" onClick={() => undo?.redo()} disabled={readOnly || !undo?.canRedo()}>
                Redo
              </button>
              <button
                type="button"
                className="button ghost small delete-selection"
                disabled={readOnly || selection.size === 0}
                onClick={() => {
                  if (!doc) return;
                  edit(() => selection.forEach((id) => itemsOf(doc).delete(id)));
                  setSelection(new Set());
                }}
              >
                Delete{selection.size > 1 ? ` ${selection.size}` : ''}
              </button>
              <button type="button" className="button ghost small" disabled={readOnly || selection.size === 0} onClick={() => doc && edit(() => arrange(doc, selection, 'front'))} title="Bring to front (])">
                To front
              </button>
              <button type="button" className="button ghost small" disabled={readOnly || selection.size === 0} onClick={() => doc && edit(() => arrange(doc, selection, 'back'))} title="Send to back ([)">
                To back
              </button>
            </>
          )}
          {canShare ? (
            <button type="button" className="button ghost small" aria-haspopup="dialog" onClick={() => setSharing(true)}>
              Share…
            </button>
          ) : null}
          <button
            type="button"
            className="button ghost small"
            aria-haspopup="dialog"
            disabled={!reportable}
            title={reportable ? undefined : 'Select one image or note to report it'}
            onClick={() => reportable && setReporting({ itemId: reportable.id, what: reportable.type === 'note' ? 'this note' : 'this image' })}
          >
            Report…
          </button>
          <button
            type="button"
            className="button ghost small"
            aria-expanded={commentsOpen}
            aria-controls="board-comments"
            aria-keyshortcuts="C"
            onClick={() => (commentsOpen ? setCommentsOpen(false) : showComments())}
          >
            Comments{openThreads.length > 0 ? <>
                <span className="count-pill" aria-hidden="true">
                  {openThreads.length}
                </span>
                <span className="visually-hidden">, {openThreads.length} open</span>
              </> : null}
          </button>
          <button
            type="button"
            className="button ghost small"
            aria-expanded={historyOpen}
            aria-controls="board-history"
            onClick={() => {
              if (historyOpen) setPreview(null);
              else setCommentsOpen(false);
              setHistoryOpen(!historyOpen);
            }}
          >
            History
          </button>
          <ZoomControls view={view} setView={setView} />
        </div>
      </div>
      <p className={`board-status small ${state?.status === 'closed' ? 'danger' : 'muted'}`} role="status" data-testid="board-status">
        {statusText(state)}
        {state?.error && state.status !== 'closed' ? <span className="danger"> · {state.error.message}</span> : null}
      </p>
      {deleteDialog}
      {sharing ? <ShareDialog boardId={board.id} boardName={name} onClose={() => setSharing(false)} /> : null}
      {reporting ? <ReportDialog target={{ kind: 'boardItem', boardId: board.id, itemId: reporting.itemId }} what={reporting.what} onClose={() => setReporting(null)} /> : null}
      {preview ? (
        <div className="board-preview-bar" role="status" data-testid="preview-bar">
          <p className="small">
            <strong>Previewing “{versionLabel(preview.version)}”</strong> — read-only, as it was on {new Date(preview.version.createdAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}. {diffSummary(preview.diff)}
          </p>
          <p className="small board-preview-legend" aria-hidden="true">
            <span className="legend legend-removed">removed since</span>
            <span className="legend legend-moved">moved since</span>
            <span className="legend legend-edited">edited since</span>
          </p>
          <button type="button" className="button ghost small" onClick={() => setPreview(null)}>
            Back to the live board
          </button>
        </div>
      ) : null}
      <div className="board-layout">
        {preview && previewDoc ? (
          <BoardCanvas
            doc={previewDoc}
            items={previewItems}
            readOnly
            selection={new Set()}
            setSelection={() => undefined}
            view={view}
            setView={setView}
            peers={[]}
            undo={null}
            verdicts={verdicts}
            onCursor={() => undefined}
            addNote={() => undefined}
            onNoteEdited={() => undefined}
            marks={previewMarks}
          />
        ) : doc ? (
          <BoardCanvas
            doc={doc}
            items={items}
            readOnly={locked}
            selection={selection}
            setSelection={setSelection}
            view={view}
            setView={setView}
            peers={peers}
            undo={undo}
            verdicts={verdicts}
            onCursor={onCursor}
            addNote={addNote}
            commentCounts={counts}
            pins={pins}
            onOpenComments={onOpenComments}
            pickPoint={
              picking
                ? (p) => {
                    setPicked(p);
                    setPicking(false);
                    setSelection(new Set());
                    requestAnimationFrame(() => document.getElementById('comment-new')?.focus());
                  }
                : null
            }
            onNoteEdited={(noteId, text) => {
              if (mentionsIn(text).length > 0) {
                // After the edit is stored, the server reads the note and tells the members it names.
                const send = () => mentions.mutate({ boardId: board.id, noteId });
                if (!client || client.state.unsaved === 0) setTimeout(send, 0);
                else {
                  const off = client.onChange((s) => {
                    if (s.unsaved === 0) {
                      off();
                      send();
                    }
                  });
                }
              }
            }}
          />
        ) : (
          <div className="board-canvas" aria-busy="true" />
        )}
        <div className="board-panels">
          {commentsOpen ? (
            <BoardComments
              boardId={board.id}
              meId={me.id}
              data={comments}
              items={items}
              target={commentTarget}
              picking={picking}
              onPick={(on) => {
                setPicking(on);
                if (!on) setPicked(null);
              }}
              focusThreadId={focusThread}
              onFocused={() => setFocusThread(null)}
              onShowOnBoard={showThreadOnBoard}
              onClose={() => {
                setCommentsOpen(false);
                setPicking(false);
                setPicked(null);
              }}
            />
          ) : historyOpen ? (
            <div id="board-history" className="stack-s">
              <BoardHistory
                boardId={board.id}
                canEdit={!readOnly}
                client={client}
                me={me}
                undo={undo}
                preview={preview}
                onPreview={setPreview}
                onClose={() => {
                  setPreview(null);
                  setHistoryOpen(false);
                }}
              />
              <div className="panel board-feed-panel">{feed}</div>
            </div>
          ) : (
            <BoardSidebar workspaceId={board.workspaceId} boardId={board.id} readOnly={readOnly} readOnlyReason={roleReason} suspended={suspended} onPlace={place} onAddNote={addNote}>
              {feed}
            </BoardSidebar>
          )}
        </div>
      </div>
      <details className="board-help small">
        <summary>Keyboard and mouse shortcuts</summary>
        <ul>
          <li>
            <kbd>Tab</kbd> move between items · <kbd>Shift</kbd>+click select several · <kbd>Ctrl</kbd>+<kbd>A</kbd> select all · <kbd>Esc</kbd> clear selection
          </li>
          <li>
            Arrow keys move the selection (<kbd>Shift</kbd> for larger steps) · <kbd>Alt</kbd>+arrow keys resize it by 10 px (<kbd>Shift</kbd>+<kbd>Alt</kbd> by 1 px; right/down grow, left/up shrink) · <kbd>Delete</kbd> removes it · <kbd>Enter</kbd> edits a note (<kbd>Ctrl</kbd>+<kbd>Enter</kbd> or leaving the field saves)
          </li>
          <li>
            <kbd>N</kbd> new note · <kbd>C</kbd> comment on the selection (or the middle of the view) · <kbd>]</kbd>/<kbd>[</kbd> to front/back · <kbd>Ctrl</kbd>+<kbd>Z</kbd> undo · <kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>Z</kbd> redo · <kbd>+</kbd>/<kbd>-</kbd> zoom · <kbd>0</kbd> reset view · scroll to pan, <kbd>Ctrl</kbd>+scroll to zoom
          </li>
          <li>
            Drag across empty space to select the items it touches (<kbd>Shift</kbd> adds to the selection) · <kbd>Space</kbd>+drag or the middle mouse button to pan
          </li>
        </ul>
      </details>
    </div>
  );
}
