/**
 * Which boards show which assets (`board_asset`): kept by the append statement (store.ts) from
 * each update's `assetId`s, made exact by compaction, and read when an asset is deleted (the
 * boards that show it get a "Removed" tile) and by retention (an asset on a board is kept).
 */
import { sql, type Kysely } from 'kysely';
import * as Y from 'yjs';
import type { DB } from '../../db/schema.js';
import { itemsOf, readItems, setFields } from '../shared/board.js';
import { editBoardFromServer, loadBoardDoc } from './store.js';

export { assetIdsInUpdate, indexAssetsSql, UUID } from './asset-index.js';

/**
 * The boards that show any of these assets, with the assets each shows. The index names the
 * candidates; each candidate's document is read to confirm (an item removed since the board's last
 * compaction may still be indexed).
 */
export async function boardsShowingAssets(db: Kysely<DB>, assetIds: string[]): Promise<{ id: string; name: string; assetIds: string[] }[]> {
  if (assetIds.length === 0) return [];
  const candidates = await db
    .selectFrom('board_asset')
    .innerJoin('board', 'board.id', 'board_asset.board_id')
    .select(['board.id', 'board.name'])
    .distinct()
    .where('board_asset.asset_id', 'in', assetIds)
    .orderBy('board.name')
    .execute();
  const wanted = new Set(assetIds);
  const out: { id: string; name: string; assetIds: string[] }[] = [];
  for (const b of candidates) {
    const doc = await loadBoardDoc(db, b.id);
    const shown = new Set(readItems(doc).flatMap((i) => (i.assetId && wanted.has(i.assetId) ? [i.assetId] : [])));
    doc.destroy();
    if (shown.size > 0) out.push({ ...b, assetIds: [...shown] });
  }
  return out;
}

/** Marks the items showing deleted assets as removed, so everyone on the board sees a "Removed" tile. */
export async function markAssetsRemoved(db: Kysely<DB>, boardId: string, assetIds: string[]): Promise<void> {
  const gone = new Set(assetIds);
  await editBoardFromServer(db, boardId, (doc) => {
    let changed = false;
    for (const item of readItems(doc)) {
      if (item.type !== 'image' || !item.assetId || !gone.has(item.assetId) || item.status === 'removed') continue;
      setFields(doc, item.id, { status: 'removed' });
      changed = true;
    }
    return changed;
  });
}

/**
 * Marks the items showing these assets as hidden by moderators (a "Hidden by moderators" tile for
 * everyone on the board), or, with `hidden: false`, shows them again. A removed image stays removed.
 */
export async function markAssetsHidden(db: Kysely<DB>, boardId: string, assetIds: string[], hidden: boolean): Promise<void> {
  const wanted = new Set(assetIds);
  await editBoardFromServer(db, boardId, (doc) => {
    let changed = false;
    for (const item of readItems(doc)) {
      if (item.type !== 'image' || !item.assetId || !wanted.has(item.assetId) || item.status === 'removed') continue;
      if (hidden && item.status !== 'hidden') {
        setFields(doc, item.id, { status: 'hidden' });
        changed = true;
      } else if (!hidden && item.status === 'hidden') {
        // Generated images carry 'succeeded' (server/services/boards.ts); placed ones no status.
        if (item.generationId) setFields(doc, item.id, { status: 'succeeded' });
        else itemsOf(doc).get(item.id)?.delete('status');
        changed = true;
      }
    }
    return changed;
  });
}
