import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent as ReactKeyboardEvent, type PointerEvent as ReactPointerEvent } from 'react';
import * as Y from 'yjs';
import { arrange, freeSpotNear, itemsOf, LOCAL_ORIGIN, putItem, readItem, readItems, setFields, type BoardItem } from '../../server/shared/board.js';
import type { Peer } from './BoardPresence.js';
import { SensitiveMedia } from './SensitiveMedia.js';

/** Local edits carry this origin, so the per-user undo manager tracks only them. */
export const LOCAL = LOCAL_ORIGIN;

/** An open comment thread pinned to a point on the canvas. */
export interface CommentPin {
  threadId: string;
  x: number;
  y: number;
  count: number;
  label: string;
}

export interface View {
  x: number;
  y: number;
  zoom: number;
}

const MIN_ZOOM = 0.2;
const MAX_ZOOM = 3;
const WRITE_EVERY_MS = 60;

/** Smallest size an item can be resized to (pointer or keyboard). */
const MIN_W = 60;
const MIN_H = 40;
/** Alt+arrow resizes by this much; Shift+Alt+arrow by 1 px. */
const RESIZE_STEP = 10;

/** A rubber band this far (screen px) from where it started counts as a drag, not a click. */
const MARQUEE_MIN_PX = 3;

/** A rectangle in board coordinates. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

type Drag =
  | { kind: 'move'; startX: number; startY: number; origin: Map<string, { x: number; y: number }>; lastWrite: number; moved: boolean }
  | { kind: 'resize'; id: string; startX: number; startY: number; w: number; h: number; lastWrite: number }
  | { kind: 'pan'; startX: number; startY: number; view: View }
  | { kind: 'marquee'; startX: number; startY: number; from: { x: number; y: number }; base: Set<string>; moved: boolean };

/** The ids of the items a rectangle (board coordinates) touches, in board order. */
export function itemsInRect(items: BoardItem[], r: Rect): string[] {
  return items.filter((i) => i.x < r.x + r.w && i.x + i.w > r.x && i.y < r.y + r.h && i.y + i.h > r.y).map((i) => i.id);
}

const rectBetween = (a: { x: number; y: number }, b: { x: number; y: number }): Rect => ({ x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), w: Math.abs(a.x - b.x), h: Math.abs(a.y - b.y) });

const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((id) => b.has(id));

