/**
 * Live boards over Socket.io: y-protocols sync and awareness messages in the room `board:{id}`.
 *
 * - A socket joins a board only after its membership was checked; viewers join read-only.
 * - Every update is validated (size, rate, decodable, document size), then appended to Postgres by
 *   one statement that also re-checks the writer's role and NOTIFYs the channel `fk_board`; only then
 *   is it applied to this process's live Y.Doc, sent to the other sockets here, and acknowledged.
 * - Other processes (web nodes, workers writing generation results) reach this one through that
 *   channel: each process applies the update to its own live document and sends it to its own
 *   sockets (see docs/decisions/0005-board-sync.md).
 * - Membership changes arrive on the same channel: a removed member leaves the board at once.
 * - Presence (y-protocols awareness) is held by every process in the board's live Awareness: sent
 *   to this process's sockets at once, and to other processes over the same channel, coalesced per
 *   board (AWARENESS_RELAY_MS). A joiner gets everyone's presence from its own process, so a join
 *   costs one message to each peer, not a round of re-sends from every client.
 * - Messages to browsers are base64 text (server/shared/board-wire.ts): one pre-framed WebSocket
 *   frame per broadcast.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Socket } from 'socket.io';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import * as awarenessProtocol from 'y-protocols/awareness';
import type { Database } from '../../db/index.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { fromWire, toWire } from '../shared/board-wire.js';
import { AppError, ERROR_CODES, type ErrorCode } from '../shared/errors.js';
import { rooms, type BoardAck, type BoardJoinResult, type ClientToServerEvents, type ServerToClientEvents } from '../shared/realtime.js';
import {
  appendBoardUpdates,
  BOARD_CHANNEL,
  BOARD_LIVE_TTL_SECONDS,
  boardAccess,
  compactBoard,
  openBoardState,
  othersHoldBoard,
  pruneLiveBoards,
  publishToOthers,
  readBoardUpdate,
  registerLiveBoards,
  touchActivity,
  unregisterLiveBoards,
  type BoardBusMessage,
} from '../services/boards.js';
import type { IO } from './index.js';
import { applyLive, dropCheck, tryOnReplica } from './board-check.js';
import { recheckAccess } from './board-access.js';

type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_IN_FLIGHT = 32;
/** Batches of one board stored at once: an update need not wait for a slow commit before it (Yjs updates commute). */
const MAX_BATCHES_IN_FLIGHT = 2;
const MAX_AWARENESS_BYTES = 4096;
const AWARENESS_PER_SECOND = 40;
/** Presence changes are relayed to other processes at most this often per board (one NOTIFY for all of them). */
const AWARENESS_RELAY_MS = 40;
/** NOTIFY payloads are capped at 8000 bytes: a relay larger than this is split by client. */
const AWARENESS_RELAY_BYTES = 5000;
/** After opening a board, its stored state is read again at these delays (see `open`). */
const CATCH_UP_AFTER_MS = [1_000, 10_000];
/** On a graceful stop, how long accepted updates may take to be stored before the process goes on. */
const CLOSE_STORE_WAIT_MS = 5_000;

