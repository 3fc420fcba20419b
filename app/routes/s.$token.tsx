import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { useEffect, useMemo, useState } from 'react';
import { io } from 'socket.io-client';
import * as Y from 'yjs';
import { ZoomControls } from '../components/ZoomControls.js';
import { BoardCanvas, type View } from '../components/BoardCanvas.js';
import type { Peer } from '../components/BoardPresence.js';
import { ReportDialog } from '../components/ReportDialog.js';
import { BoardClient, type BoardClientState } from '../lib/board-client.js';
import type { ClientSocket } from '../lib/realtime.js';
import { ERROR_CODES } from '../../server/shared/errors.js';
import { byStacking, itemsOf, readItem, type BoardItem } from '../../server/shared/board.js';
import { sharedFileUrl } from '../../server/shared/share-link-words.js';

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data && data.ok ? `${data.shared.name} — shared board — Flux Klein` : 'Link no longer valid — Flux Klein' },
  { name: 'robots', content: 'noindex, nofollow' },
  { name: 'referrer', content: 'no-referrer' },
];

/** A board shared by link (issue 17): anyone holding the link, signed in or not. */
export async function loader({ params, context }: LoaderFunctionArgs) {
  const token = params.token ?? '';
  const trpc = await context.trpc();
  try {
    const shared = await trpc.share.open({ token });
    return json({ ok: true as const, token, shared });
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code === 'RATE_LIMITED') return json({ ok: false as const, reason: 'busy' as const }, { status: 429 });
    if (code === 'SHARE_LINK_INVALID' || code === 'INVALID_INPUT') return json({ ok: false as const, reason: 'invalid' as const }, { status: 410 });
    throw err; // our fault (the error page says so, with its reference), not the link's
  }
}

/** Shown for a revoked, expired, switched-off or unknown link, and when a link is revoked while open. */
function LinkInvalid() {
  return (
    <div className="share-page">
      <div className="panel empty-state share-invalid" role="alert">
        <h1>This link is no longer valid</h1>
        <p className="muted">It was revoked, it expired, or sharing was turned off for the board’s workspace. Ask the person who sent it for a new link.</p>
        <Link to="/" className="button ghost">
          Go to Flux Klein
        </Link>
      </div>
    </div>
  );
}

/** The shared board, live and read-only, over a socket opened with the link (no account). */
function useSharedBoard(token: string, boardId: string) {
  const [state, setState] = useState<BoardClientState | null>(null);
  const [items, setItems] = useState<BoardItem[]>([]);
  const [peers, setPeers] = useState<Peer[]>([]);
  const [invalid, setInvalid] = useState(false);
  const [doc, setDoc] = useState<Y.Doc | null>(null);
  useEffect(() => {
    const socket: ClientSocket = io({ path: '/socket.io', transports: ['websocket', 'polling'], auth: { share: token } });
    const c = new BoardClient(socket, boardId);
    let frame = 0;
    const read = () => {
      frame = 0;
      const out: BoardItem[] = [];
      itemsOf(c.doc).forEach((m, id) => {
        if (!(m instanceof Y.Map)) return;
        const item = readItem(id, m);
        // Images come through the link, never from the members' file route.
        out.push(item.type === 'image' && item.assetId ? { ...item, url: sharedFileUrl(token, item.assetId) } : item);
      });
      setItems(out.sort(byStacking));
    };
    const onDoc = () => {
      if (!frame) frame = requestAnimationFrame(read);
    };
    // After each change, not on 'update': listening to that makes Yjs encode every change once more.
    c.doc.on('afterTransaction', onDoc);
    const onAwareness = () => {
      const list: Peer[] = [];
      c.awareness.getStates().forEach((s, clientId) => {
        if (clientId === c.doc.clientID || !s?.user) return;
        list.push({ clientId, user: s.user, cursor: s.cursor ?? null, selection: Array.isArray(s.selection) ? s.selection : [], readOnly: s.readOnly });
      });
      setPeers(list);
    };
    c.awareness.on('change', onAwareness);
    const off = c.onChange((s) => {
      setState(s);
      if (s.error?.code === 'SHARE_LINK_INVALID') setInvalid(true);
    });
    socket.on('connect_error', (err) => {
      if (err.message === 'SHARE_LINK_INVALID') setInvalid(true);
    });
    // The server ends a link's socket only when the link stopped working.
    socket.on('disconnect', (reason) => {
      if (reason === 'io server disconnect') setInvalid(true);
    });
    setDoc(c.doc);
    void c.start();
    return () => {
      cancelAnimationFrame(frame);
      off();
      c.doc.off('afterTransaction', onDoc);
      c.awareness.off('change', onAwareness);
      c.destroy();
      c.doc.destroy();
      socket.close();
      setDoc(null);
    };
  }, [token, boardId]);
  return { state, items, peers, invalid, doc };
}

