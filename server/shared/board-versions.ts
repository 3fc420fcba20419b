/**
 * Board versions, shared by the server and the browser: what changed between two states of a
 * board (for the history panel's preview), and restoring an old state as a NEW change on the live
 * document (so it converges everywhere, is stored like any edit, and can be undone).
 */
import * as Y from 'yjs';
import { itemsOf, readItem, type BoardItem } from './board.js';

/** The raw fields of every item (as stored, no defaults filled in), keyed by item id. */
export type ItemFields = Record<string, Record<string, unknown>>;

export function itemFields(doc: Y.Doc): ItemFields {
  const out: ItemFields = {};
  itemsOf(doc).forEach((m, id) => {
    if (m instanceof Y.Map) out[id] = m.toJSON() as Record<string, unknown>;
  });
  return out;
}

/** A board's items from an encoded state (a version), read in a document of its own: the live one is never touched. */
export function docFromState(state: Uint8Array): Y.Doc {
  const doc = new Y.Doc({ gc: true });
  Y.applyUpdate(doc, state);
  return doc;
}

export interface VersionDiff {
  /** items on the board now that the version did not have */
  added: string[];
  /** items the version had that are gone now */
  removed: string[];
  /** items whose position or size differ */
  moved: string[];
  /** items whose content (text, image, colour, state…) differs (an item can be both moved and edited) */
  edited: string[];
}

const PLACE_KEYS = new Set(['x', 'y', 'w', 'h', 'z']);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What changed from `then` (a version) to `now` (the board today). */
export function diffItems(then: ItemFields, now: ItemFields): VersionDiff {
  const diff: VersionDiff = { added: [], removed: [], moved: [], edited: [] };
  for (const id of Object.keys(now)) if (!(id in then)) diff.added.push(id);
  for (const [id, old] of Object.entries(then)) {
    const cur = now[id];
    if (!cur) {
      diff.removed.push(id);
      continue;
    }
    const keys = new Set([...Object.keys(old), ...Object.keys(cur)]);
    let moved = false;
    let edited = false;
    for (const k of keys) {
      if (same(old[k], cur[k])) continue;
      if (PLACE_KEYS.has(k)) moved = true;
      else edited = true;
    }
    if (moved) diff.moved.push(id);
    if (edited) diff.edited.push(id);
  }
  for (const list of Object.values(diff)) (list as string[]).sort();
  return diff;
}

/**
 * Makes the live document hold `target`'s items, as one transaction on the live document (call
 * with the origin the undo manager tracks): items that did not exist then are deleted, removed
 * ones are made again, changed fields are set back, and nothing else is touched (an item that is
 * the same keeps its identity, so a concurrent edit elsewhere is not lost). Returns how many
 * items it changed.
 */
export function restoreItems(doc: Y.Doc, target: ItemFields, origin: unknown): number {
  let changed = 0;
  doc.transact(() => {
    const items = itemsOf(doc);
    for (const id of [...items.keys()]) {
      if (!(id in target)) {
        items.delete(id);
        changed++;
      }
    }
    for (const [id, fields] of Object.entries(target)) {
      const cur = items.get(id);
      if (!(cur instanceof Y.Map)) {
        const m = new Y.Map<unknown>();
        for (const [k, v] of Object.entries(fields)) if (v !== undefined) m.set(k, v);
        items.set(id, m);
        changed++;
        continue;
      }
      let touched = false;
      for (const k of [...cur.keys()]) {
        if (!(k in fields)) {
          cur.delete(k);
          touched = true;
        }
      }
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined || same(cur.get(k), v)) continue;
        cur.set(k, v);
        touched = true;
      }
      if (touched) changed++;
    }
  }, origin);
  return changed;
}

/** Items of an ItemFields map in drawing order, as the canvas reads them. */
export function itemsFromFields(fields: ItemFields): BoardItem[] {
  const doc = new Y.Doc();
  try {
    const items = itemsOf(doc);
    doc.transact(() => {
      for (const [id, f] of Object.entries(fields)) {
        const m = new Y.Map<unknown>();
        for (const [k, v] of Object.entries(f)) if (v !== undefined) m.set(k, v);
        items.set(id, m);
      }
    });
    const out: BoardItem[] = [];
    items.forEach((m, id) => out.push(readItem(id, m)));
    return out.sort((a, b) => a.z - b.z || a.id.localeCompare(b.id));
  } finally {
    doc.destroy();
  }
}

/**
 * The board document's `meta` map: `restored` says who last restored which version (set in the
 * same transaction as the restore, so everyone learns of it with the change itself). It is outside
 * `items`, so undoing the restore does not undo the notice.
 */
export const META = 'meta';
export interface RestoreNotice {
  userId: string;
  by: string;
  version: string;
  versionId: string;
  at: number;
}

export function setRestoreNotice(doc: Y.Doc, notice: RestoreNotice): void {
  (doc.getMap(META) as Y.Map<unknown>).set('restored', notice);
}

/** The notice, when the map holds a well-formed one (any client can write the document: checked, not trusted). */
export function readRestoreNotice(doc: Y.Doc): RestoreNotice | null {
  const n = (doc.getMap(META) as Y.Map<unknown>).get('restored') as Partial<Record<keyof RestoreNotice, unknown>> | null | undefined;
  if (typeof n !== 'object' || n === null) return null;
  const { userId, by, version, versionId, at } = n;
  if (typeof userId !== 'string' || typeof by !== 'string' || typeof version !== 'string' || typeof versionId !== 'string' || typeof at !== 'number') return null;
  return { userId, by, version, versionId, at };
}

