/**
 * Reading the asset ids out of one board update, and the statement that indexes them in
 * `board_asset`: the low half of the board-asset index, used by the append path (store.ts) and by
 * the readers in assets.ts (kept apart so those two do not import each other).
 */
import { sql } from 'kysely';
import * as Y from 'yjs';
import type { BoardItem } from '../shared/board.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ASSET_KEY: keyof BoardItem = 'assetId';
const ASSET_KEY_BYTES = Buffer.from(ASSET_KEY);

/**
 * The asset ids an update sets on board items, read from the update alone (no document): cheap
 * enough for every stored update, and nothing at all for updates that do not mention `assetId`.
 * It misses one case: an `assetId` replaced on an item that already had one (Yjs then leaves the
 * key out of the update); compaction recomputes the index from the whole document and catches it.
 */
export function assetIdsInUpdate(update: Uint8Array): string[] {
  if (!Buffer.from(update.buffer, update.byteOffset, update.byteLength).includes(ASSET_KEY_BYTES)) return [];
  const ids = new Set<string>();
  try {
    for (const s of Y.decodeUpdate(update).structs) {
      if (!(s instanceof Y.Item) || s.parentSub !== ASSET_KEY) continue;
      for (const v of s.content.getContent()) if (typeof v === 'string' && UUID.test(v)) ids.add(v.toLowerCase());
    }
  } catch {
    return [];
  }
  return [...ids];
}

/** Records that a board shows these assets (only assets of the board's own workspace). */
export function indexAssetsSql(boardId: ReturnType<typeof sql>, assetIds: ReturnType<typeof sql>) {
  return sql`
    insert into board_asset (board_id, asset_id)
    select distinct b.id, a.id from board b join asset a on a.workspace_id = b.workspace_id
    where b.id = ${boardId} and a.id in (${assetIds})
    on conflict (board_id, asset_id) do update set added_at = now()`;
}

