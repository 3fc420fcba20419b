/**
 * Board use cases: list, open, create, rename and delete boards (tRPC), and the generation hook that
 * puts a generation started from a board on it. Live editing, storage and the channel are in
 * server/boards/.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import * as Y from 'yjs';
import type { z } from 'zod';
import type { DB } from '../../db/schema.js';
import { fitSize, itemsOf, nextFreeSpot, putItem, readItem, setFields, type BoardItem } from '../shared/board.js';
import { CreateBoardInput, RenameBoardInput } from '../shared/board-inputs.js';
import { AppError } from '../shared/errors.js';
import { rooms } from '../shared/realtime.js';
import { boardAccess, toView, type BoardView } from '../boards/access.js';
import { publish } from '../boards/bus.js';
import { editBoardFromServer } from '../boards/store.js';
import type { Actor, BoardsApi, Deps, GenerationChange } from './deps.js';
import { can } from '../shared/permissions.js';
import { requirePermission, requireRole } from './workspaces.js';

export type { BoardView };

export async function listBoards(deps: Pick<Deps, 'db'>, actor: Actor, workspaceId: string): Promise<BoardView[]> {
  await requireRole(deps.db, actor, workspaceId, 'viewer');
  const rows = await deps.db.selectFrom('board').selectAll().where('workspace_id', '=', workspaceId).orderBy('updated_at', 'desc').limit(200).execute();
  return rows.map(toView);
}

export async function getBoard(deps: Pick<Deps, 'db'>, actor: Actor, boardId: string) {
  const { board, role } = await boardAccess(deps.db, actor, boardId);
  return { ...board, role, readOnly: !can(role, 'board.edit') };
}

export async function createBoard(deps: Pick<Deps, 'db' | 'notifier'>, actor: Actor, raw: z.input<typeof CreateBoardInput>): Promise<BoardView> {
  const input = CreateBoardInput.parse(raw);
  await requirePermission(deps.db, actor, input.workspaceId, 'board.create');
  const row = await deps.db.insertInto('board').values({ workspace_id: input.workspaceId, name: input.name, created_by: actor.userId }).returningAll().executeTakeFirstOrThrow();
  deps.notifier.emit(rooms.workspace(input.workspaceId), 'workspace:changed', { workspaceId: input.workspaceId, what: 'boards' });
  return toView(row);
}

export async function renameBoard(deps: Pick<Deps, 'db' | 'notifier'>, actor: Actor, raw: z.input<typeof RenameBoardInput>): Promise<BoardView> {
  const input = RenameBoardInput.parse(raw);
  const { board } = await boardAccess(deps.db, actor, input.boardId);
  await requirePermission(deps.db, actor, board.workspaceId, 'board.rename');
  const row = await deps.db.updateTable('board').set({ name: input.name, updated_at: new Date() }).where('id', '=', board.id).returningAll().executeTakeFirstOrThrow();
  deps.notifier.emit(rooms.workspace(board.workspaceId), 'workspace:changed', { workspaceId: board.workspaceId, what: 'boards' });
  return toView(row);
}

/** Admins and owners delete boards; everyone on it is told and removed from its room. */
export async function deleteBoard(deps: Pick<Deps, 'db' | 'notifier'>, actor: Actor, boardId: string): Promise<{ id: string }> {
  const { board } = await boardAccess(deps.db, actor, boardId);
  await requirePermission(deps.db, actor, board.workspaceId, 'board.delete');
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('board').where('id', '=', board.id).execute();
    await publish(trx, { k: 'kick', w: board.workspaceId, u: null, b: board.id });
  });
  deps.notifier.emit(rooms.workspace(board.workspaceId), 'workspace:changed', { workspaceId: board.workspaceId, what: 'boards' });
  return { id: board.id };
}

export const boardsApi: BoardsApi = {
  async requireBoardInWorkspace(deps, boardId, workspaceId) {
    const b = await deps.db.selectFrom('board').select('id').where('id', '=', boardId).where('workspace_id', '=', workspaceId).executeTakeFirst();
    if (!b) throw new AppError('NOT_FOUND', { userMessage: 'That board was not found in this workspace.' });
  },
};

// ---- generations started from a board ----

const placeholderId = (generationId: string) => `gen-${generationId}`;
const outputId = (generationId: string, index: number) => (index === 0 ? placeholderId(generationId) : `gen-${generationId}-${index}`);

/**
 * The generationChanged hook: a placeholder appears on the board when the generation is queued,
 * follows its state, and turns into the outputs when it succeeds. Idempotent (items are keyed by
 * the generation's id), so a retried job or a duplicate event changes nothing twice.
 */
export async function boardGenerationHook(change: GenerationChange, deps: Deps): Promise<void> {
  if (!change.boardId) return;
  const boardId = change.boardId;
  await editBoardFromServer(deps.db, boardId, (doc) => {
    const items = itemsOf(doc);
    const id = placeholderId(change.id);
    const existing = items.get(id);
    const current = existing instanceof Y.Map ? readItem(id, existing) : null;
    if (current?.status === 'succeeded' && current.type === 'image') return false;
    if (change.status === 'succeeded') {
      const images = change.assets.filter((a) => a.media === 'image' || a.media === 'video');
      if (images.length === 0) return false;
      const origin = current ?? { ...nextFreeSpot(doc), ...fitSize(change.width, change.height) };
      images.forEach((a, index) => {
        const size = fitSize(a.width ?? change.width, a.height ?? change.height, Math.max(origin.w, origin.h));
        const fields: Partial<BoardItem> = { type: 'image', assetId: a.id, url: a.url, status: 'succeeded', prompt: change.prompt, generationId: change.id, error: undefined, ...size };
        const itemId = outputId(change.id, index);
        if (index === 0 && current) setFields(doc, itemId, fields);
        else if (!(items.get(itemId) instanceof Y.Map)) putItem(doc, { id: itemId, x: origin.x + index * (size.w + 16), y: origin.y, z: (origin as { z?: number }).z ?? 1, createdBy: change.userId, ...fields } as BoardItem);
      });
      return true;
    }
    if (current) {
      if (current.status === change.status) return false;
      setFields(doc, id, { status: change.status, error: change.status === 'failed' ? (change.errorMessage ?? 'The generation failed.') : undefined });
      return true;
    }
    if (change.status === 'queued' || change.status === 'running') {
      putItem(doc, { id, type: 'placeholder', ...nextFreeSpot(doc), ...fitSize(change.width, change.height), generationId: change.id, status: change.status, prompt: change.prompt, createdBy: change.userId });
      return true;
    }
    return false;
  });
}

/** Records that a member did something in a workspace (at most once a minute per member). */
export async function touchActivity(db: Kysely<DB>, workspaceId: string, userId: string): Promise<void> {
  await db
    .updateTable('membership')
    .set({ last_active_at: sql`now()` })
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('last_active_at', 'is', null), eb('last_active_at', '<', sql<Date>`now() - interval '1 minute'`)]))
    .execute();
}

export const newOrigin = () => randomUUID();
