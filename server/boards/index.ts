/**
 * Live boards over Socket.io: y-protocols sync and awareness messages in the room `board:{id}`.
 * This file wires the parts; each has its own file:
 *
 * - socket.ts: the Socket.io adapter (joins after the membership check, sync messages checked and
 *   handed on, messages in parts, refusals with named codes);
 * - live.ts: live documents; fan-out from memory, group commit, acknowledgement after the commit
 *   (docs/decisions/0010);
 * - presence.ts, presence-state.ts: awareness (who is here, cursors), held per process while someone
 *   has some, relayed between processes;
 * - memory.ts: what a live board keeps in memory while loaded (trimmed documents; no replica when idle);
 * - store.ts: storage (one append statement, load, compaction, the server's own edits);
 * - bus.ts: the cross-process channel and who holds which board live;
 * - access.ts, check.ts, integrity.ts, assets.ts: roles, trying updates before accepting them,
 *   poison updates and quarantine, which boards show which assets;
 * - versions.ts, feed.ts: version history (automatic versions follow edits here) and the job feed;
 * - links.ts: sockets opened with a share link (read-only, one board, no presence of their own).
 *
 * The channel is one LISTEN connection that comes back after a lost connection (with backoff,
 * however long the outage); then every socket's access is checked again and every live board is
 * read back from storage, since announcements made meanwhile were missed.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Socket } from 'socket.io';
import type { Database } from '../../db/index.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../observability/metrics.js';
import type { IO } from '../realtime/index.js';
import { listenChannel, type Listener } from '../realtime/listen.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../shared/realtime.js';
import { BOARD_CHANNEL, type BoardBusMessage } from './bus.js';
import { createLiveBoards, type LiveBoard } from './live.js';
import { tidyBoards } from './memory.js';
import { createPresence } from './presence.js';
import { PRESENCE_TIMEOUT_MS } from './presence-state.js';
import { createAutoVersions } from './versions.js';
import { createBoardSockets } from './socket.js';
import { createLinkViewers } from './links.js';
import type { ShareLimits } from '../services/share-links.js';

type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

export interface BoardSync {
  attach(socket: AppSocket): void;
  /** How many boards this process holds live (for tests and the benchmark). */
  liveBoards(): number;
  /** Opens a board's live document (as a join would), for tests and the benchmark. */
  open(boardId: string, workspaceId: string): Promise<LiveBoard>;
  /** Stores what was accepted, a compacted snapshot of every live board, and stops listening; safe to call twice. */
  close(): Promise<void>;
}

export interface BoardSyncOptions {
  io: IO;
  db: Database;
  /** the pool behind `db`, for the prepared statement that stores updates */
  pool: Pick<pg.Pool, 'query'>;
  databaseUrl: string;
  limits: Config['boards'];
  log: Logger;
  /** How long a board with nobody on it stays in memory (ms). */
  idleUnloadMs?: number;
  metrics: Pick<Metrics, 'fanout'>;
  /** per-link limits of share links (server/services/share-links.ts) */
  shareLimits: ShareLimits;
  /** A client whose presence was not renewed for this long is gone (ms; default y-protocols' 30 s). Tests shorten it. */
  presenceTimeoutMs?: number;
}

export async function createBoardSync(opts: BoardSyncOptions): Promise<BoardSync> {
  const { io, db, log, limits } = opts;
  const origin = randomUUID();
  const lives = createLiveBoards({ io, db, pool: opts.pool, log, limits, origin, idleUnloadMs: opts.idleUnloadMs ?? 30_000, metrics: opts.metrics });
  const presence = createPresence({ io, db, log, origin, boards: lives.boards, isClosed: () => lives.closed, timeoutMs: opts.presenceTimeoutMs });
  // One timer for every live board of this process (not one per board): presence timeouts (presence.ts)
  // and what an idle board keeps in memory (memory.ts).
  const sweepTimer = setInterval(() => {
    const now = Date.now();
    presence.sweep(now);
    tidyBoards(lives.boards.values(), now);
  }, Math.min(3_000, Math.max(50, (opts.presenceTimeoutMs ?? PRESENCE_TIMEOUT_MS) / 10)));
  sweepTimer.unref();
  const autoVersions = createAutoVersions(db, { everyMs: limits.autoVersionEveryMs, log });
  const links = createLinkViewers({ io, db, log, limits, lives, presence, shareLimits: opts.shareLimits });
  const sockets = createBoardSockets({ db, log, limits, lives, presence, onEdit: autoVersions.touched, onJoined: links.sendCount });

  const onMessage = async (msg: BoardBusMessage) => {
    if (msg.k === 'u') return lives.applyRemote(msg);
    if (msg.k === 'a') return presence.applyRemote(msg);
    if (msg.k === 'unlink') return links.onBusMessage(msg);
    if (msg.k === 'kick') links.onBusMessage(msg);
    return sockets.onMembership(msg);
  };
  const listener: Listener = await listenChannel({
    databaseUrl: opts.databaseUrl,
    channel: BOARD_CHANNEL,
    log,
    onMessage(payload) {
      let msg: BoardBusMessage;
      try {
        msg = JSON.parse(payload) as BoardBusMessage;
      } catch {
        return;
      }
      void onMessage(msg).catch((err) => log.error('board channel message failed', { err }));
    },
    onConnected(reconnected) {
      if (!reconnected) return;
      void Promise.all([sockets.recheckAccessAll(), lives.resyncAll()]).catch((err) => log.warn('board catch-up after reconnecting failed', { err }));
    },
  });

  return {
    attach: (socket) => (socket.data.link ? links.attach(socket) : sockets.attach(socket)),
    liveBoards: () => lives.boards.size,
    open: lives.open,
    async close() {
      if (lives.closed) return;
      clearInterval(sweepTimer);
      await listener.close();
      await lives.close();
    },
  };
}
