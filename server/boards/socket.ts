/**
 * The board side of a Socket.io connection: a thin adapter that checks and calls. Joins (membership
 * checked first; viewers join read-only), y-protocols sync messages (size, rate and shape checked,
 * then handed to live.ts, which sends them on at once and answers once stored), messages in parts,
 * presence (presence.ts), leaving, and membership changes announced on the channel (a removed
 * member leaves at once; a changed role applies to the open board). Refusals are named codes
 * (server/shared/errors.ts), sent to that socket only.
 */
import type { Socket } from 'socket.io';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import type { Database } from '../../db/index.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { toWire } from '../shared/board-wire.js';
import { AppError, ERROR_CODES, type ErrorCode } from '../shared/errors.js';
import { can } from '../shared/permissions.js';
import { rooms, type BoardAck, type BoardJoinResult, type ClientToServerEvents, type ServerToClientEvents } from '../shared/realtime.js';
import { touchActivity } from '../services/boards.js';
import { boardAccess, boardReadOnly, recheckAccess } from './access.js';
import type { BoardBusMessage } from './bus.js';
import { tryOnReplica } from './check.js';
import type { LiveBoards } from './live.js';
import { MAX_AWARENESS_BYTES, type Presence } from './presence.js';

type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Sync messages of one socket being checked at once (waiting for a commit does not count). */
const MAX_IN_FLIGHT = 32;
const AWARENESS_PER_SECOND = 40;

interface Joined {
  workspaceId: string;
  readOnly: boolean;
  /** read-only because the account is suspended (refusals then say so) */
  suspended?: boolean;
  awarenessClients: Set<number>;
}