/** Space held over the board turns a drag into panning, but never while typing. */
function isTextField(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

export function describeItem(i: BoardItem): string {
  if (i.type === 'note') return `Note: ${(i.text ?? '').slice(0, 60) || 'empty'}`;
  if (i.type === 'placeholder') return `Generating: ${i.prompt ?? ''} (${i.status === 'failed' ? 'failed' : (i.status ?? 'queued')})`;
  if (i.status === 'removed') return 'Removed image';
  if (i.status === 'hidden') return 'Image hidden by moderators';
  return `Image${i.prompt ? `: ${i.prompt.slice(0, 60)}` : ''}`;
}

/** What a board shows for an image moderators hid (server/services/takedown.ts); restoring brings the image back. */
function HiddenTile() {
  return (
    <div className="board-placeholder-body board-removed board-hidden" role="img" aria-label="Image hidden by moderators">
      <span className="pill pill-failed">Hidden</span>
      <p className="small muted">Moderators hid this image.</p>
    </div>
  );
}

/** What a board shows for an image that was deleted (or whose file cannot be loaded): a clear tile, not a broken image. */
function WithheldTile() {
  return (
    <div className="board-placeholder-body board-removed" role="img" aria-label="Withheld image">
      <span className="pill pill-failed">Withheld</span>
      <p className="small muted">Classified as sexual content, which this workspace does not allow.</p>
    </div>
  );
}

function RemovedTile() {
  return (
    <div className="board-placeholder-body board-removed" role="img" aria-label="Removed image">
      <span className="pill pill-failed">Removed</span>
      <p className="small muted">This image was deleted from the library.</p>
    </div>
  );
}

/** Items this far outside the view (a fraction of the view's size, each side) are rendered too, so a short pan shows no gap. */
const OVERSCAN = 0.5;

/** What an item needs from the canvas; one object for the canvas's lifetime (the latest handlers), so items need not re-render when it does. */
interface ItemHandlers {
  pointerDown(e: ReactPointerEvent, item: BoardItem): void;
  resizePointerDown(e: ReactPointerEvent, item: BoardItem): void;
  doubleClick(item: BoardItem): void;
  focus(item: BoardItem): void;
  imageFailed(url: string): void;
  /** the comment badge on an item was clicked */
  openComments(item: BoardItem): void;
}

interface ItemProps {
  item: BoardItem;
  selected: boolean;
  /** others who selected this item */
  others: Peer[];
  showHandle: boolean;
  broken: boolean;
  /** what the workspace's image policy does with this image, when the classifier flagged it */
  verdict: 'blur' | 'block' | undefined;
  /** how a version being previewed differs from the board now (version history), if it does */
  mark: string | undefined;
  /** comments in open threads pinned to this item (its badge) */
  comments: number;
  handlers: { current: ItemHandlers };
}

const sameOthers = (a: Peer[], b: Peer[]) => a.length === b.length && a.every((p, i) => p.clientId === b[i]!.clientId && p.user.name === b[i]!.user.name && p.user.color === b[i]!.user.color);

/**
 * One item on the board. Memoised: an item re-renders only when it, its selection or who else
 * selected it changes, so dragging one item among thousands re-renders that one.
 */
const BoardItemView = memo(
  function BoardItemView({ item, selected, others, showHandle, broken, verdict, mark, comments, handlers }: ItemProps) {
    return (
      <div
        data-item-id={item.id}
        role="option"
        aria-selected={selected}
        aria-label={comments > 0 ? `${describeItem(item)} (${comments} ${comments === 1 ? 'comment' : 'comments'})` : describeItem(item)}
        tabIndex={0}
        className={`board-item board-${item.type}${selected ? ' selected' : ''}${others.length > 0 ? ' remote-selected' : ''}${mark ? ` mark mark-${mark}` : ''}`}
        data-mark={mark}
        style={{ left: item.x, top: item.y, width: item.w, height: item.h, zIndex: item.z, ...(others[0] ? { outlineColor: others[0].user.color } : {}) }}
        onPointerDown={(e) => handlers.current.pointerDown(e, item)}
        onDoubleClick={() => handlers.current.doubleClick(item)}
        onFocus={() => handlers.current.focus(item)}
      >
        {item.type === 'image' && item.url ? (
          item.status === 'hidden' ? (
            <HiddenTile />
          ) : item.status === 'removed' ? (
            <RemovedTile />
          ) : verdict === 'block' ? (
            <WithheldTile />
          ) : broken ? (
            <RemovedTile />
          ) : (
            <SensitiveMedia verdict={verdict === 'blur' ? 'blur' : 'none'} what={item.prompt ? `the image “${item.prompt}”` : 'this image'}>
              <img src={`${item.url}`} alt={item.prompt ? `Generated: ${item.prompt}` : 'Board image'} draggable={false} onError={() => handlers.current.imageFailed(item.url!)} />
            </SensitiveMedia>
          )
        ) : null}
        {item.type === 'note' ? <p className="board-note-text">{item.text || <span className="muted">Empty note — press Enter to write</span>}</p> : null}
        {item.type === 'placeholder' ? (
          <div className="board-placeholder-body">
            {item.status === 'failed' ? null : <div className="shimmer" aria-hidden="true" />}
            <span className={`pill pill-${item.status ?? 'queued'}`}>{item.status === 'failed' ? 'Failed' : item.status === 'running' ? 'Generating…' : 'Queued'}</span>
            <p className="small">{item.prompt}</p>
            {item.error ? <p className="small danger">{item.error}</p> : null}
          </div>
        ) : null}
        {others.length > 0 ? (
          <span className="remote-tag" style={{ background: others[0]!.user.color }} aria-hidden="true">
            {others.map((o) => o.user.name).join(', ')}
          </span>
        ) : null}
        {comments > 0 ? (
          // Not focusable (an option's content is presentational): keyboard users press C on the item, or use the panel.
          <span
            className="comment-badge"
            data-testid="comment-badge"
            aria-hidden="true"
            title={`${comments} ${comments === 1 ? 'comment' : 'comments'}: open them`}
            onPointerDown={(e) => e.stopPropagation()}
            onClick={() => handlers.current.openComments(item)}
          >
            {comments}
          </span>
        ) : null}
        {showHandle ? <span className="resize-handle" aria-hidden="true" title="Drag to resize (or Alt+arrow keys)" onPointerDown={(e) => handlers.current.resizePointerDown(e, item)} /> : null}
      </div>
    );
  },
  (a, b) => a.item === b.item && a.selected === b.selected && a.showHandle === b.showHandle && a.broken === b.broken && a.verdict === b.verdict && a.mark === b.mark && a.comments === b.comments && a.handlers === b.handlers && sameOthers(a.others, b.others),
);

const NO_PEERS: Peer[] = [];

/** Whether an item lies within `r` (board coordinates). */
const intersects = (i: BoardItem, r: Rect) => i.x < r.x + r.w && i.x + i.w > r.x && i.y < r.y + r.h && i.y + i.h > r.y;

export function BoardCanvas(props: {
  doc: Y.Doc;
  items: BoardItem[];
  readOnly: boolean;
  selection: Set<string>;
  setSelection: (s: Set<string>) => void;
  view: View;
  setView: (v: View | ((v: View) => View)) => void;
  peers: Peer[];
  undo: Y.UndoManager | null;
  /** Flagged images on the board (asset id → how the workspace shows them); others are not listed. */
  verdicts: Record<string, 'blur' | 'block'>;
  onCursor: (p: { x: number; y: number } | null) => void;
  onNoteEdited: (id: string, text: string) => void;
  addNote: (at?: { x: number; y: number }) => void;
  /** highlights by item id (a version preview: 'removed' | 'moved' | 'edited' since then) */
  marks?: ReadonlyMap<string, string>;
  /** comments in open threads per item id (badges), and open threads pinned to points (pins) */
  commentCounts?: ReadonlyMap<string, number>;
  pins?: CommentPin[];
  /** a badge (item) or pin (thread) was chosen, or C pressed on the selection */
  onOpenComments?: (what: { itemId: string } | { threadId: string } | { selection: true }) => void;
  /** set while a spot for a new comment is being picked: the next click on the canvas gives it */
  pickPoint?: ((p: { x: number; y: number }) => void) | null;
}) {
  const { doc, items, readOnly, selection, setSelection, view, setView, peers, undo } = props;
  const ref = useRef<HTMLDivElement>(null);
  const drag = useRef<Drag | null>(null);
  const [overrides, setOverrides] = useState<Map<string, Partial<BoardItem>>>(new Map());
  const [editing, setEditing] = useState<string | null>(null);
  /** Image items whose file failed to load (deleted, or gone): shown as removed. */
  const [broken, setBroken] = useState<ReadonlySet<string>>(new Set());
  const [draft, setDraft] = useState('');
  const [marquee, setMarquee] = useState<Rect | null>(null);
  /** Said by screen readers after a keyboard (or pointer) resize: the new size. */
  const [announcement, setAnnouncement] = useState('');
  // Space held (with the pointer over the board or focus in it): a drag pans.
  const space = useRef(false);
  const hovering = useRef(false);
  const [panReady, setPanReady] = useState(false);
  const [panning, setPanning] = useState(false);

  const toWorld = useCallback(
    (clientX: number, clientY: number) => {
      const r = ref.current!.getBoundingClientRect();
      return { x: (clientX - r.left - view.x) / view.zoom, y: (clientY - r.top - view.y) / view.zoom };
    },
    [view],
  );

  /** A local edit; `step`: its own undo step (a key press, a saved note), not merged with the edit before. */
  const write = useCallback(
    (fn: () => void, step = false) => {
      if (readOnly) return;
      if (step) undo?.stopCapturing();
      doc.transact(fn, LOCAL);
    },
    [doc, readOnly, undo],
  );

  const byId = useMemo(() => new Map(items.map((i) => [i.id, i])), [items]);
  const remoteSelections = useMemo(() => {
    const m = new Map<string, Peer[]>();
    for (const p of peers) for (const id of p.selection ?? []) m.set(id, [...(m.get(id) ?? []), p]);
    return m;
  }, [peers]);
  // The canvas's size on screen: only items in (and near) the view are rendered.
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setSize((s) => (s && s.w === el.clientWidth && s.h === el.clientHeight ? s : { w: el.clientWidth, h: el.clientHeight }));
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  function onItemPointerDown(e: ReactPointerEvent, item: BoardItem) {
    if (e.button !== 0 || space.current) return; // Space+drag pans from anywhere (the board handles it)
    e.stopPropagation();
    let next = selection;
    if (e.shiftKey || e.metaKey || e.ctrlKey) {
      next = new Set(selection);
      if (next.has(item.id)) next.delete(item.id);
      else next.add(item.id);
      setSelection(next);
      return;
    }
    if (!selection.has(item.id)) {
      next = new Set([item.id]);
      setSelection(next);
    }
    if (readOnly) return;
    undo?.stopCapturing();
    const origin = new Map<string, { x: number; y: number }>();
    for (const id of next) {
      const it = byId.get(id);
      if (it) origin.set(id, { x: it.x, y: it.y });
    }
    drag.current = { kind: 'move', startX: e.clientX, startY: e.clientY, origin, lastWrite: 0, moved: false };
    ref.current?.setPointerCapture(e.pointerId);
  }

  function onResizePointerDown(e: ReactPointerEvent, item: BoardItem) {
    if (readOnly || e.button !== 0) return;
    e.stopPropagation();
    undo?.stopCapturing();
    drag.current = { kind: 'resize', id: item.id, startX: e.clientX, startY: e.clientY, w: item.w, h: item.h, lastWrite: 0 };
    ref.current?.setPointerCapture(e.pointerId);
  }

  // Empty space: a drag draws a selection rectangle (Shift adds to the selection); Space+drag, the
  // middle button or a finger pans.
  function onBackgroundPointerDown(e: ReactPointerEvent) {
    if (e.button !== 0 && e.button !== 1) return;
    setEditing(null);
    if (props.pickPoint && e.button === 0) {
      props.pickPoint(toWorld(e.clientX, e.clientY));
      return;
    }
    if (e.button === 1 || space.current || e.pointerType === 'touch') {
      e.preventDefault(); // no middle-button autoscroll or paste
      drag.current = { kind: 'pan', startX: e.clientX, startY: e.clientY, view };
      setPanning(true);
    } else {
      const base = e.shiftKey ? new Set(selection) : new Set<string>();
      if (!e.shiftKey && selection.size > 0) setSelection(base);
      drag.current = { kind: 'marquee', startX: e.clientX, startY: e.clientY, from: toWorld(e.clientX, e.clientY), base, moved: false };
    }
    ref.current?.setPointerCapture(e.pointerId);
    ref.current?.focus({ preventScroll: true }); // keyboard shortcuts (Delete, Esc…) apply to what gets selected
  }

  function updateMarquee(d: Extract<Drag, { kind: 'marquee' }>, clientX: number, clientY: number) {
    if (!d.moved && Math.abs(clientX - d.startX) + Math.abs(clientY - d.startY) < MARQUEE_MIN_PX) return;
    d.moved = true;
    const r = rectBetween(d.from, toWorld(clientX, clientY));
    setMarquee(r);
    const next = new Set([...d.base, ...itemsInRect(items, r)]);
    if (!sameSet(next, selection)) setSelection(next);
  }

  function onPointerMove(e: ReactPointerEvent) {
    props.onCursor(toWorld(e.clientX, e.clientY));
    const d = drag.current;
    if (!d) return;
    if (d.kind === 'pan') {
      setView({ ...d.view, x: d.view.x + e.clientX - d.startX, y: d.view.y + e.clientY - d.startY });
      return;
    }
    if (d.kind === 'marquee') {
      updateMarquee(d, e.clientX, e.clientY);
      return;
    }
    const dx = (e.clientX - d.startX) / view.zoom;
    const dy = (e.clientY - d.startY) / view.zoom;
    const now = Date.now();
    if (d.kind === 'move') {
      if (!d.moved && Math.abs(dx) + Math.abs(dy) < 2) return;
      d.moved = true;
      const next = new Map<string, Partial<BoardItem>>();
      for (const [id, o] of d.origin) next.set(id, { x: Math.round(o.x + dx), y: Math.round(o.y + dy) });
      setOverrides(next);
      if (now - d.lastWrite > WRITE_EVERY_MS) {
        d.lastWrite = now;
        write(() => next.forEach((f, id) => setFields(doc, id, f)));
      }
    } else {
      const f = { w: Math.max(MIN_W, Math.round(d.w + dx)), h: Math.max(MIN_H, Math.round(d.h + dy)) };
      setOverrides(new Map([[d.id, f]]));
      if (now - d.lastWrite > WRITE_EVERY_MS) {
        d.lastWrite = now;
        write(() => setFields(doc, d.id, f));
      }
    }
  }

  function onPointerUp() {
    const d = drag.current;
    drag.current = null;
    if (d && (d.kind === 'move' || d.kind === 'resize') && overrides.size > 0) {
      write(() => overrides.forEach((f, id) => setFields(doc, id, f)));
      const f = d.kind === 'resize' ? overrides.get(d.id) : undefined;
      if (f?.w !== undefined && f.h !== undefined) setAnnouncement(`Resized to ${f.w} × ${f.h}`);
    }
    setOverrides(new Map());
    setMarquee(null);
    setPanning(false);
  }

  // Space for panning, tracked on the window: the pointer may be over the board while focus is elsewhere.
  useEffect(() => {
    const release = () => {
      space.current = false;
      setPanReady(false);
    };
    const onDown = (e: KeyboardEvent) => {
      if (e.key !== ' ' || e.ctrlKey || e.metaKey || e.altKey || isTextField(e.target)) return;
      if (!hovering.current && !ref.current?.contains(document.activeElement)) return;
      e.preventDefault(); // not a page scroll, nor a press of the focused button
      space.current = true;
      setPanReady(true);
    };
    const onUp = (e: KeyboardEvent) => {
      if (e.key !== ' ' || !space.current) return;
      e.preventDefault();
      release();
    };
    window.addEventListener('keydown', onDown);
    window.addEventListener('keyup', onUp);
    window.addEventListener('blur', release);
    return () => {
      window.removeEventListener('keydown', onDown);
      window.removeEventListener('keyup', onUp);
      window.removeEventListener('blur', release);
    };
  }, []);

  // Wheel: pan; with Ctrl/Cmd (and pinch): zoom around the pointer. Not passive, to keep the page still.
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      if (e.ctrlKey || e.metaKey) {
        const r = el.getBoundingClientRect();
        const px = e.clientX - r.left;
        const py = e.clientY - r.top;
        setView((v) => {
          const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, v.zoom * Math.exp(-e.deltaY / 300)));
          return { zoom, x: px - ((px - v.x) / v.zoom) * zoom, y: py - ((py - v.y) / v.zoom) * zoom };
        });
      } else {
        setView((v) => ({ ...v, x: v.x - e.deltaX, y: v.y - e.deltaY }));
      }
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [setView]);

  function deleteSelected() {
    if (selection.size === 0) return;
    write(() => selection.forEach((id) => itemsOf(doc).delete(id)), true);
    setSelection(new Set());
  }

  /** The item as the document has it now (`items` follows a frame later: key repeats must add up). */
  const current = (id: string) => {
    const m = itemsOf(doc).get(id);
    return m instanceof Y.Map ? readItem(id, m) : undefined;
  };

  function nudge(dx: number, dy: number) {
    write(
      () =>
        selection.forEach((id) => {
          const it = current(id);
          if (it) setFields(doc, id, { x: it.x + dx, y: it.y + dy });
        }),
      true,
    );
  }

  /** Alt+arrow: wider/narrower (right/left), taller/shorter (down/up), never below the smallest size. */
  function resizeBy(dw: number, dh: number) {
    if (readOnly || selection.size === 0) return;
    const sizes: { w: number; h: number }[] = [];
    write(
      () =>
        selection.forEach((id) => {
          const it = current(id);
          if (!it) return;
          const f = { w: Math.max(MIN_W, Math.round(it.w + dw)), h: Math.max(MIN_H, Math.round(it.h + dh)) };
          if (f.w !== it.w || f.h !== it.h) setFields(doc, id, f); // at the smallest size: no change, no empty undo step
          sizes.push(f);
        }),
      true,
    );
    if (sizes.length === 1) setAnnouncement(`Resized to ${sizes[0]!.w} × ${sizes[0]!.h}`);
    else if (sizes.length > 1) setAnnouncement(`Resized ${sizes.length} items`);
  }

  function startEdit(item: BoardItem) {
    if (readOnly || item.type !== 'note') return;
    setEditing(item.id);
    setDraft(item.text ?? '');
  }

  function finishEdit(save: boolean) {
    const id = editing;
    setEditing(null);
    if (!id || !save) return;
    const before = byId.get(id)?.text ?? '';
    if (draft === before) return;
    write(() => setFields(doc, id, { text: draft }), true);
    props.onNoteEdited(id, draft);
    ref.current?.querySelector<HTMLElement>(`[data-item-id="${CSS.escape(id)}"]`)?.focus();
  }

  function onKeyDown(e: ReactKeyboardEvent) {
    if (editing) return;
    const mod = e.ctrlKey || e.metaKey;
    const step = e.shiftKey ? 50 : 10;
    if (mod && e.key.toLowerCase() === 'z' && !e.shiftKey) {
      e.preventDefault();
      if (!readOnly) undo?.undo();
    } else if ((mod && e.key.toLowerCase() === 'z' && e.shiftKey) || (mod && e.key.toLowerCase() === 'y')) {
      e.preventDefault();
      if (!readOnly) undo?.redo();
    } else if (mod && e.key.toLowerCase() === 'a') {
      e.preventDefault();
      setSelection(new Set(items.map((i) => i.id)));
    } else if (e.key === 'Delete' || e.key === 'Backspace') {
      e.preventDefault();
      deleteSelected();
    } else if (e.key.toLowerCase() === 'c' && !mod && !e.altKey && props.onOpenComments) {
      e.preventDefault();
      props.onOpenComments({ selection: true });
    } else if (e.key === 'Escape') {
      if (drag.current?.kind === 'marquee') drag.current = null;
      setMarquee(null);
      setSelection(new Set());
    } else if (e.altKey && !mod && e.key.startsWith('Arrow') && selection.size > 0) {
      e.preventDefault(); // also keeps Alt+Left from going back a page
      const by = e.shiftKey ? 1 : RESIZE_STEP;
      resizeBy(e.key === 'ArrowLeft' ? -by : e.key === 'ArrowRight' ? by : 0, e.key === 'ArrowUp' ? -by : e.key === 'ArrowDown' ? by : 0);
    } else if (e.key.startsWith('Arrow') && selection.size > 0) {
      e.preventDefault();
      nudge(e.key === 'ArrowLeft' ? -step : e.key === 'ArrowRight' ? step : 0, e.key === 'ArrowUp' ? -step : e.key === 'ArrowDown' ? step : 0);
    } else if ((e.key === ']' || e.key === '[') && selection.size > 0 && !readOnly) {
      e.preventDefault();
      write(() => arrange(doc, selection, e.key === ']' ? 'front' : 'back'), true);
    } else if (e.key === '+' || e.key === '=') {
      setView((v) => ({ ...v, zoom: Math.min(MAX_ZOOM, v.zoom * 1.2) }));
    } else if (e.key === '-') {
      setView((v) => ({ ...v, zoom: Math.max(MIN_ZOOM, v.zoom / 1.2) }));
    } else if (e.key === '0') {
      setView({ x: 0, y: 0, zoom: 1 });
    } else if (e.key.toLowerCase() === 'n' && !mod && !readOnly) {
      e.preventDefault();
      props.addNote();
    } else if (e.key === 'Enter' && selection.size === 1) {
      const it = byId.get([...selection][0]!);
      if (it) startEdit(it);
    }
  }

  const editingItem = editing ? byId.get(editing) : undefined;

  // The latest handlers, behind one object that stays the same (items are memoised).
  const handlers = useRef<ItemHandlers>(null as unknown as ItemHandlers);
  handlers.current = {
    pointerDown: onItemPointerDown,
    resizePointerDown: onResizePointerDown,
    doubleClick: startEdit,
    focus: (item) => {
      if (!selection.has(item.id) && !drag.current) setSelection(new Set([item.id]));
    },
    imageFailed: (url) => setBroken((b) => new Set(b).add(url)),
    openComments: (item) => props.onOpenComments?.({ itemId: item.id }),
  };

  // Rendered: the items in the view and a margin around it, and always the selected, dragged and
  // edited ones (focus and keyboard stay on them). Until the canvas is measured, none.
  // The margin comes once the items in view were painted: a board opens with only what is seen.
  const [margin, setMargin] = useState(0);
  const hasItems = items.length > 0;
  useEffect(() => {
    if (!hasItems || margin > 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => (timer = setTimeout(() => setMargin(OVERSCAN), 0)));
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [hasItems, margin]);
  const shown = useMemo(() => {
    if (!size) return [];
    const r = { x: -view.x / view.zoom - (size.w / view.zoom) * margin, y: -view.y / view.zoom - (size.h / view.zoom) * margin, w: (size.w / view.zoom) * (1 + 2 * margin), h: (size.h / view.zoom) * (1 + 2 * margin) };
    return items.filter((i) => intersects(i, r) || selection.has(i.id) || overrides.has(i.id) || i.id === editing);
  }, [items, size, view, selection, overrides, editing, margin]);

  return (
    <div
      ref={ref}
      className={`board-canvas${readOnly ? ' read-only' : ''}${props.pickPoint ? ' picking' : ''}${panning ? ' panning' : panReady ? ' pan-ready' : ''}`}
      tabIndex={-1}
      onPointerDown={onBackgroundPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
      onPointerEnter={() => (hovering.current = true)}
      onPointerLeave={() => {
        hovering.current = false;
        props.onCursor(null);
      }}
      onKeyDown={onKeyDown}
      data-testid="board-canvas"
    >
      <div className="board-world" style={{ transform: `translate(${view.x}px, ${view.y}px) scale(${view.zoom})` }}>
        <div role="listbox" aria-multiselectable="true" aria-label="Items on the board" className="board-items" tabIndex={items.length === 0 ? 0 : -1}>
          {shown.map((raw) => {
            const o = overrides.get(raw.id);
            const item = o ? { ...raw, ...o } : raw;
            const selected = selection.has(item.id);
            return (
              <BoardItemView
                key={item.id}
                item={item}
                selected={selected}
                others={remoteSelections.get(item.id) ?? NO_PEERS}
                showHandle={selected && selection.size === 1 && !readOnly}
                broken={item.url !== undefined && broken.has(item.url)}
                verdict={item.assetId ? props.verdicts[item.assetId] : undefined}
                mark={props.marks?.get(item.id)}
                comments={props.commentCounts?.get(item.id) ?? 0}
                handlers={handlers}
              />
            );
          })}
        </div>
        {editingItem ? (
          <div className="board-note-editor" style={{ left: editingItem.x, top: editingItem.y, width: editingItem.w, height: editingItem.h, zIndex: 100000 }}>
            <label htmlFor="note-editor" className="visually-hidden">
              Note text (mention someone with @name)
            </label>
            <textarea
              id="note-editor"
              autoFocus
              value={draft}
              maxLength={2000}
              onChange={(e) => setDraft(e.target.value)}
              onBlur={() => finishEdit(true)}
              onPointerDown={(e) => e.stopPropagation()}
              onKeyDown={(e) => {
                if (e.key === 'Escape') finishEdit(false);
                if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) finishEdit(true);
              }}
            />
          </div>
        ) : null}
        {props.pins?.map((p) => (
          <button
            key={p.threadId}
            type="button"
            className="comment-pin"
            data-testid="comment-pin"
            style={{ left: p.x, top: p.y, transform: `scale(${1 / view.zoom}) translate(0, -100%)` }}
            aria-label={`${p.label} (${p.count} ${p.count === 1 ? 'comment' : 'comments'})`}
            onPointerDown={(e) => e.stopPropagation()}
            onClick={() => props.onOpenComments?.({ threadId: p.threadId })}
          >
            {p.count}
          </button>
        ))}
        {marquee ? (
          <div className="board-marquee" data-testid="marquee" aria-hidden="true" style={{ left: marquee.x, top: marquee.y, width: marquee.w, height: marquee.h, borderWidth: 1 / view.zoom }} />
        ) : null}
        {peers
          .filter((p) => p.cursor)
          .map((p) => (
            <div key={p.clientId} className="remote-cursor" style={{ left: p.cursor!.x, top: p.cursor!.y, color: p.user.color }} data-testid="remote-cursor">
              <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
                <path d="M1 1l5 14 2-6 6-2z" fill="currentColor" stroke="#000" strokeWidth="1" />
              </svg>
              <span className="remote-cursor-name" style={{ background: p.user.color }}>
                {p.user.name}
              </span>
            </div>
          ))}
      </div>
      <p className="visually-hidden" role="status" aria-live="polite" data-testid="board-announcer">
        {announcement}
      </p>
      {items.length === 0 ? (
        <div className="board-empty">
          <p>{readOnly ? 'This board is empty.' : 'This board is empty. Add a note (N), place an image from the library, or generate one.'}</p>
        </div>
      ) : null}
    </div>
  );
}

/** A new empty note at `at`, or the nearest spot around it where it covers nothing. */
export function newNote(doc: Y.Doc, at: { x: number; y: number }, z: number, userId: string): string {
  const id = `note-${Math.random().toString(36).slice(2, 10)}`;
  const spot = freeSpotNear(readItems(doc), at, 200, 150);
  doc.transact(() => void putItem(doc, { id, type: 'note', ...spot, w: 200, h: 150, z, text: '', color: 'yellow', createdBy: userId }), LOCAL);
  return id;
}
