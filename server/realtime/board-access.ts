/**
 * Re-checking a socket's access when membership changes may have been missed (the board channel
 * reconnected): it leaves the rooms of workspaces it is no longer a member of and the boards there
 * (told BOARD_ACCESS_REVOKED), and a joined board whose role changed follows the new role.
 */
import type { Socket } from 'socket.io';
import type { Database } from '../../db/index.js';
import { ERROR_CODES } from '../shared/errors.js';
import { rooms, type ClientToServerEvents, type ServerToClientEvents } from '../shared/realtime.js';

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
    const readOnly = role === 'viewer';
    if (readOnly !== joined.readOnly) {
      if (readOnly) socket.emit('board:error', { boardId, code: 'BOARD_READ_ONLY', message: ERROR_CODES.BOARD_READ_ONLY.message });
      joined.readOnly = readOnly;
      if (opts.emitRole) socket.emit('board:role', { boardId, role, readOnly });
    }
  }
}