class Bucket {
  private tokens: number;
  private last = Date.now();
  constructor(
    private readonly rate: number,
    private readonly burst = rate * 2,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface SocketState {
  userId: string;
  /** the user's name as the handshake read it (server/realtime/index.ts), shown with their cursor */
  name: string;
  boards: Map<string, Joined>;
  /** every sync message, accepted or refused */
  updates: Bucket;
  /** whole-document answers (a client's sync step 1 costs the server a copy of the board) */
  syncs: Bucket;
  /** joins and leaves */
  joins: Bucket;
  awareness: Bucket;
  inFlight: number;
  /** a sync message being received in parts, per board */
  parts: Map<string, { id: string; total: number; chunks: Uint8Array[]; bytes: number; timer: NodeJS.Timeout }>;
}

const perMinute = (n: number) => new Bucket(n / 60, n);

/** Forgets a message being received in parts (and its timeout). */
function dropParts(state: SocketState, boardId: string) {
  const p = state.parts.get(boardId);
  if (!p) return;
  clearTimeout(p.timer);
  state.parts.delete(boardId);
}

class Refusal extends Error {
  constructor(
    readonly code: ErrorCode,
    message?: string,
  ) {
    super(message ?? ERROR_CODES[code].message);
  }
}

/** True when an update brings nothing the document does not already have. */
function bringsNothing(doc: Y.Doc, update: Uint8Array): boolean {
  // The common case first, cheaply: an update with a struct past what the document has brings
  // something (read from the update's own state vectors; no document state vector, no diff).
  const { to } = Y.parseUpdateMeta(update);
  for (const [client, clock] of to) if (clock > Y.getState(doc.store, client)) return false;
  // Every struct is known (a re-send) or there are none (deletions only): the exact check.
  const diff = Y.diffUpdate(update, Y.encodeStateVector(doc));
  const d = Y.decodeUpdate(diff);
  return d.structs.length === 0 && d.ds.clients.size === 0;
}

export function createBoardSockets(deps: { db: Database; log: Logger; limits: Config['boards']; lives: LiveBoards; presence: Presence; onEdit?: (boardId: string, userId: string) => void; /** a member opened a board (they are told how many link holders are on it) */ onJoined: (socket: AppSocket, boardId: string) => void }) {
  const { db, log, limits, lives, presence } = deps;
  const { boards } = lives;
  const states = new Map<string, SocketState>();
  const socketsById = new Map<string, AppSocket>();
  const byUser = new Map<string, Set<string>>();
  /**
   * When this process last marked each member active (`workspaceId userId` → ms): the marker
   * (touchActivity) moves at most once a minute, so joins and edits within the minute, from any of
   * the person's sockets, cost no statement.
   */
  const touched = new Map<string, number>();
  function touch(workspaceId: string, userId: string) {
    const key = `${workspaceId} ${userId}`;
    const now = Date.now();
    if (now - (touched.get(key) ?? 0) <= 60_000) return;
    if (touched.size >= 10_000) for (const [k, at] of touched) if (now - at > 60_000) touched.delete(k);
    touched.set(key, now);
    void touchActivity(db, workspaceId, userId).catch(() => undefined);
  }

  /** A membership change announced on the channel (join, kick, role): applied to this process's sockets. */
  async function onMembership(msg: Extract<BoardBusMessage, { k: 'join' | 'kick' | 'role' }>) {
    const userSockets = msg.u ? [...(byUser.get(msg.u) ?? [])] : [...states.keys()];
    for (const sid of userSockets) {
      const socket = socketsById.get(sid);
      const state = states.get(sid);
      if (!socket || !state) continue;
      if (msg.k === 'join') {
        void socket.join(rooms.workspace(msg.w));
      } else if (msg.k === 'kick') {
        for (const [boardId, joined] of state.boards) {
          if (joined.workspaceId !== msg.w || (msg.b && msg.b !== boardId)) continue;
          leaveBoard(socket, state, boardId);
          socket.emit('board:error', { boardId, code: msg.b ? 'NOT_FOUND' : 'BOARD_ACCESS_REVOKED', message: msg.b ? 'This board was deleted.' : ERROR_CODES.BOARD_ACCESS_REVOKED.message });
        }
        if (!msg.b) void socket.leave(rooms.workspace(msg.w));
      } else if (msg.k === 'role') {
        for (const [boardId, joined] of state.boards) {
          if (joined.workspaceId !== msg.w) continue;
          try {
            const { role, suspended } = await boardAccess(db, { userId: state.userId }, boardId);
            const readOnly = boardReadOnly(role, suspended);
            const code = suspended ? 'ACCOUNT_SUSPENDED' : 'BOARD_READ_ONLY';
            if (readOnly && !joined.readOnly) socket.emit('board:error', { boardId, code, message: ERROR_CODES[code].message });
            joined.readOnly = readOnly;
            joined.suspended = suspended;
            // Either way the open board follows at once: a promoted viewer can edit without reloading.
            socket.emit('board:role', { boardId, role, readOnly, suspended });
          } catch {
            leaveBoard(socket, state, boardId);
            socket.emit('board:error', { boardId, code: 'BOARD_ACCESS_REVOKED', message: ERROR_CODES.BOARD_ACCESS_REVOKED.message });
          }
        }
      }
    }
    if (msg.k === 'kick' && msg.b) {
      const live = boards.get(msg.b);
      if (live && live.sockets.size === 0) lives.unload(live);
    }
  }


  function leaveBoard(socket: AppSocket, state: SocketState, boardId: string) {
    const joined = state.boards.get(boardId);
    if (!joined) return;
    state.boards.delete(boardId);
    dropParts(state, boardId);
    void socket.leave(rooms.board(boardId));
    const live = boards.get(boardId);
    if (!live) return;
    live.sockets.delete(socket.id);
    presence.leave(live, socket.id, joined.awarenessClients);
    lives.scheduleIdle(live);
  }

  function refuse(socket: AppSocket, boardId: string, err: unknown, ack?: (r: BoardAck) => void) {
    let code: string;
    let message: string;
    if (err instanceof Refusal || err instanceof AppError) {
      code = err.code;
      message = err instanceof AppError ? err.userMessage : err.message;
    } else {
      log.error('board message failed', { boardId, err });
      code = 'INTERNAL';
      message = ERROR_CODES.INTERNAL.message;
    }
    socket.emit('board:error', { boardId, code, message });
    if (typeof ack === 'function') ack({ ok: false, code, message });
  }

  /**
   * Checks an update and, once accepted, applies it to the live document and sends it to everyone
   * on the board here at once (fan-out from memory). Returns, as `saved`, the wait for the commit:
   * the highest stored id once this update is in Postgres, or, for an update that brings nothing
   * new (a client re-sending after a reconnect), once everything accepted before it is.
   */

  async function handleUpdate(socket: AppSocket, state: SocketState, boardId: string, joined: Joined, update: Uint8Array, maxBytes: number): Promise<{ saved: Promise<number> }> {
    const receivedAt = performance.now();
    const live = boards.get(boardId);
    if (!live) throw new Refusal('NOT_FOUND');
    await live.ready;
    if (update.byteLength > maxBytes) throw new Refusal('BOARD_UPDATE_TOO_LARGE');
    let nothing: boolean;
    try {
      nothing = bringsNothing(live.doc, update);
    } catch {
      throw new Refusal('BOARD_UPDATE_MALFORMED');
    }
    if (nothing) return { saved: lives.storedSoFar(live) };
    if (joined.readOnly) throw new Refusal(joined.suspended ? 'ACCOUNT_SUSPENDED' : 'BOARD_READ_ONLY');
    if (live.bytes + update.byteLength > limits.maxDocBytes) throw new Refusal('BOARD_FULL');
    // While the database is away, accepted updates wait in memory: only up to a bound (the clients keep the rest).
    if (live.unstoredBytes + update.byteLength > limits.maxUnstoredBytes) throw new Refusal('BOARD_SAVE_BEHIND');
    const invalid = tryOnReplica(live, update, socket.id);
    if (invalid) {
      log.warn('refused a board update that does not apply', { boardId, userId: state.userId, reason: invalid });
      throw new Refusal('BOARD_UPDATE_INVALID');
    }
    let commit: Promise<number | null>;
    try {
      // Applied and sent to everyone here at once; stored by group commit. The replica took it,
      // so this does not throw; if it did, nothing was sent or stored.
      commit = lives.accept(live, update, state.userId, socket.id, receivedAt);
    } catch (err) {
      log.error('applying a checked board update failed', { boardId, err });
      throw new Refusal('BOARD_UPDATE_INVALID');
    }
    touch(joined.workspaceId, state.userId);
    deps.onEdit?.(boardId, state.userId);
    const saved = commit.then(async (seq) => {
      if (seq !== null) return seq;
      // The write's own role check refused it: the role changed or the membership ended since
      // joining (and the change had not reached this process yet). Find out which, and say so.
      try {
        const { role, suspended } = await boardAccess(db, { userId: state.userId }, boardId);
        joined.readOnly = boardReadOnly(role, suspended);
        joined.suspended = suspended;
        throw new Refusal(suspended ? 'ACCOUNT_SUSPENDED' : joined.readOnly ? 'BOARD_READ_ONLY' : 'CONFLICT');
      } catch (err) {
        if (err instanceof Refusal) throw err;
        leaveBoard(socket, state, boardId);
        throw new Refusal('BOARD_ACCESS_REVOKED');
      }
    });
    return { saved };
  }


  function attach(socket: AppSocket) {
    const userId = socket.data.userId as string;
    const state: SocketState = {
      userId,
      name: (socket.data.name as string | undefined) || 'Someone',
      boards: new Map(),
      updates: new Bucket(limits.updatesPerSecond),
      syncs: perMinute(limits.syncPerMinute),
      joins: perMinute(limits.joinsPerMinute),
      awareness: new Bucket(AWARENESS_PER_SECOND),
      inFlight: 0,
      parts: new Map(),
    };
    states.set(socket.id, state);
    socketsById.set(socket.id, socket);
    if (!byUser.has(userId)) byUser.set(userId, new Set());
    byUser.get(userId)!.add(socket.id);

    // The socket is already in its workspaces' rooms (joined at the handshake: server/realtime/index.ts).

    socket.on('board:join', async (boardId, ack) => {
      if (typeof ack !== 'function') return;
      const fail = (code: ErrorCode, message?: string) => ack({ ok: false, code, message: message ?? ERROR_CODES[code].message } satisfies BoardJoinResult);
      if (!state.joins.take()) return fail('RATE_LIMITED', 'You are opening boards too quickly. Wait a moment.');
      if (typeof boardId !== 'string' || !UUID.test(boardId)) return fail('NOT_FOUND');
      if (!state.boards.has(boardId) && state.boards.size >= limits.boardsPerSocket) return fail('BOARD_TOO_MANY_OPEN');
      try {
        const { board, role, suspended } = await boardAccess(db, { userId }, boardId);
        const live = await lives.open(boardId, board.workspaceId);
        if (!socket.connected) return lives.scheduleIdle(live);
        const readOnly = boardReadOnly(role, suspended);
        const existing = state.boards.get(boardId);
        state.boards.set(boardId, { workspaceId: board.workspaceId, readOnly, suspended, awarenessClients: existing?.awarenessClients ?? new Set() });
        live.sockets.add(socket.id);
        await socket.join(rooms.board(boardId));
        ack({ ok: true, role, readOnly, suspended, name: board.name, workspaceId: board.workspaceId, maxUpdateBytes: limits.maxUpdateBytes, maxSyncBytes: limits.maxSyncBytes });
        // Our state vector: the client answers with whatever we lack (edits made offline).
        const enc = encoding.createEncoder();
        syncProtocol.writeSyncStep1(enc, live.doc);
        socket.emit('board:sync', boardId, toWire(encoding.toUint8Array(enc)));
        // Everyone's presence, from this process's copy (other processes relay theirs into it).
        presence.sendAll(socket, live);
        deps.onJoined(socket, boardId);
        touch(board.workspaceId, userId);
      } catch (err) {
        if (err instanceof AppError) return fail(err.code, err.userMessage);
        log.error('board join failed', { boardId, err });
        fail('INTERNAL');
      }
    });

    socket.on('board:leave', (boardId) => {
      if (typeof boardId !== 'string' || !state.boards.has(boardId)) return;
      // A leave tells every peer (presence): limited like joins; a refused one is told, the board stays open.
      if (!state.joins.take()) return refuse(socket, boardId, new Refusal('RATE_LIMITED', 'You are opening and closing boards too quickly. Wait a moment.'));
      leaveBoard(socket, state, boardId);
    });

    /** A whole y-protocols sync message (sent at once, or assembled from parts) of at most `maxBytes`. */
    async function onSyncMessage(boardId: string, message: Uint8Array, ack: ((r: BoardAck) => void) | undefined, maxBytes: number, counted = false) {
      // Every message takes a token, refused ones too (a message in parts took its tokens per part).
      if (!counted && !state.updates.take()) return refuse(socket, boardId, new Refusal('RATE_LIMITED', 'You are changing the board faster than it can keep up. Slow down a little.'), ack);
      const joined = state.boards.get(boardId);
      if (!joined) return refuse(socket, boardId, new Refusal('NOT_FOUND', 'Open the board before changing it.'), ack);
      if (message.byteLength > maxBytes + 16) return refuse(socket, boardId, new Refusal('BOARD_UPDATE_TOO_LARGE'), ack);
      if (state.inFlight >= MAX_IN_FLIGHT) return refuse(socket, boardId, new Refusal('RATE_LIMITED'), ack);
      state.inFlight++;
      let inFlight = true;
      try {
        const live = boards.get(boardId);
        if (!live) throw new Refusal('NOT_FOUND');
        let type: number;
        let payload: Uint8Array;
        try {
          const decoder = decoding.createDecoder(message);
          type = decoding.readVarUint(decoder);
          payload = decoding.readVarUint8Array(decoder);
        } catch {
          throw new Refusal('BOARD_UPDATE_MALFORMED');
        }
        if (type === syncProtocol.messageYjsSyncStep1) {
          // The answer can be the whole document (up to BOARD_MAX_DOC_BYTES) for a few bytes asked.
          if (!state.syncs.take()) throw new Refusal('BOARD_SYNC_LIMITED');
          let reply: Uint8Array;
          try {
            const enc = encoding.createEncoder();
            syncProtocol.writeSyncStep2(enc, live.doc, payload);
            reply = encoding.toUint8Array(enc);
          } catch {
            throw new Refusal('BOARD_UPDATE_MALFORMED');
          }
          socket.emit('board:sync', boardId, toWire(reply));
        } else if (type === syncProtocol.messageYjsSyncStep2 || type === syncProtocol.messageYjsUpdate) {
          const { saved } = await handleUpdate(socket, state, boardId, joined, payload, maxBytes);
          // Sent to everyone already; the author hears "saved" only once it is committed.
          state.inFlight--;
          inFlight = false;
          const seq = await saved;
          if (typeof ack === 'function') ack({ ok: true, seq });
          return;
        } else {
          throw new Refusal('BOARD_UPDATE_MALFORMED');
        }
        if (typeof ack === 'function') ack({ ok: true });
      } catch (err) {
        refuse(socket, boardId, err, ack);
      } finally {
        if (inFlight) state.inFlight--;
      }
    }

    socket.on('board:sync', (boardId, message, ack) => {
      if (typeof boardId !== 'string') return;
      if (!(message instanceof Uint8Array)) return refuse(socket, boardId, new Refusal('BOARD_UPDATE_MALFORMED'), ack);
      void onSyncMessage(boardId, message, ack, limits.maxUpdateBytes);
    });

    // A message too large for one packet (edits made offline) arrives in parts, in order, and is
    // handled as one once complete, up to maxSyncBytes; the parts are held only until then.
    socket.on('board:sync-part', (boardId, part, bytes, ack) => {
      if (typeof boardId !== 'string') return;
      if (!state.boards.has(boardId)) return refuse(socket, boardId, new Refusal('NOT_FOUND', 'Open the board before changing it.'), ack);
      const valid =
        part !== null &&
        typeof part === 'object' &&
        typeof part.id === 'string' &&
        part.id.length > 0 &&
        part.id.length <= 64 &&
        Number.isInteger(part.index) &&
        Number.isInteger(part.total) &&
        part.total >= 2 &&
        part.index >= 0 &&
        part.index < part.total &&
        bytes instanceof Uint8Array;
      const fail = (code: ErrorCode) => {
        dropParts(state, boardId);
        refuse(socket, boardId, new Refusal(code), ack);
      };
      if (!state.updates.take()) return fail('RATE_LIMITED');
      if (!valid) return fail('BOARD_UPDATE_MALFORMED');
      if (bytes.byteLength > limits.maxUpdateBytes + 16 || part.total > Math.ceil(limits.maxSyncBytes / 1024) + 1) return fail('BOARD_UPDATE_TOO_LARGE');
      let pending = state.parts.get(boardId);
      if (part.index === 0) {
        dropParts(state, boardId);
        // Held only for a while: a half-sent message is dropped (and said so) after BOARD_PART_TIMEOUT_MS.
        const timer = setTimeout(() => {
          if (state.parts.get(boardId)?.timer !== timer) return;
          state.parts.delete(boardId);
          refuse(socket, boardId, new Refusal('BOARD_PART_TIMEOUT'));
        }, limits.partTimeoutMs);
        timer.unref();
        pending = { id: part.id, total: part.total, chunks: [], bytes: 0, timer };
        state.parts.set(boardId, pending);
      }
      if (!pending || pending.id !== part.id || pending.total !== part.total || pending.chunks.length !== part.index) return fail('BOARD_UPDATE_MALFORMED');
      pending.bytes += bytes.byteLength;
      // Across all of this socket's boards, parts held add up to at most one largest message.
      const held = [...state.parts.values()].reduce((n, p) => n + p.bytes, 0);
      if (pending.bytes > limits.maxSyncBytes + 16 || held > limits.maxSyncBytes + 16) return fail('BOARD_UPDATE_TOO_LARGE');
      pending.chunks.push(bytes);
      if (part.index < part.total - 1) {
        if (typeof ack === 'function') ack({ ok: true });
        return;
      }
      dropParts(state, boardId);
      void onSyncMessage(boardId, Buffer.concat(pending.chunks), ack, limits.maxSyncBytes, true);
    });

    socket.on('board:awareness', async (boardId, update) => {
      if (typeof boardId !== 'string') return;
      const joined = state.boards.get(boardId);
      const live = boards.get(boardId);
      if (!state.awareness.take()) return;
      if (!joined || !live || !(update instanceof Uint8Array) || update.byteLength > MAX_AWARENESS_BYTES) return;
      try {
        presence.receive(socket, live, { userId, name: state.name, readOnly: joined.readOnly, clients: joined.awarenessClients }, update);
      } catch {
        refuse(socket, boardId, new Refusal('BOARD_UPDATE_MALFORMED'));
      }
    });

    socket.on('disconnect', () => {
      for (const boardId of [...state.boards.keys()]) leaveBoard(socket, state, boardId);
      for (const boardId of [...state.parts.keys()]) dropParts(state, boardId);
      states.delete(socket.id);
      socketsById.delete(socket.id);
      const set = byUser.get(userId);
      set?.delete(socket.id);
      if (set && set.size === 0) byUser.delete(userId);
    });
  }

  /**
   * After a lost channel connection, membership changes announced meanwhile were missed: every
   * socket's workspace rooms and joined boards are checked again (access.ts).
   */
  async function recheckAccessAll() {
    for (const [sid, state] of states) {
      const socket = socketsById.get(sid);
      if (socket) await recheckAccess(db, socket, state, { leaveBoard, emitRole: true });
    }
  }

  return { attach, onMembership, recheckAccessAll };
}
