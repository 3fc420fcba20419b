/**
 * Who may do what on a board: `boardAccess` (the board and the actor's role; NOT_FOUND for
 * non-members and unknown boards alike) before any sync, and re-checking a socket's access when
 * membership changes may have been missed (the board channel reconnected): it leaves the rooms of
 * workspaces it is no longer a member of and the boards there (told BOARD_ACCESS_REVOKED), and a
 * joined board whose role changed follows the new role. Every write re-checks the role inside the
 * append statement itself (store.ts).
 */
import type { Kysely } from 'kysely';
import type { Socket } from 'socket.io';
import type { Database } from '../../db/index.js';
import type { DB, Role } from '../../db/schema.js';
import type { Actor } from '../services/deps.js';
import { AppError, ERROR_CODES } from '../shared/errors.js';
import { can } from '../shared/permissions.js';
import { rooms, type ClientToServerEvents, type ServerToClientEvents } from '../shared/realtime.js';

export interface BoardView {
  id: string;
  workspaceId: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

export const toView = (b: { id: string; workspace_id: string; name: string; created_at: Date; updated_at: Date }): BoardView => ({
  id: b.id,
  workspaceId: b.workspace_id,
  name: b.name,
  createdAt: b.created_at,
  updatedAt: b.updated_at,
});


/** The board and the actor's role in its workspace; NOT_FOUND for non-members and unknown boards alike. */
export async function boardAccess(db: Kysely<DB>, actor: Actor, boardId: string): Promise<{ board: BoardView; role: Role; suspended: boolean }> {
  const row = await db
    .selectFrom('board')
    .innerJoin('membership', (j) => j.onRef('membership.workspace_id', '=', 'board.workspace_id').on('membership.user_id', '=', actor.userId))
    .leftJoin('active_standing', 'active_standing.user_id', 'membership.user_id')
    .select(['board.id', 'board.workspace_id', 'board.name', 'board.created_at', 'board.updated_at', 'membership.role', 'active_standing.status as standing'])
    .where('board.id', '=', boardId)
    .executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  // A suspended account sees boards read-only (server/services/account-standing.ts).
  return { board: toView(row), role: row.role, suspended: row.standing !== null };
}

/** Whether a joined board is read-only for this role and standing. */
export const boardReadOnly = (role: Role, suspended: boolean) => suspended || !can(role, 'board.edit');

type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

export interface AccessState {
  userId: string;
  boards: Map<string, { workspaceId: string; readOnly: boolean }>;
}

export async function recheckAccess<S extends AccessState>(
  db: Database,
  socket: AppSocket,
  state: S,
  opts: { leaveBoard: (socket: AppSocket, state: S, boardId: string) => void; emitRole?: boolean },
): Promise<void> {
  const rows = await db.selectFrom('membership').select(['workspace_id', 'role']).where('user_id', '=', state.userId).execute();
  const roles = new Map(rows.map((r) => [r.workspace_id, r.role]));
  for (const room of socket.rooms) {
    if (!room.startsWith('workspace:')) continue;
    const workspaceId = room.slice('workspace:'.length);
    if (!roles.has(workspaceId)) void socket.leave(rooms.workspace(workspaceId));
  }
  for (const [boardId, joined] of [...state.boards]) {
    const role = roles.get(joined.workspaceId);
    // The board itself may be gone too.
    const exists = role ? await db.selectFrom('board').select('id').where('id', '=', boardId).where('workspace_id', '=', joined.workspaceId).executeTakeFirst() : undefined;
    if (!role || !exists) {
      opts.leaveBoard(socket, state, boardId);
      socket.emit('board:error', { boardId, code: role ? 'NOT_FOUND' : 'BOARD_ACCESS_REVOKED', message: role ? 'This board was deleted.' : ERROR_CODES.BOARD_ACCESS_REVOKED.message });
      continue;
    }
    const readOnly = !can(role, 'board.edit');
    if (readOnly !== joined.readOnly) {
      if (readOnly) socket.emit('board:error', { boardId, code: 'BOARD_READ_ONLY', message: ERROR_CODES.BOARD_READ_ONLY.message });
      joined.readOnly = readOnly;
      if (opts.emitRole) socket.emit('board:role', { boardId, role, readOnly });
    }
  }
}