class LiveBoard {
  /** Replaced only while loading (before anyone joined), when a stored update had to be left out. */
  doc = new Y.Doc({ gc: true });
  awareness = new awarenessProtocol.Awareness(this.doc);
  /**
   * A replica of `doc` that every update is tried on before it is stored (server/realtime/board-check.ts):
   * one that throws is refused, never stored. Made when first needed, dropped when it may differ.
   */
  check: Y.Doc | null = null;
  /** Stored size, approximately (snapshot + updates since), for the document size limit. */
  bytes = 0;
  /** Updates stored since the last compaction this process knows of. */
  pending = 0;
  sockets = new Set<string>();
  ready!: Promise<void>;
  idleTimer: NodeJS.Timeout | null = null;
  compacting: Promise<void> | null = null;
  /** Updates waiting to be stored: written together, one commit per batch (group commit). */
  queue: Pending[] = [];
  /** Batches being stored right now (at most MAX_BATCHES_IN_FLIGHT). */
  flushing = 0;
  /** Bytes in `queue` and in batches being stored: accepted and sent to everyone, not yet committed. */
  unstoredBytes = 0;
  /** Every store not yet settled: an answer that needs "everything so far is stored" waits for these. */
  unsettled = new Set<Promise<unknown>>();
  /** The highest stored update id this process knows of (sent with each acknowledgement). */
  lastSeq = 0;
  /** While the database refuses or is away: the pause before the next attempt (doubling, see flush). */
  retryMs = 0;
  /** Unloaded: what is still queued is not stored by this process (its clients send it again). */
  dead = false;
  /**
   * Who speaks for each awareness client id: the user who first used it here, through their latest
   * socket (a tab that reconnects before its old connection timed out takes its cursor along).
   * Other users may not speak for it.
   */
  awarenessOwners = new Map<number, { userId: string; socketId: string }>();
  /** Awareness clients changed by this process's sockets since the last relay to other processes. */
  relayClients = new Set<number>();
  relayTimer: NodeJS.Timeout | null = null;
  constructor(
    readonly id: string,
    readonly workspaceId: string,
  ) {
    this.awareness.setLocalState(null);
  }
  destroy() {
    this.dead = true;
    for (const b of this.queue.splice(0)) b.reject(new Error('board unloaded before the update was stored'));
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.relayTimer) clearTimeout(this.relayTimer);
    this.awareness.destroy();
    this.doc.destroy();
    dropCheck(this);
  }
}

/** An update waiting to be stored, from one socket. */
interface Pending {
  update: Uint8Array;
  userId: string;
  socketId: string;
  /** with the highest stored id once committed; null: refused by the write's own role check */
  resolve: (seq: number | null) => void;
  reject: (err: unknown) => void;
}

interface Joined {
  workspaceId: string;
  readOnly: boolean;
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
  name: Promise<string>;
  boards: Map<string, Joined>;
  /** every sync message, accepted or refused */
  updates: Bucket;
  /** whole-document answers (a client's sync step 1 costs the server a copy of the board) */
  syncs: Bucket;
  /** joins and leaves */
  joins: Bucket;
  awareness: Bucket;
  inFlight: number;
  lastTouch: Map<string, number>;
  /** a sync message being received in parts, per board */
  parts: Map<string, { id: string; total: number; chunks: Uint8Array[]; bytes: number; timer: NodeJS.Timeout }>;
}

export interface BoardSync {
  attach(socket: AppSocket): void;
  /** How many boards this process holds live (for tests and the benchmark). */
  liveBoards(): number;
  /** Opens a board's live document (as a join would), for tests and the benchmark. */
  open(boardId: string, workspaceId: string): Promise<LiveBoard>;
  /** Stores a compacted snapshot of every live board and stops listening; safe to call twice. */
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
}

/** A y-protocols update message, as sent to browsers. */
const syncUpdateMessage = (update: Uint8Array) => {
  const enc = encoding.createEncoder();
  syncProtocol.writeUpdate(enc, update);
  return toWire(encoding.toUint8Array(enc));
};

interface AwarenessEntry {
  client: number;
  clock: number;
  /** the state as JSON text ('null' for a removal) */
  state: string;
}

/** The entries of an awareness update: one per client it speaks for. Throws when it does not decode. */
function awarenessEntries(update: Uint8Array): AwarenessEntry[] {
  const dec = decoding.createDecoder(update);
  const n = decoding.readVarUint(dec);
  const out: AwarenessEntry[] = [];
  for (let i = 0; i < n; i++) out.push({ client: decoding.readVarUint(dec), clock: decoding.readVarUint(dec), state: decoding.readVarString(dec) });
  return out;
}

function encodeAwarenessEntries(entries: AwarenessEntry[]): Uint8Array {
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, entries.length);
  for (const e of entries) {
    encoding.writeVarUint(enc, e.client);
    encoding.writeVarUint(enc, e.clock);
    encoding.writeVarString(enc, e.state);
  }
  return encoding.toUint8Array(enc);
}

/** Whether y-protocols would apply this entry to `awareness` (a newer clock, or a removal at the same one). */
function isNews(awareness: awarenessProtocol.Awareness, e: AwarenessEntry): boolean {
  const current = awareness.meta.get(e.client)?.clock ?? 0;
  return current < e.clock || (current === e.clock && e.state === 'null' && awareness.states.has(e.client));
}

