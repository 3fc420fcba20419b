/**
 * The board document model, shared by the server (generation placeholders) and the browser.
 * A board is one Y.Doc whose map `items` holds one Y.Map per item, keyed by item id.
 */
import * as Y from 'yjs';

export const ITEMS = 'items';

export type BoardItemType = 'image' | 'note' | 'placeholder';

export interface BoardItem {
  id: string;
  type: BoardItemType;
  x: number;
  y: number;
  w: number;
  h: number;
  /** Stacking order: higher is on top. */
  z: number;
  /** image: the asset shown (served from /files/:id). */
  assetId?: string;
  url?: string;
  /** note: its text (may contain @mentions). */
  text?: string;
  color?: string;
  /** placeholder: the generation it stands for, its state and prompt. */
  generationId?: string;
  status?: string;
  prompt?: string;
  error?: string;
  createdBy?: string;
}

/** The origin of a client's own edits (doc.transact(fn, LOCAL_ORIGIN)): its undo manager tracks only these. */
export const LOCAL_ORIGIN = { local: true };

/**
 * Undo and redo for one person: only their own edits (origin LOCAL_ORIGIN) are undone, never
 * someone else's, even on the same item. A field another person changed since keeps their value:
 * undoing that step would change nothing of this person's, so it is skipped and the step before it
 * is undone (Yjs). Edits within 500 ms are one step unless `stopCapturing()` is called between them.
 */
export function boardUndoManager(doc: Y.Doc): Y.UndoManager {
  return new Y.UndoManager(itemsOf(doc), { trackedOrigins: new Set([LOCAL_ORIGIN]) });
}

export function itemsOf(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap(ITEMS) as Y.Map<Y.Map<unknown>>;
}

export function readItem(id: string, m: Y.Map<unknown>): BoardItem {
  const o = m.toJSON() as Partial<BoardItem>;
  return {
    id,
    type: (o.type as BoardItemType) ?? 'note',
    x: Number(o.x ?? 0),
    y: Number(o.y ?? 0),
    w: Number(o.w ?? 200),
    h: Number(o.h ?? 160),
    z: Number(o.z ?? 0),
    assetId: o.assetId,
    url: o.url,
    text: o.text,
    color: o.color,
    generationId: o.generationId,
    status: o.status,
    prompt: o.prompt,
    error: o.error,
    createdBy: o.createdBy,
  };
}

/** Board order: stacking (z), then id. */
export const byStacking = (a: BoardItem, b: BoardItem) => a.z - b.z || a.id.localeCompare(b.id);

export function readItems(doc: Y.Doc): BoardItem[] {
  const out: BoardItem[] = [];
  itemsOf(doc).forEach((m, id) => {
    if (m instanceof Y.Map) out.push(readItem(id, m));
  });
  return out.sort(byStacking);
}

/** Adds an item (a fresh Y.Map) to the board; call inside doc.transact for one update. */
export function putItem(doc: Y.Doc, item: BoardItem): Y.Map<unknown> {
  const m = new Y.Map<unknown>();
  for (const [k, v] of Object.entries(item)) if (k !== 'id' && v !== undefined) m.set(k, v);
  itemsOf(doc).set(item.id, m);
  return m;
}

export function setFields(doc: Y.Doc, id: string, fields: Partial<Omit<BoardItem, 'id'>>): boolean {
  const m = itemsOf(doc).get(id);
  if (!(m instanceof Y.Map)) return false;
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) m.delete(k);
    else m.set(k, v);
  }
  return true;
}

/**
 * Brings items in front of everything else, or sends them behind it, keeping their order among
 * themselves. Only the moved items change (their z), so concurrent edits elsewhere are untouched.
 */
