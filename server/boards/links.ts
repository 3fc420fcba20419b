/**
 * Share-link holders on a board (issue 17, ADR 0017): the Socket.io adapter for sockets opened with
 * a share link (server/realtime/index.ts checked the token at the handshake). Such a socket may open
 * only its link's board, read-only: it receives the board's changes (room `board-links:{id}`), and
 * its presence only when the link shows names (`board-links-named:{id}`); it sends no presence and
 * no changes (every update is refused with BOARD_READ_ONLY and never reaches the document); it gets
 * no job feed and no workspace events. The link is checked again at every join. Members see only
 * how many link holders are on the board (`board:viewers`).
 *
 * A revoked link, links switched off for the workspace, a deleted board and an expiry that passes
 * while connected all end the socket at once: it is told SHARE_LINK_INVALID, then disconnected.
 */
import type { Socket } from 'socket.io';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import type { Database } from '../../db/index.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { IO } from '../realtime/index.js';
import { recheckShareLink, takeShareJoin, type LinkGrant, type ShareLimits } from '../services/share-links.js';
import { toWire } from '../shared/board-wire.js';
import { AppError, ERROR_CODES, type ErrorCode } from '../shared/errors.js';
import { rooms, type BoardAck, type BoardJoinResult, type ClientToServerEvents, type ServerToClientEvents } from '../shared/realtime.js';
import type { BoardBusMessage } from './bus.js';
import type { LiveBoards } from './live.js';
import type { Presence } from './presence.js';

type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

const READ_ONLY_MESSAGE = 'This link lets you look at the board, not change it.';
/** Messages one link socket may send per second (all of them are cheap or refused; this caps a flood). */
const MESSAGES_PER_SECOND = 20;
/** setTimeout's largest delay; a later expiry is re-checked at the next join. */
const MAX_TIMER_MS = 2 ** 31 - 1;

