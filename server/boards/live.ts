/**
 * Live boards in one process: the Y.Doc (and presence) of every board that a socket here uses,
 * loaded from storage, kept in step with other processes, compacted and unloaded when idle.
 *
 * The durability rule (docs/decisions/0010): an accepted update is applied to the live document and
 * sent to this process's sockets at once (`accept`; updates accepted in the same event-loop turn go
 * out as one message, `fanOut`); it is stored by group commit across all the process's boards
 * (`store`: one statement per batch, whatever boards its rows belong to, each row checked against its
 * own board's membership; at most two statements at once), and its author is acknowledged only after
 * the commit, with the highest stored id. A write that fails goes back to its board's queue and is
 * tried again, that board alone, after a pause (so a board whose rows the database refuses holds up
 * no other), while the board is live; the board stays loaded until everything accepted is stored,
 * and an update of a board unloaded first is refused (its clients still hold it). Other processes
 * receive stored updates through the channel (`applyRemote`).
 */
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import type pg from 'pg';
import type { Database } from '../../db/index.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../observability/metrics.js';
import type { IO } from '../realtime/index.js';
import { toWire } from '../shared/board-wire.js';
import { rooms } from '../shared/realtime.js';
import { BOARD_LIVE_TTL_SECONDS, othersHoldBoard, pruneLiveBoards, registerLiveBoards, unregisterLiveBoards, type BoardBusMessage } from './bus.js';
import { applyLive, dropCheck } from './check.js';
import { leanDoc, newLiveDoc } from './memory.js';
import type { BoardPresence } from './presence-state.js';
import { appendUpdates, compactBoard, openBoardState, readBoardUpdate, type StoredForBoard } from './store.js';

/**
 * Store statements running at once, for all boards of this process together: an update need not
 * wait for a slow commit before it (Yjs updates commute), and the pool (shared with every request)
 * is never crowded by board writes.
 */
const MAX_STATEMENTS_IN_FLIGHT = 2;
/** Rows in one store statement, from as many boards as have updates waiting... */
const STATEMENT_ROWS = 256;
/** ...and bytes (a statement takes at least one update, whatever its size). */
const STATEMENT_BYTES = 1024 * 1024;
/** After opening a board, its stored state is read again at these delays (see `open`). */
const CATCH_UP_AFTER_MS = [1_000, 10_000];
/** On a graceful stop, how long accepted updates may take to be stored before the process goes on. */
const CLOSE_STORE_WAIT_MS = 5_000;

/** An update waiting to be stored, from one socket. */
interface Pending {
  update: Uint8Array;
  userId: string;
  socketId: string;
  /** with the highest stored id once committed; null: refused by the write's own role check */
  resolve: (seq: number | null) => void;
  reject: (err: unknown) => void;
}

export class LiveBoard {
  /** Replaced only while loading (before anyone joined), when a stored update had to be left out. */
  doc = newLiveDoc();
  /** Who is here (presence.ts): made when someone first sends their presence, dropped once nobody has any. */
  presence: BoardPresence | null = null;
  /**
   * A replica of `doc` that every update is tried on before it is accepted (check.ts): one that
   * throws is refused, never stored. Made when first needed, dropped when it may differ, and when
   * nobody edited the board for a while (memory.ts).
   */
  check: Y.Doc | null = null;
  /** When an update was last applied here (Date.now(); 0: none since loading), and when the documents were last tidied (memory.ts). */
  editedAt = 0;
  tidiedAt = 0;
  /** Stored size, approximately (snapshot + updates since), for the document size limit. */
  bytes = 0;
  /** Updates stored since the last compaction this process knows of. */
  pending = 0;
  sockets = new Set<string>();
  ready!: Promise<void>;
  idleTimer: NodeJS.Timeout | null = null;
  compacting: Promise<void> | null = null;
  /** Accepted updates waiting to be stored: written with every other board's, one commit per batch (group commit). */
  queue: Pending[] = [];
  /** Accepted updates not yet sent to the board's other sockets: sent together at the end of this event-loop turn (see fanOut). */
  outbox: { update: Uint8Array; socketId: string; receivedAt: number }[] = [];
  /** After a failed write: the pause before this board's next attempt (doubling; 0: the last write went through)... */
  retryMs = 0;
  /** ...and when that attempt may start (Date.now() ms). */
  retryAt = 0;
  /** Bytes in `queue` and in batches being stored: accepted and sent to everyone, not yet committed. */
  unstoredBytes = 0;
  /** Every store not yet settled: an answer that needs "everything so far is stored" waits for these. */
  unsettled = new Set<Promise<unknown>>();
  /** The highest stored update id this process knows of (sent with each acknowledgement). */
  lastSeq = 0;
  /** Unloaded: what is still queued is not stored by this process (its clients send it again). */
  dead = false;
  constructor(
    readonly id: string,
    readonly workspaceId: string,
  ) {}
  destroy() {
    this.dead = true;
    for (const b of this.queue.splice(0)) b.reject(new Error('board unloaded before the update was stored'));
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.presence?.destroy();
    this.presence = null;
    this.doc.destroy();
    dropCheck(this);
  }
}