function SharedBoard({ token, shared }: { token: string; shared: { boardId: string; name: string; showNames: boolean; expiresAt: string | null } }) {
  const { state, items, peers, invalid, doc } = useSharedBoard(token, shared.boardId);
  const [view, setView] = useState<View>({ x: 0, y: 0, zoom: 1 });
  const [selection, setSelection] = useState<Set<string>>(new Set());
  const [reporting, setReporting] = useState<{ itemId: string; what: string } | null>(null);
  const selected = selection.size === 1 ? items.find((i) => selection.has(i.id)) : undefined;
  const reportable = selected && ((selected.type === 'image' && selected.assetId) || selected.type === 'note') ? selected : undefined;
  const people = useMemo(() => [...new Map(peers.map((p) => [p.user.id, p.user.name])).values()], [peers]);
  if (invalid) return <LinkInvalid />;
  const status =
    !state || state.status === 'connecting'
      ? 'Connecting…'
      : state.status === 'offline'
        ? 'Connection lost — trying again…'
        : state.status === 'closed'
          ? (state.error?.message ?? ERROR_CODES.INTERNAL.message)
          : 'Live — changes appear as the team makes them';
  return (
    <div className="share-page">
      <div className="board-bar">
        <div className="row gap-s grow">
          <h1 className="board-title">{shared.name}</h1>
          <span className="pill">View only</span>
          {shared.expiresAt ? <span className="muted small">Link works until {new Date(shared.expiresAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}</span> : null}
        </div>
        {shared.showNames && people.length > 0 ? <p className="small muted">On the board: {people.join(', ')}</p> : null}
        <div className="row gap-s" role="toolbar" aria-label="Board view">
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
          <ZoomControls view={view} setView={setView} />
        </div>
      </div>
      <p className={`board-status small ${state?.status === 'closed' ? 'danger' : 'muted'}`} role="status" data-testid="board-status">
        {status}
      </p>
      <div className="board-layout">
        {doc ? (
          <BoardCanvas
            doc={doc}
            items={items}
            readOnly
            selection={selection}
            setSelection={setSelection}
            view={view}
            setView={setView}
            peers={shared.showNames ? peers : []}
            undo={null}
            verdicts={{}}
            onCursor={() => undefined}
            addNote={() => undefined}
            onNoteEdited={() => undefined}
          />
        ) : (
          <div className="board-canvas" aria-busy="true" />
        )}
      </div>
      <p className="small muted">Shared with you from Flux Klein. You can look, not change anything; the team does not see who you are.</p>
      {reporting ? <ReportDialog target={{ kind: 'link', token, itemId: reporting.itemId }} what={reporting.what} onClose={() => setReporting(null)} /> : null}
    </div>
  );
}

export default function SharedBoardPage() {
  const data = useLoaderData<typeof loader>();
  if (!data.ok) {
    if (data.reason === 'busy')
      return (
        <div className="share-page">
          <div className="panel empty-state share-invalid" role="alert">
            <h1>This link is busy</h1>
            <p className="muted">It is being opened very often right now. Wait a minute, then reload the page.</p>
          </div>
        </div>
      );
    return <LinkInvalid />;
  }
  return <SharedBoard token={data.token} shared={data.shared} />;
}