class Bucket {
  private tokens: number;
  private last = Date.now();
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export function createLinkViewers(deps: { io: IO; db: Database; log: Logger; limits: Config['boards']; lives: LiveBoards; presence: Presence; shareLimits: ShareLimits }) {
  const { io, db, log, limits, lives, presence } = deps;
  const countTimers = new Map<string, NodeJS.Timeout>();

  /** Link holders on the board, on every process (the adapter asks the others). */
  async function countViewers(boardId: string): Promise<number> {
    try {
      return (await io.in(rooms.boardLinks(boardId)).fetchSockets()).length;
    } catch {
      return io.of('/').adapter.rooms.get(rooms.boardLinks(boardId))?.size ?? 0;
    }
  }

  /** Tells the board's members the new count, once for a burst of joins and leaves. */
  function scheduleCount(boardId: string) {
    if (countTimers.has(boardId)) return;
    const t = setTimeout(() => {
      countTimers.delete(boardId);
      void countViewers(boardId).then((anonymous) => io.to(rooms.board(boardId)).emit('board:viewers', { boardId, anonymous }));
    }, 100);
    t.unref();
    countTimers.set(boardId, t);
  }

  /** Ends a link socket: it hears why, then the connection closes. */
  function end(socket: AppSocket, code: ErrorCode = 'SHARE_LINK_INVALID') {
    const link = socket.data.link as LinkGrant | undefined;
    if (link) socket.emit('board:error', { boardId: link.boardId, code, message: ERROR_CODES[code].message });
    socket.disconnect(true);
  }

  function attach(socket: AppSocket) {
    const link = socket.data.link as LinkGrant;
    let joined = false;
    const messages = new Bucket(MESSAGES_PER_SECOND, MESSAGES_PER_SECOND * 2);
    const syncs = new Bucket(limits.syncPerMinute / 60, limits.syncPerMinute);
    let expiry: NodeJS.Timeout | undefined;
    const armExpiry = (at: Date | null) => {
      clearTimeout(expiry);
      if (!at) return;
      expiry = setTimeout(() => end(socket), Math.min(MAX_TIMER_MS, Math.max(0, at.getTime() - Date.now())));
      expiry.unref();
    };
    armExpiry(link.expiresAt);

    const leave = () => {
      if (!joined) return;
      joined = false;
      void socket.leave(rooms.boardLinks(link.boardId));
      void socket.leave(rooms.boardLinksNamed(link.boardId));
      const live = lives.boards.get(link.boardId);
      if (live) {
        live.sockets.delete(socket.id);
        lives.scheduleIdle(live);
      }
      scheduleCount(link.boardId);
    };

    const refuse = (boardId: string, code: ErrorCode, message: string, ack?: (r: BoardAck) => void) => {
      socket.emit('board:error', { boardId, code, message });
      if (typeof ack === 'function') ack({ ok: false, code, message });
    };

    socket.on('board:join', async (boardId, ack) => {
      if (typeof ack !== 'function') return;
      const fail = (code: ErrorCode, message?: string) => ack({ ok: false, code, message: message ?? ERROR_CODES[code].message } satisfies BoardJoinResult);
      // Another board than the link's: as for a board that does not exist.
      if (boardId !== link.boardId) return fail('NOT_FOUND');
      try {
        takeShareJoin(deps, link.linkId);
        // Checked again: revoked, expired or switched off since the handshake.
        const grant = await recheckShareLink(db, link.linkId);
        armExpiry(grant.expiresAt);
        const live = await lives.open(grant.boardId, grant.workspaceId);
        if (!socket.connected) return lives.scheduleIdle(live);
        live.sockets.add(socket.id);
        joined = true;
        await socket.join(grant.showNames ? [rooms.boardLinks(grant.boardId), rooms.boardLinksNamed(grant.boardId)] : rooms.boardLinks(grant.boardId));
        ack({ ok: true, role: 'viewer', readOnly: true, name: grant.boardName, workspaceId: '', maxUpdateBytes: limits.maxUpdateBytes, maxSyncBytes: limits.maxSyncBytes });
        const enc = encoding.createEncoder();
        syncProtocol.writeSyncStep1(enc, live.doc);
        socket.emit('board:sync', grant.boardId, toWire(encoding.toUint8Array(enc)));
        if (grant.showNames) presence.sendAll(socket, live);
        scheduleCount(grant.boardId);
      } catch (err) {
        if (err instanceof AppError) {
          fail(err.code, err.userMessage);
          if (err.code === 'SHARE_LINK_INVALID') socket.disconnect(true);
          return;
        }
        log.error('share link join failed', { linkId: link.linkId, err });
        fail('INTERNAL');
      }
    });

    socket.on('board:leave', () => leave());

    socket.on('board:sync', async (boardId, message, ack) => {
      if (typeof boardId !== 'string') return;
      if (!messages.take()) return refuse(boardId, 'RATE_LIMITED', ERROR_CODES.RATE_LIMITED.message, ack);
      if (!joined || boardId !== link.boardId) return refuse(boardId, 'NOT_FOUND', 'Open the board first.', ack);
      if (!(message instanceof Uint8Array) || message.byteLength > limits.maxUpdateBytes + 16) return refuse(boardId, 'BOARD_UPDATE_MALFORMED', ERROR_CODES.BOARD_UPDATE_MALFORMED.message, ack);
      let type: number;
      let payload: Uint8Array;
      try {
        const decoder = decoding.createDecoder(message);
        type = decoding.readVarUint(decoder);
        payload = decoding.readVarUint8Array(decoder);
      } catch {
        return refuse(boardId, 'BOARD_UPDATE_MALFORMED', ERROR_CODES.BOARD_UPDATE_MALFORMED.message, ack);
      }
      // Only a request for the board (sync step 1) is answered; any change is refused, unread.
      if (type !== syncProtocol.messageYjsSyncStep1) return refuse(boardId, 'BOARD_READ_ONLY', READ_ONLY_MESSAGE, ack);
      if (!syncs.take()) return refuse(boardId, 'BOARD_SYNC_LIMITED', ERROR_CODES.BOARD_SYNC_LIMITED.message, ack);
      const live = lives.boards.get(boardId);
      if (!live) return refuse(boardId, 'NOT_FOUND', ERROR_CODES.NOT_FOUND.message, ack);
      try {
        await live.ready;
        const enc = encoding.createEncoder();
        syncProtocol.writeSyncStep2(enc, live.doc, payload);
        socket.emit('board:sync', boardId, toWire(encoding.toUint8Array(enc)));
        if (typeof ack === 'function') ack({ ok: true });
      } catch {
        refuse(boardId, 'BOARD_UPDATE_MALFORMED', ERROR_CODES.BOARD_UPDATE_MALFORMED.message, ack);
      }
    });

    socket.on('board:sync-part', (boardId, _part, _bytes, ack) => {
      if (typeof boardId !== 'string') return;
      if (!messages.take()) return refuse(boardId, 'RATE_LIMITED', ERROR_CODES.RATE_LIMITED.message, ack);
      refuse(boardId, 'BOARD_READ_ONLY', READ_ONLY_MESSAGE, ack);
    });

    // A link holder has no presence on the board: whatever it sends is dropped.
    socket.on('board:awareness', () => undefined);

    socket.on('disconnect', () => {
      clearTimeout(expiry);
      leave();
    });
  }

  /** A link revoked or switched off, or a board or workspace deleted: this process's link sockets for it end. */
  function onBusMessage(msg: Extract<BoardBusMessage, { k: 'unlink' | 'kick' }>) {
    for (const socket of io.of('/').sockets.values()) {
      const link = socket.data.link as LinkGrant | undefined;
      if (!link) continue;
      if (msg.k === 'unlink') {
        if (msg.l === link.linkId || msg.w === link.workspaceId) end(socket);
      } else if (msg.u === null && link.workspaceId === msg.w && (!msg.b || msg.b === link.boardId)) {
        end(socket);
      }
    }
  }

  /** A member just opened the board: how many link holders are on it (0 included, so a reconnect resets it). */
  function sendCount(socket: AppSocket, boardId: string) {
    void countViewers(boardId).then((anonymous) => socket.emit('board:viewers', { boardId, anonymous }));
  }

  return { attach, onBusMessage, sendCount };
}

export type LinkViewers = ReturnType<typeof createLinkViewers>;
