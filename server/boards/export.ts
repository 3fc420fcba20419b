/**
 * A board's export (issue 17): the board as it is now and every version of it, as JSON a person can
 * keep or read elsewhere. Items are plain fields; each state is also given as the encoded Yjs
 * state (base64), from which the board can be rebuilt exactly, and its comment threads as members
 * see them (resolved ones too; a deleted first comment stays as a marker without its text).
 * Members of the workspace only.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Actor } from '../services/deps.js';
import { docFromState, itemFields, type ItemFields } from '../shared/board-versions.js';
import * as Y from 'yjs';
import type { ThreadView } from '../shared/comments.js';
import { boardAccess } from './access.js';
import { listThreads } from './comments.js';
import { loadBoardDoc } from './store.js';

export interface BoardExport {
  format: 'flux-klein-board/1';
  exportedAt: string;
  board: { id: string; name: string; createdAt: string };
  items: ItemFields;
  state: string;
  versions: { id: string; kind: 'named' | 'auto'; name: string | null; createdAt: string; createdBy: string | null; itemCount: number; items: ItemFields; state: string }[];
  comments: ThreadView[];
}

export async function exportBoard(db: Kysely<DB>, actor: Actor, boardId: string): Promise<BoardExport> {
  const { board } = await boardAccess(db, actor, boardId);
  const doc = await loadBoardDoc(db, boardId);
  const rows = await db
    .selectFrom('board_version as v')
    .leftJoin('user as u', 'u.id', 'v.created_by')
    .select(['v.id', 'v.kind', 'v.name', 'v.created_at', 'v.item_count', 'v.state', sql<string | null>`u.name`.as('creator')])
    .where('v.board_id', '=', boardId)
    .orderBy('v.created_at', 'desc')
    .execute();
  const { threads } = await listThreads(db, actor, boardId);
  try {
    return {
      format: 'flux-klein-board/1',
      exportedAt: new Date().toISOString(),
      board: { id: board.id, name: board.name, createdAt: board.createdAt.toISOString() },
      items: itemFields(doc),
      state: Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64'),
      versions: rows.map((r) => {
        const v = docFromState(r.state);
        try {
          return { id: r.id, kind: r.kind, name: r.name, createdAt: r.created_at.toISOString(), createdBy: r.creator, itemCount: r.item_count, items: itemFields(v), state: Buffer.from(r.state).toString('base64') };
        } finally {
          v.destroy();
        }
      }),
      comments: threads,
    };
  } finally {
    doc.destroy();
  }
}
