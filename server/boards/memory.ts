/**
 * What a live board keeps in memory while it is loaded (issue 14; docs/decisions/0010, "Memory").
 *
 * Yjs reads every map value and array element (ContentAny) into an array grown by `push`, which V8
 * gives room for 16 elements when one is needed: about 140 bytes spare per value, on a board of
 * notes more than a quarter of the whole document in memory. `trimDoc` copies each into an array of
 * its own length (the values themselves are kept, not copied); a board's documents are trimmed when
 * loaded, and again once a while after edits (`tidyBoards`). Yjs also gives every document two
 * promises and three listeners for a provider's "loaded"/"synced" events, which a server's document
 * never has: a live board's document is made without them (`newLiveDoc`, `leanDoc`). The check
 * replica (check.ts) is dropped when nobody edited the board for a while, and made again at the next
 * edit. Presence is held only while someone has some (presence.ts).
 */
import * as Y from 'yjs';
import { dropCheck } from './check.js';

/** After the last edit, how long before the documents are trimmed again. */
export const TRIM_AFTER_MS = 5_000;
/** After the last edit, how long the check replica is kept (making it again costs a copy of the board). */
export const REPLICA_IDLE_MS = 120_000;

/** Nothing is kept from garbage collection (Yjs's default, as a closure per document). */
const GC_ALL = () => true;

/** A live board's document (see the header). */
export function newLiveDoc(): Y.Doc {
  const doc = new Y.Doc({ gc: true, gcFilter: GC_ALL });
  dropProviderHooks(doc);
  return doc;
}

/** A document just loaded from storage, as a live board keeps it (see the header). */
export function leanDoc(doc: Y.Doc): void {
  dropProviderHooks(doc);
  trimDoc(doc);
}

/** The listeners behind `whenLoaded`/`whenSynced` (a provider's events: a server's document never emits them). */
function dropProviderHooks(doc: Y.Doc): void {
  doc._observers.delete('load');
  doc._observers.delete('sync');
}

/** Gives every value's array exactly the room it needs. Call outside a transaction. */
export function trimDoc(doc: Y.Doc): void {
  for (const structs of doc.store.clients.values()) {
    for (const s of structs) {
      if (s instanceof Y.Item && s.content instanceof Y.ContentAny && !s.deleted) s.content.arr = s.content.arr.slice();
    }
  }
}

/** What tidying needs of a live board (live.ts's LiveBoard). */
export interface TidyBoard {
  doc: Y.Doc;
  check: Y.Doc | null;
  /** when an update was last applied, and when the documents were last tidied (Date.now()) */
  editedAt: number;
  tidiedAt: number;
  dead: boolean;
}

/** Run every few seconds for all live boards (one timer per process: index.ts). */
export function tidyBoards(boards: Iterable<TidyBoard>, now = Date.now()): void {
  for (const live of boards) {
    if (live.dead) continue;
    if (live.editedAt > live.tidiedAt && now - live.editedAt >= TRIM_AFTER_MS) {
      trimDoc(live.doc);
      if (live.check) trimDoc(live.check);
      live.tidiedAt = now;
    }
    if (live.check && now - live.editedAt >= REPLICA_IDLE_MS) dropCheck(live);
  }
}