/** A y-protocols update message, as sent to browsers. */
export const syncUpdateMessage = (update: Uint8Array) => {
  const enc = encoding.createEncoder();
  syncProtocol.writeUpdate(enc, update);
  return toWire(encoding.toUint8Array(enc));
};

export interface LiveDeps {
  io: IO;
  db: Database;
  /** the pool behind `db`, for the prepared statement that stores updates */
  pool: Pick<pg.Pool, 'query'>;
  log: Logger;
  limits: Config['boards'];
  /** this process's id on the channel */
  origin: string;
  /** How long a board with nobody on it stays in memory (ms). */
  idleUnloadMs: number;
  /** fan-out latency is observed here */
  metrics: Pick<Metrics, 'fanout'>;
}

export type LiveBoards = ReturnType<typeof createLiveBoards>;

export function createLiveBoards(deps: LiveDeps) {
  const { io, db, log, limits, origin } = deps;
  const boards = new Map<string, LiveBoard>();
  /** Releases of boards' live claims still being written (see unload and open). */
  const unregistering = new Map<string, Promise<unknown>>();
  let closed = false;

  // Claims to hold boards live are renewed while held (they expire, so a dead process stops counting).
  const renewTimer = setInterval(() => {
    void registerLiveBoards(db, origin, [...boards.keys()])
      .then(() => pruneLiveBoards(db))
      .catch((err) => log.warn('renewing live boards failed', { err }));
  }, (BOARD_LIVE_TTL_SECONDS * 1000) / 4);
  renewTimer.unref();

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
          created.doc.destroy();
          created.doc = doc;
        }
        leanDoc(created.doc);
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
   * An accepted update (checked by the caller, and applied to the replica by `tryOnReplica`): applied
   * to the live document and sent to this process's other sockets on the board at once. Throws
   * when it does not apply (nothing was sent or stored then). Returns the wait for its commit.
   * `receivedAt` (performance.now() when the message arrived) times the fan-out for the metrics.
   */
  function accept(live: LiveBoard, update: Uint8Array, userId: string, socketId: string, receivedAt = performance.now()): Promise<number | null> {
    try {
      Y.applyUpdate(live.doc, update, socketId);
    } catch (err) {
      dropCheck(live);
      throw err;
    }
    live.bytes += update.byteLength;
    fanOut(live, update, socketId, receivedAt);
    return store(live, update, userId, socketId);
  }

  /** Boards with updates in their outbox, sent once this event-loop turn's I/O is handled. */
  const outgoing = new Set<LiveBoard>();

  /**
   * Sends an accepted update to the board's other sockets here. Updates accepted in the same
   * event-loop turn (several clients' messages read in one go, as happens under load) go out
   * together as one merged message (setImmediate: after this turn's I/O callbacks, before the next
   * turn's, so before the commit that follows can be heard of). Fewer, larger messages keep the cost
   * of sending from growing with the load. When one socket wrote them all, it is left out; when
   * several did, each gets the merged message, its own updates included (applying an update twice
   * changes nothing, and the one message costs less than a merge per author).
   */
  function fanOut(live: LiveBoard, update: Uint8Array, socketId: string, receivedAt: number) {
    live.outbox.push({ update, socketId, receivedAt });
    if (outgoing.size === 0) setImmediate(flushOutgoing);
    outgoing.add(live);
  }

  function flushOutgoing() {
    const boardsToSend = [...outgoing];
    outgoing.clear();
    for (const live of boardsToSend) {
      const out = live.outbox.splice(0);
      if (out.length === 0 || live.dead) continue;
      const first = out[0]!.socketId;
      const oneAuthor = out.every((o) => o.socketId === first);
      const update = out.length === 1 ? out[0]!.update : Y.mergeUpdates(out.map((o) => o.update));
      const room = io.local.to(rooms.boardReaders(live.id));
      (oneAuthor ? room.except(first) : room).emit('board:sync', live.id, syncUpdateMessage(update));
      const sentAt = performance.now();
      for (const o of out) deps.metrics.fanout('local', (sentAt - o.receivedAt) / 1000);
    }
  }

  /** Boards with updates waiting to be stored, longest waiting first: each statement takes from them in turn. */
  const waiting = new Set<LiveBoard>();
  /** Store statements running now (at most MAX_STATEMENTS_IN_FLIGHT, for all boards together). */
  let flushing = 0;
  /** Wakes the flushes when the first board whose write failed may be tried again. */
  let retryTimer: NodeJS.Timeout | null = null;
  let retryTimerAt = Infinity;

  const unloadedError = () => new Error('board unloaded before the update was stored');

  /**
   * Queues an accepted update to be stored with whatever else is waiting, for this board and every
   * other (group commit). Resolves with the highest stored id once committed, or null when the
   * write's role check refused it; rejects when the board is unloaded before it could be stored
   * (the clients still hold it and send it again). Every update queued here settles one way or the
   * other: `storedSoFar` and unloading wait for that.
   */
  function store(live: LiveBoard, update: Uint8Array, userId: string, socketId: string): Promise<number | null> {
    // Unloaded meanwhile (between the socket's lookup and here): nothing would store it.
    if (live.dead) return Promise.reject(unloadedError());
    const p = new Promise<number | null>((resolve, reject) => live.queue.push({ update, userId, socketId, resolve, reject }));
    live.unstoredBytes += update.byteLength;
    live.unsettled.add(p);
    const settle = () => {
      live.unsettled.delete(p);
      live.unstoredBytes -= update.byteLength;
    };
    p.then(settle, settle);
    waiting.add(live);
    startFlushes();
    return p;
  }

  /** Starts store statements for what is waiting, up to MAX_STATEMENTS_IN_FLIGHT. */
  function startFlushes() {
    while (flushing < MAX_STATEMENTS_IN_FLIGHT) {
      const batch = takeBatch();
      if (batch.length === 0) return;
      void flush(batch);
    }
  }

  /** The highest stored id once every update accepted so far for this board is stored. */
  async function storedSoFar(live: LiveBoard): Promise<number> {
    await Promise.all([...live.unsettled]);
    return live.lastSeq;
  }

  /**
   * Takes up to STATEMENT_ROWS waiting updates (and about STATEMENT_BYTES), board after board, the
   * longest waiting first; a board left with more goes to the back. A board whose last write
   * failed waits out its pause and is then written alone (so a board whose rows the database
   * refuses holds up no other board). A board unloaded while its updates waited has them
   * rejected here (destroy rejects what is queued at that moment; this catches any queued after),
   * so none is left unsettled.
   */
  function takeBatch(): { live: LiveBoard; items: Pending[] }[] {
    const batch: { live: LiveBoard; items: Pending[] }[] = [];
    let rows = 0;
    let bytes = 0;
    let wakeAt = Infinity;
    const now = Date.now();
    for (const live of [...waiting]) {
      if (rows >= STATEMENT_ROWS || bytes >= STATEMENT_BYTES) break;
      if (live.dead) {
        for (const b of live.queue.splice(0)) b.reject(unloadedError());
        waiting.delete(live);
        continue;
      }
      if (live.retryMs > 0) {
        if (live.retryAt > now) {
          wakeAt = Math.min(wakeAt, live.retryAt);
          continue;
        }
        if (batch.length > 0) continue;
      }
      let n = 0;
      while (n < live.queue.length && rows < STATEMENT_ROWS && (rows === 0 || bytes + live.queue[n]!.update.byteLength <= STATEMENT_BYTES)) {
        bytes += live.queue[n]!.update.byteLength;
        rows++;
        n++;
      }
      if (n > 0) batch.push({ live, items: live.queue.splice(0, n) });
      waiting.delete(live);
      if (live.queue.length > 0) waiting.add(live);
      if (live.retryMs > 0) break;
    }
    if (wakeAt < retryTimerAt) {
      if (retryTimer) clearTimeout(retryTimer);
      retryTimerAt = wakeAt;
      retryTimer = setTimeout(() => {
        retryTimer = null;
        retryTimerAt = Infinity;
        startFlushes();
      }, wakeAt - now);
      retryTimer.unref();
    }
    return batch;
  }

  /** One store statement for a batch taken from the waiting boards (then, from `finally`, the next). */
  async function flush(batch: { live: LiveBoard; items: Pending[] }[]) {
    flushing++;
    try {
      let stored: Map<string, StoredForBoard>;
      try {
        stored = await appendUpdates(
          deps.pool,
          batch.flatMap(({ live, items }) => items.map((b) => ({ boardId: live.id, update: b.update, userId: b.userId }))),
          origin,
        );
      } catch (err) {
        // Not stored (the database is away, timed out, or refused a row): the updates stay accepted,
        // in memory and with the clients, which are not told "saved"; each board is tried again
        // alone after a pause (250 ms doubling to 5 s), first in its queue. A board unloaded
        // meanwhile has them rejected (its clients send them again).
        const at = Date.now();
        for (const { live, items } of batch) {
          if (live.dead) {
            for (const b of items) b.reject(unloadedError());
            continue;
          }
          live.queue.unshift(...items);
          live.retryMs = Math.min(Math.max(live.retryMs * 2, 250), 5_000);
          live.retryAt = at + live.retryMs;
          waiting.add(live);
        }
        log.warn('storing board updates failed; trying again', { boardIds: batch.map((b) => b.live.id).slice(0, 10), boards: batch.length, updates: batch.reduce((n, b) => n + b.items.length, 0), retryInMs: batch[0]!.live.retryMs, err });
        return;
      }
      for (const { live, items } of batch) {
        live.retryMs = 0;
        const mine = stored.get(live.id.toLowerCase());
        if (mine) live.lastSeq = Math.max(live.lastSeq, mine.seq);
        for (const b of items) {
          const ok = mine?.users.has(b.userId) ?? false;
          if (ok) live.pending++;
          b.resolve(ok ? live.lastSeq : null);
        }
        if (!live.dead) maybeCompact(live);
      }
    } finally {
      flushing--;
      startFlushes();
    }
  }

  /** A stored update announced by another process: applied here and sent to this process's sockets. */
  async function applyRemote(msg: Extract<BoardBusMessage, { k: 'u' }>) {
    if (msg.o === origin) return;
    const receivedAt = performance.now();
    const live = boards.get(msg.b);
    if (!live) return;
    const update = msg.u !== null ? new Uint8Array(Buffer.from(msg.u, 'base64')) : await readBoardUpdate(db, msg.i);
    if (!update) return;
    await live.ready;
    applyLive(live, update, 'remote');
    live.lastSeq = Math.max(live.lastSeq, msg.i);
    live.bytes += update.byteLength;
    live.pending++;
    io.local.to(rooms.boardReaders(live.id)).emit('board:sync', live.id, syncUpdateMessage(update));
    deps.metrics.fanout('remote', (performance.now() - receivedAt) / 1000);
    maybeCompact(live);
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
    if (diff.byteLength > 2) io.local.to(rooms.boardReaders(live.id)).emit('board:sync', live.id, syncUpdateMessage(diff));
  }

  /** After a lost channel connection: anything announced meanwhile is read back from the table. */
  async function resyncAll() {
    for (const live of boards.values()) await resync(live);
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

  /** Nobody is on the board here: unloaded after a while, once everything accepted is stored. */
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
    }, deps.idleUnloadMs);
    live.idleTimer.unref();
  }

  return {
    boards,
    get closed() {
      return closed;
    },
    open,
    accept,
    storedSoFar,
    applyRemote,
    resyncAll,
    unload,
    scheduleIdle,
    /** Stores what was accepted (for a few seconds at most), compacts, unloads everything and releases the claims. */
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(renewTimer);
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