export function arrange(doc: Y.Doc, ids: Iterable<string>, where: 'front' | 'back'): void {
  const all = readItems(doc);
  const moving = new Set(ids);
  const picked = all.filter((i) => moving.has(i.id)).sort((a, b) => a.z - b.z);
  const rest = all.filter((i) => !moving.has(i.id));
  if (picked.length === 0 || rest.length === 0) return;
  const start = where === 'front' ? Math.max(...rest.map((i) => i.z)) + 1 : Math.min(...rest.map((i) => i.z)) - picked.length;
  picked.forEach((i, n) => setFields(doc, i.id, { z: start + n }));
}

/** A free spot to the right of everything on the board. */
export function nextFreeSpot(doc: Y.Doc, gap = 24): { x: number; y: number; z: number } {
  const items = readItems(doc);
  if (items.length === 0) return { x: 40, y: 40, z: 1 };
  const right = Math.max(...items.map((i) => i.x + i.w));
  const top = Math.min(...items.map((i) => i.y));
  return { x: right + gap, y: top, z: Math.max(...items.map((i) => i.z)) + 1 };
}

/**
 * Where to put a new w×h item near `at` (e.g. the middle of what the person sees) without covering
 * what is there: `at` itself if free, else the nearest free cell of a grid around it, ring by ring
 * (to the right first, then below).
 */
export function freeSpotNear(items: Pick<BoardItem, 'x' | 'y' | 'w' | 'h'>[], at: { x: number; y: number }, w: number, h: number, gap = 16): { x: number; y: number } {
  const overlaps = (x: number, y: number) => items.some((i) => x < i.x + i.w + gap && x + w + gap > i.x && y < i.y + i.h + gap && y + h + gap > i.y);
  const stepX = w + gap;
  const stepY = h + gap;
  for (let ring = 0; ring <= 12; ring++) {
    let best: { x: number; y: number; d: number } | null = null;
    for (let dx = -ring; dx <= ring; dx++) {
      for (let dy = -ring; dy <= ring; dy++) {
        if (Math.max(Math.abs(dx), Math.abs(dy)) !== ring) continue;
        const x = Math.round(at.x + dx * stepX);
        const y = Math.round(at.y + dy * stepY);
        // Nearest first; among equals: right, below, left, above.
        const d = (dx * dx + dy * dy) * 10 + (dy === 0 ? (dx > 0 ? 0 : 2) : dy > 0 ? 1 : 3);
        if (!overlaps(x, y) && (!best || d < best.d)) best = { x, y, d };
      }
    }
    if (best) return { x: best.x, y: best.y };
  }
  return { x: Math.round(at.x), y: Math.round(at.y) };
}

/** Display size for media of width×height, at most `max` on its long side. */
export function fitSize(width: number | null | undefined, height: number | null | undefined, max = 280): { w: number; h: number } {
  const w0 = width && width > 0 ? width : 1;
  const h0 = height && height > 0 ? height : 1;
  const s = max / Math.max(w0, h0);
  return { w: Math.round(w0 * s), h: Math.round(h0 * s) };
}

/**
 * @mentions in a note: `@word` tokens (letters, digits, dot, dash, underscore), lower-cased. Dots,
 * dashes and underscores that end a token are punctuation, not part of the name: "@Ada." and
 * "@Ada…" name Ada, "@ada.lovelace" stays whole.
 */
export function mentionsIn(text: string): string[] {
  const names = [...text.matchAll(/(?:^|[^\p{L}\p{N}_@])@([\p{L}\p{N}._-]{1,64})/gu)].map((m) => m[1]!.replace(/[._-]+$/u, '').toLowerCase());
  return [...new Set(names.filter(Boolean))];
}

/**
 * The names a person answers to in a mention: the first word of their display name, the whole name
 * without spaces, and their email's local part, each lower-cased and without trailing punctuation
 * (as `mentionsIn` reads them).
 */
export function mentionKeysOf(person: { name: string; email: string }): string[] {
  const n = person.name.trim().toLowerCase();
  const keys = [n.split(/\s+/)[0] ?? '', n.replace(/\s+/g, ''), (person.email.split('@')[0] ?? '').toLowerCase()].map((k) => k.replace(/[._-]+$/u, ''));
  return [...new Set(keys.filter(Boolean))];
}