/** A bucket of `n` a minute (a burst of up to `n`). */
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
  const diff = Y.diffUpdate(update, Y.encodeStateVector(doc));
  const d = Y.decodeUpdate(diff);
  return d.structs.length === 0 && d.ds.clients.size === 0;
}

export async function createBoardSync(opts: BoardSyncOptions): Promise<BoardSync> {
  const { io, db, log, limits } = opts;
  const origin = randomUUID();
  const idleUnloadMs = opts.idleUnloadMs ?? 30_000;
  const boards = new Map<string, LiveBoard>();
  /** Releases of boards' live claims still being written (see unload and open). */
  const unregistering = new Map<string, Promise<unknown>>();
  const states = new Map<string, SocketState>();
  const socketsById = new Map<string, AppSocket>();
  const byUser = new Map<string, Set<string>>();
  let closed = false;

  // ---- the channel: updates, kicks, joins and role changes from every process ----
  let listener: pg.Client | null = null;
  let reconnectTimer: NodeJS.Timeout | null = null;
  const listen = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: opts.databaseUrl });
    client.on('error', (err) => log.warn('board channel connection error', { err }));
    client.on('end', () => {
      if (closed) return;
      listener = null;
      reconnectTimer = setTimeout(
        () =>
          void listen().then(
            () => Promise.all([recheckAccessAll(), resyncAll()]).catch((err) => log.warn('board catch-up after reconnecting failed', { err })),
            (err) => log.warn('board channel reconnect failed', { err }),
          ),
        1000,
      );
    });
    client.on('notification', (n) => {
      if (n.channel !== BOARD_CHANNEL || !n.payload) return;
      let msg: BoardBusMessage;
      try {
        msg = JSON.parse(n.payload) as BoardBusMessage;
      } catch {
        return;
      }
      void onBusMessage(msg).catch((err) => log.error('board channel message failed', { err }));
    });
    await client.connect();
    await client.query(`listen ${BOARD_CHANNEL}`);
    listener = client;
  };
  await listen();

  /**
   * After a lost connection, membership changes announced meanwhile were missed: every socket's
   * workspace rooms and joined boards are checked again (a removed member leaves, a changed role
   * applies). See board-access.ts.
   */
  async function recheckAccessAll() {
    for (const [sid, state] of states) {
      const socket = socketsById.get(sid);
      if (socket) await recheckAccess(db, socket, state, { leaveBoard, emitRole: true });
    }
  }

  /** After a lost connection: anything announced meanwhile is read back from the table. */
  async function resyncAll() {
    for (const live of boards.values()) await resync(live);
  }

  /** Reads the board's stored state again and sends this process's sockets whatever was missing. */
  async function resync(live: LiveBoard) {
    await live.ready.catch(() => undefined);
    if (boards.get(live.id) !== live) return;
    const before = Y.encodeStateVector(live.doc);
    // Built apart (a stored update that throws is left out and quarantined), then what is new is applied.
    const { doc: stored } = await openBoardState(db, live.id, { origin: 'resync', log });
    if (boards.get(live.id) !== live) return stored.destroy();
    applyLive(live, Y.encodeStateAsUpdate(stored, before), 'resync');
    stored.destroy();
    const diff = Y.encodeStateAsUpdate(live.doc, before);
    if (diff.byteLength > 2) io.local.to(rooms.board(live.id)).emit('board:sync', live.id, syncUpdateMessage(diff));
  }

  // Claims to hold boards live are renewed while held (they expire, so a dead process stops counting).
  const renewTimer = setInterval(() => {
    void registerLiveBoards(db, origin, [...boards.keys()])
      .then(() => pruneLiveBoards(db))
      .catch((err) => log.warn('renewing live boards failed', { err }));
  }, (BOARD_LIVE_TTL_SECONDS * 1000) / 4);
  renewTimer.unref();

  async function onBusMessage(msg: BoardBusMessage) {
    if (msg.k === 'a') {
      if (msg.o === origin) return;
      const live = boards.get(msg.b);
      if (!live) return;
      const update = fromWire(msg.a);
      if (!update) return;
      await live.ready;
      awarenessProtocol.applyAwarenessUpdate(live.awareness, update, 'remote');
      io.local.to(rooms.board(live.id)).emit('board:awareness', live.id, msg.a);
      return;
    }
    if (msg.k === 'u') {
      if (msg.o === origin) return;
      const live = boards.get(msg.b);
      if (!live) return;
      const update = msg.u !== null ? new Uint8Array(Buffer.from(msg.u, 'base64')) : await readBoardUpdate(db, msg.i);
      if (!update) return;
      await live.ready;
      applyLive(live, update, 'remote');
      live.lastSeq = Math.max(live.lastSeq, msg.i);
      live.bytes += update.byteLength;
      live.pending++;
      io.local.to(rooms.board(live.id)).emit('board:sync', live.id, syncUpdateMessage(update));
      maybeCompact(live);
      return;
    }
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
            const { role } = await boardAccess(db, { userId: state.userId }, boardId);
            const readOnly = role === 'viewer';
            if (readOnly && !joined.readOnly) socket.emit('board:error', { boardId, code: 'BOARD_READ_ONLY', message: ERROR_CODES.BOARD_READ_ONLY.message });
            joined.readOnly = readOnly;
            // Either way the open board follows at once: a promoted viewer can edit without reloading.
            socket.emit('board:role', { boardId, role, readOnly });
          } catch {
            leaveBoard(socket, state, boardId);
            socket.emit('board:error', { boardId, code: 'BOARD_ACCESS_REVOKED', message: ERROR_CODES.BOARD_ACCESS_REVOKED.message });
          }
        }
      }
    }
    if (msg.k === 'kick' && msg.b) {
      const live = boards.get(msg.b);
      if (live && live.sockets.size === 0) unload(live);
    }
  }

  // ---- live documents ----
  async function open(boardId: string, workspaceId: string): Promise<LiveBoard> {
    let live = boards.get(boardId);
    if (!live) {
      const created = new LiveBoard(boardId, workspaceId);
      live = created;
      boards.set(boardId, created);
      created.ready = (async () => {
        // Claimed before loading: from then on every process announces this board's changes to us.
        // A change whose statement began just before the claim is neither announced nor (if it
        // commits after the load) loaded: the reads a little later pick it up. Only another
        // process holding the board can have written such a change, and its claim came before its
        // writes, so when none holds it once loaded, there is nothing to catch up with.
        await unregistering.get(boardId); // a release still on its way must not remove this claim
        await registerLiveBoards(db, origin, [boardId]);
        const { doc, bytes, pending } = await openBoardState(db, boardId, { into: created.doc, log });
        if (doc !== created.doc) {
          // A stored update was left out (quarantined): the document was built again without it.
          created.awareness.destroy();
          created.doc.destroy();
          created.doc = doc;
          created.awareness = new awarenessProtocol.Awareness(doc);
          created.awareness.setLocalState(null);
        }
        created.bytes = bytes;
        created.pending = pending;
        if (await othersHoldBoard(db, boardId, origin)) {
          for (const ms of CATCH_UP_AFTER_MS) setTimeout(() => void resync(created).catch((err) => log.warn('board catch-up failed', { boardId, err })), ms).unref();
        }
      })();
      created.ready.catch(() => {
        if (boards.get(boardId) === created) boards.delete(boardId);
        created.destroy();
      });
    }
    await live.ready;
    if (live.idleTimer) {
      clearTimeout(live.idleTimer);
      live.idleTimer = null;
    }
    return live;
  }

  /**
   * Queues an accepted update (already applied and sent) to be stored with whatever else is waiting
   * for this board (group commit). Resolves with the highest stored id once committed, or null when
   * the write's role check refused it; rejects only when the board is unloaded before it could be
   * stored (the clients still hold it and send it again).
   */
  function store(live: LiveBoard, update: Uint8Array, userId: string, socketId: string): Promise<number | null> {
    const p = new Promise<number | null>((resolve, reject) => live.queue.push({ update, userId, socketId, resolve, reject }));
    live.unstoredBytes += update.byteLength;
    live.unsettled.add(p);
    const settle = () => {
      live.unsettled.delete(p);
      live.unstoredBytes -= update.byteLength;
    };
    p.then(settle, settle);
    if (live.flushing < MAX_BATCHES_IN_FLIGHT) void flush(live);
    return p;
  }

  /** The highest stored id once every update accepted so far for this board is stored. */
  async function storedSoFar(live: LiveBoard): Promise<number> {
    await Promise.all([...live.unsettled]);
    return live.lastSeq;
  }

  async function flush(live: LiveBoard) {
    live.flushing++;
    try {
      while (live.queue.length > 0 && !live.dead) {
        const batch = live.queue.splice(0, 64);
        let stored: { users: Set<string>; seq: number };
        try {
          stored = await appendBoardUpdates(opts.pool, live.id, batch, origin);
        } catch (err) {
          // Not stored (the database is away, or timed out): the updates stay accepted, in memory
          // and with the clients, which are not told "saved"; tried again after a pause.
          live.queue.unshift(...batch);
          live.retryMs = Math.min(Math.max(live.retryMs * 2, 250), 5_000);
          log.warn('storing board updates failed; trying again', { boardId: live.id, updates: batch.length, retryInMs: live.retryMs, err });
          await new Promise((r) => setTimeout(r, live.retryMs));
          continue;
        }
        live.retryMs = 0;
        live.lastSeq = Math.max(live.lastSeq, stored.seq);
        for (const b of batch) {
          const ok = stored.users.has(b.userId);
          if (ok) live.pending++;
          b.resolve(ok ? live.lastSeq : null);
        }
        maybeCompact(live);
      }
    } finally {
      live.flushing--;
    }
    if (live.dead) for (const b of live.queue.splice(0)) b.reject(new Error('board unloaded before the update was stored'));
  }

  function unload(live: LiveBoard) {
    if (boards.get(live.id) !== live) return;
    boards.delete(live.id);
    live.destroy();
    if (closed) return;
    const released = unregisterLiveBoards(db, origin, [live.id])
      .catch(() => undefined)
      .finally(() => {
        if (unregistering.get(live.id) === released) unregistering.delete(live.id);
      });
    unregistering.set(live.id, released);
  }

  function compact(live: LiveBoard): Promise<void> {
    live.compacting ??= (async () => {
      try {
        const r = await compactBoard(db, live.id);
        if (r) {
          live.pending = Math.max(0, live.pending - r.merged);
          live.bytes = r.bytes;
        }
      } catch (err) {
        log.warn('board compaction failed', { boardId: live.id, err });
      } finally {
        live.compacting = null;
      }
    })();
    return live.compacting;
  }

  function maybeCompact(live: LiveBoard) {
    if (live.pending >= limits.compactAfterUpdates && !live.compacting) void compact(live);
  }

  function scheduleIdle(live: LiveBoard) {
    if (live.sockets.size > 0 || live.idleTimer || closed) return;
    live.idleTimer = setTimeout(() => {
      live.idleTimer = null;
      if (live.sockets.size > 0) return;
      // Accepted updates not yet stored keep the board in memory until they are.
      if (live.unsettled.size > 0) return scheduleIdle(live);
      void (live.pending > 0 ? compact(live) : Promise.resolve()).then(() => {
        if (live.sockets.size === 0 && live.unsettled.size === 0) unload(live);
        else scheduleIdle(live);
      });
    }, idleUnloadMs);
    live.idleTimer.unref();
  }

  /** Presence changed here: tell other processes soon, in one message for every client that changed. */
  function relayAwareness(live: LiveBoard, clients: number[]) {
    for (const c of clients) live.relayClients.add(c);
    if (live.relayTimer || closed) return;
    live.relayTimer = setTimeout(() => {
      live.relayTimer = null;
      // Clients whose update was not applied (an older clock) have nothing to relay.
      const all = [...live.relayClients].filter((c) => live.awareness.meta.has(c));
      live.relayClients.clear();
      if (boards.get(live.id) !== live) return;
      const send = (ids: number[]) => {
        const update = awarenessProtocol.encodeAwarenessUpdate(live.awareness, ids);
        if (update.byteLength > AWARENESS_RELAY_BYTES && ids.length > 1) {
          send(ids.slice(0, ids.length >> 1));
          send(ids.slice(ids.length >> 1));
          return;
        }
        void publishToOthers(db, live.id, origin, { k: 'a', b: live.id, o: origin, a: toWire(update) }).catch((err) => log.warn('presence relay failed', { boardId: live.id, err }));
      };
      if (all.length > 0) send(all);
    }, AWARENESS_RELAY_MS);
    live.relayTimer.unref();
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
    // Only the cursors this socket still speaks for (not those a reconnected tab took over).
    const clients = [...joined.awarenessClients].filter((c) => live.awarenessOwners.get(c)?.socketId === socket.id);
    for (const c of clients) live.awarenessOwners.delete(c);
    if (clients.length > 0) {
      awarenessProtocol.removeAwarenessStates(live.awareness, clients.filter((c) => live.awareness.states.has(c)), 'leave');
      io.local.to(rooms.board(boardId)).emit('board:awareness', boardId, toWire(awarenessProtocol.encodeAwarenessUpdate(live.awareness, clients)));
      relayAwareness(live, clients);
    }
    scheduleIdle(live);
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
    if (nothing) return { saved: storedSoFar(live) };
    if (joined.readOnly) throw new Refusal('BOARD_READ_ONLY');
    if (live.bytes + update.byteLength > limits.maxDocBytes) throw new Refusal('BOARD_FULL');
    // While the database is away, accepted updates wait in memory: only up to a bound (the clients keep the rest).
    if (live.unstoredBytes + update.byteLength > limits.maxUnstoredBytes) throw new Refusal('BOARD_SAVE_BEHIND');
    const invalid = tryOnReplica(live, update, socket.id);
    if (invalid) {
      log.warn('refused a board update that does not apply', { boardId, userId: state.userId, reason: invalid });
      throw new Refusal('BOARD_UPDATE_INVALID');
    }
    try {
      // The replica took it, so this does not throw; if it did, nothing was sent or stored.
      Y.applyUpdate(live.doc, update, socket.id);
    } catch (err) {
      dropCheck(live);
      log.error('applying a checked board update failed', { boardId, err });
      throw new Refusal('BOARD_UPDATE_INVALID');
    }
    live.bytes += update.byteLength;
    io.local.to(rooms.board(boardId)).except(socket.id).emit('board:sync', boardId, syncUpdateMessage(update));
    const last = state.lastTouch.get(joined.workspaceId) ?? 0;
    if (Date.now() - last > 60_000) {
      state.lastTouch.set(joined.workspaceId, Date.now());
      void touchActivity(db, joined.workspaceId, state.userId).catch(() => undefined);
    }
    const saved = store(live, update, state.userId, socket.id).then(async (seq) => {
      if (seq !== null) return seq;
      // The write's own role check refused it: the role changed or the membership ended since
      // joining (and the change had not reached this process yet). Find out which, and say so.
      try {
        const { role } = await boardAccess(db, { userId: state.userId }, boardId);
        joined.readOnly = role === 'viewer';
        throw new Refusal(joined.readOnly ? 'BOARD_READ_ONLY' : 'CONFLICT');
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
      name: db
        .selectFrom('user')
        .select('name')
        .where('id', '=', userId)
        .executeTakeFirst()
        .then((u) => u?.name || 'Someone', () => 'Someone'),
      boards: new Map(),
      updates: new Bucket(limits.updatesPerSecond),
      syncs: perMinute(limits.syncPerMinute),
      joins: perMinute(limits.joinsPerMinute),
      awareness: new Bucket(AWARENESS_PER_SECOND),
      inFlight: 0,
      lastTouch: new Map(),
      parts: new Map(),
    };
    states.set(socket.id, state);
    socketsById.set(socket.id, socket);
    if (!byUser.has(userId)) byUser.set(userId, new Set());
    byUser.get(userId)!.add(socket.id);

    void db
      .selectFrom('membership')
      .select('workspace_id')
      .where('user_id', '=', userId)
      .execute()
      .then((rows) => socket.join(rows.map((r) => rooms.workspace(r.workspace_id))))
      .catch((err) => log.warn('joining workspace rooms failed', { err }));

    socket.on('board:join', async (boardId, ack) => {
      if (typeof ack !== 'function') return;
      const fail = (code: ErrorCode, message?: string) => ack({ ok: false, code, message: message ?? ERROR_CODES[code].message } satisfies BoardJoinResult);
      if (!state.joins.take()) return fail('RATE_LIMITED', 'You are opening boards too quickly. Wait a moment.');
      if (typeof boardId !== 'string' || !UUID.test(boardId)) return fail('NOT_FOUND');
      if (!state.boards.has(boardId) && state.boards.size >= limits.boardsPerSocket) return fail('BOARD_TOO_MANY_OPEN');
      try {
        const { board, role } = await boardAccess(db, { userId }, boardId);
        const live = await open(boardId, board.workspaceId);
        if (!socket.connected) return scheduleIdle(live);
        const readOnly = role === 'viewer';
        const existing = state.boards.get(boardId);
        state.boards.set(boardId, { workspaceId: board.workspaceId, readOnly, awarenessClients: existing?.awarenessClients ?? new Set() });
        live.sockets.add(socket.id);
        await socket.join(rooms.board(boardId));
        ack({ ok: true, role, readOnly, name: board.name, workspaceId: board.workspaceId, maxUpdateBytes: limits.maxUpdateBytes, maxSyncBytes: limits.maxSyncBytes });
        // Our state vector: the client answers with whatever we lack (edits made offline).
        const enc = encoding.createEncoder();
        syncProtocol.writeSyncStep1(enc, live.doc);
        socket.emit('board:sync', boardId, toWire(encoding.toUint8Array(enc)));
        // Everyone's presence, from this process's copy (other processes relay theirs into it).
        const present = [...live.awareness.getStates().keys()];
        if (present.length > 0) socket.emit('board:awareness', boardId, toWire(awarenessProtocol.encodeAwarenessUpdate(live.awareness, present)));
        void touchActivity(db, board.workspaceId, userId).catch(() => undefined);
        state.lastTouch.set(board.workspaceId, Date.now());
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
        const name = await state.name;
        // The server states who the presence belongs to: a client cannot show up as someone else.
        const checked = awarenessProtocol.modifyAwarenessUpdate(update, (s: Record<string, unknown> | null) =>
          s ? { ...s, user: { id: userId, name, color: typeof (s.user as { color?: unknown })?.color === 'string' ? String((s.user as { color: string }).color).slice(0, 32) : '#8b5cf6' }, readOnly: joined.readOnly } : s,
        );
        // Only what is new goes on (a stale clock changes nothing), and only for client ids this
        // socket speaks for: nobody can move or remove someone else's cursor.
        const news = awarenessEntries(checked).filter((e) => (live.awarenessOwners.get(e.client)?.userId ?? userId) === userId && isNews(live.awareness, e));
        if (news.length === 0) return;
        const clients = news.map((e) => e.client);
        for (const c of clients) {
          joined.awarenessClients.add(c);
          live.awarenessOwners.set(c, { userId, socketId: socket.id });
        }
        const forward = encodeAwarenessEntries(news);
        awarenessProtocol.applyAwarenessUpdate(live.awareness, forward, socket.id);
        io.local.to(rooms.board(boardId)).except(socket.id).emit('board:awareness', boardId, toWire(forward));
        relayAwareness(live, clients);
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

  return {
    attach,
    liveBoards: () => boards.size,
    open,
    async close() {
      if (closed) return;
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      clearInterval(renewTimer);
      await listener?.end().catch(() => undefined);
      const all = [...boards.values()];
      // What was accepted is stored first, if the database lets us within a few seconds (if not, the
      // clients still hold it: they were not told "saved", and send it again to the next server).
      await Promise.race([Promise.allSettled(all.flatMap((live) => [...live.unsettled])), new Promise((r) => setTimeout(r, CLOSE_STORE_WAIT_MS).unref())]);
      await Promise.all(all.map((live) => (live.pending > 0 ? compact(live) : Promise.resolve())));
      for (const live of all) unload(live);
      await unregisterLiveBoards(db, origin).catch((err) => log.warn('releasing live boards failed', { err }));
    },
  };
}
