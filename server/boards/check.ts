/**
 * Trying a board update before it is stored (see integrity.ts for the updates
 * that decode yet throw when applied).
 *
 * Whether an update throws depends on the document it meets, so it is tried on a replica of the
 * live document: a second Y.Doc kept in step with it (every update applied to the live document is
 * applied to the replica too, through `applyLive`). Trying costs one more integration per update,
 * not a copy of the document; the copy is made only when the replica is first needed or was dropped:
 * after an update threw on it, when updates tried on it were then not stored, and when nobody edited
 * the board for a while (memory.ts).
 */
import * as Y from 'yjs';
import { forwardSelfReference } from './integrity.js';

export interface CheckedDoc {
  doc: Y.Doc;
  check: Y.Doc | null;
  /** when an update was last applied (Date.now()): memory.ts trims and drops the replica after a while */
  editedAt: number;
}

/** Applies an update to the live document and to its replica (when there is one). */
export function applyLive(live: CheckedDoc, update: Uint8Array, origin: unknown): void {
  Y.applyUpdate(live.doc, update, origin);
  live.editedAt = Date.now();
  if (!live.check) return;
  try {
    Y.applyUpdate(live.check, update, origin);
  } catch {
    dropCheck(live);
  }
}

export function dropCheck(live: CheckedDoc): void {
  live.check?.destroy();
  live.check = null;
}

/**
 * Tries an update on the replica. Returns why it cannot be stored (it refers forward within its own
 * client, or applying it throws), or null: it applies, and the replica now holds it.
 */
export function tryOnReplica(live: CheckedDoc, update: Uint8Array, origin: unknown): string | null {
  let reason: string | null;
  try {
    reason = forwardSelfReference(update);
  } catch (err) {
    reason = String(err);
  }
  if (reason) return reason;
  if (!live.check) {
    const copy = new Y.Doc({ gc: true });
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(live.doc));
    live.check = copy;
  }
  try {
    Y.applyUpdate(live.check, update, origin);
    // Accepted next (live.ts), unless the write is refused for another reason: either way an edit.
    live.editedAt = Date.now();
    return null;
  } catch (err) {
    dropCheck(live);
    return err instanceof Error ? err.message : String(err);
  }
}
