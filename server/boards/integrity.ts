/**
 * Board updates that decode yet throw when applied ("poison" updates), and how boards survive them.
 *
 * Yjs checks a struct's references to OTHER clients as dependencies (a missing one is held as a
 * pending struct, which is legal and kept), but trusts references to the struct's OWN client: an
 * item whose origin, right origin or parent is a clock of its own client that is not earlier than
 * its own throws inside `Y.applyUpdate` (a client's structs only ever refer back to earlier ones).
 * Held as pending (when it also waits for another client), it would throw later, when an innocent
 * update completes it. So:
 *
 * - `forwardSelfReference` refuses those before anything is stored (also the pending kind);
 * - the live board applies every update to a scratch replica before storing it (whatever else
 *   throws is refused too: server/boards/check.ts);
 * - `applyStoredUpdates` applies a board's stored rows one by one and reports the ones that throw,
 *   and `quarantineUpdates` moves those to `board_update_quarantine` so the board opens without them.
 */
import type { Kysely, Transaction } from 'kysely';
import * as Y from 'yjs';
import type { DB } from '../../db/schema.js';

/** A reason when an item of the update refers to a clock of its own client at or after its own; else null. */
export function forwardSelfReference(update: Uint8Array): string | null {
  const { structs } = Y.decodeUpdate(update);
  for (const s of structs) {
    if (!(s instanceof Y.Item)) continue;
    const refs: [string, Y.ID | null][] = [
      ['origin', s.origin],
      ['right origin', s.rightOrigin],
      ['parent', s.parent instanceof Y.ID ? s.parent : null],
    ];
    for (const [what, ref] of refs) {
      if (ref && ref.client === s.id.client && ref.clock >= s.id.clock) return `item ${s.id.client}:${s.id.clock} names its own client's later clock ${ref.clock} as its ${what}`;
    }
  }
  return null;
}

export interface StoredRow {
  id: number;
  update: Uint8Array;
  user_id?: string | null;
}

export interface FailedRow extends StoredRow {
  error: string;
}

const describe = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 500);

/**
 * Applies a snapshot (if any) and stored rows to a new document, skipping every row that is a
 * poison update or throws. A row that threw may have left part of itself applied, so the document
 * is then built again without it (into a new document: `opts.into` is used for the first attempt
 * only). Returns the document holding the result and the rows left out.
 */
export function applyStoredUpdates(snapshot: Uint8Array | null, rows: StoredRow[], opts: { into?: Y.Doc; origin?: string } = {}): { doc: Y.Doc; failed: FailedRow[] } {
  const origin = opts.origin ?? 'load';
  const failed = new Map<number, FailedRow>();
  for (const r of rows) {
    const reason = safeForwardSelfReference(r.update);
    if (reason) failed.set(r.id, { ...r, error: reason });
  }
  let first: Y.Doc | undefined = opts.into;
  for (;;) {
    const doc = first ?? new Y.Doc({ gc: true });
    first = undefined;
    let fresh = false;
    Y.transact(
      doc,
      () => {
        if (snapshot) Y.applyUpdate(doc, snapshot);
        for (const r of rows) {
          if (failed.has(r.id)) continue;
          try {
            Y.applyUpdate(doc, r.update);
          } catch (err) {
            failed.set(r.id, { ...r, error: describe(err) });
            fresh = true;
          }
        }
      },
      origin,
    );
    if (!fresh) return { doc, failed: [...failed.values()] };
    if (doc !== opts.into) doc.destroy();
  }
}

function safeForwardSelfReference(update: Uint8Array): string | null {
  try {
    return forwardSelfReference(update);
  } catch (err) {
    return describe(err);
  }
}

/** Moves stored rows that failed to apply into `board_update_quarantine` (kept, out of the board's log). */
export async function quarantineUpdates(db: Kysely<DB> | Transaction<DB>, boardId: string, failed: FailedRow[]): Promise<void> {
  if (failed.length === 0) return;
  const run = async (trx: Transaction<DB>) => {
    const ids = failed.map((f) => f.id);
    const rows = await trx.deleteFrom('board_update').where('board_id', '=', boardId).where('id', 'in', ids).returning(['id', 'update', 'user_id']).execute();
    if (rows.length === 0) return;
    const errors = new Map(failed.map((f) => [f.id, f.error]));
    await trx
      .insertInto('board_update_quarantine')
      .values(rows.map((r) => ({ board_id: boardId, seq: r.id, update: Buffer.from(r.update), user_id: r.user_id, error: errors.get(r.id) ?? 'failed to apply' })))
      .execute();
  };
  if (db.isTransaction) await run(db as Transaction<DB>);
  else await db.transaction().execute(run);
}
