/**
 * The browser side of a live board (also used by the tests and the benchmark with socket.io-client
 * in Node): keeps a Y.Doc and an Awareness in sync with the server over the shared Socket.io
 * connection, using y-protocols sync and awareness messages.
 *
 * Local edits are sent as they happen. The server sends them to everyone at once and acknowledges
 * them only once they are committed to Postgres, so until then the client keeps each one (`unsaved`):
 * after a reconnect, possibly to another server, the server's state vector arrives and the client
 * answers with everything that server lacks (sync step 1 → our step 2), and an edit the server
 * refused for a passing reason (it was busy or could not store) is sent again a moment later.
 * Yjs makes a change that arrives twice harmless. Only a refusal for good (read-only, invalid,
 * too large, full) drops an edit from the unsaved set.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import type { Socket } from 'socket.io-client';
import { fromWire } from '../../server/shared/board-wire.js';
import { ERROR_CODES } from '../../server/shared/errors.js';
import type { BoardAck, BoardJoinResult, ClientToServerEvents, ServerToClientEvents } from '../../server/shared/realtime.js';

type BoardSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Refusals that pass: the change is kept and sent again (RETRY_MS later). */
const TRANSIENT = new Set(['RATE_LIMITED', 'BOARD_SAVE_BEHIND', 'INTERNAL', 'OFFLINE']);
const RETRY_MS = 1_500;

export type BoardStatus = 'connecting' | 'synced' | 'offline' | 'closed';

export interface BoardClientState {
  status: BoardStatus;
  readOnly: boolean;
  /** read-only because the account is suspended (the page says so, with how to appeal) */
  suspended: boolean;
  role: 'owner' | 'admin' | 'editor' | 'viewer' | null;
  name: string | null;
  workspaceId: string | null;
  /** Local changes not yet confirmed as stored (kept, and sent again after a reconnect). */
  unsaved: number;
  /** The highest stored update id the server reported for this board. */
  savedSeq: number;
  /** The last refusal from the server (code and message), if any. */
  error: { code: string; message: string } | null;
}

export class BoardClient {
  readonly doc: Y.Doc;
  readonly awareness: awarenessProtocol.Awareness;
  state: BoardClientState = { status: 'connecting', readOnly: true, suspended: false, role: null, name: null, workspaceId: null, unsaved: 0, savedSeq: 0, error: null };
  private joined = false;
  /** Local changes not yet acknowledged as stored, by local number. */
  private pending = new Map<number, Uint8Array>();
  private localSeq = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** From the server's answer to the join: larger messages go in parts, up to maxSyncBytes. */
  private limits = { maxUpdateBytes: 32 * 1024, maxSyncBytes: 1024 * 1024 };
  private partSeq = 0;
  private listeners = new Set<(s: BoardClientState) => void>();
  private errorListeners = new Set<(e: { code: string; message: string }) => void>();
  private offs: (() => void)[] = [];
  private firstSync: { promise: Promise<void>; resolve: () => void };
  /** The listener that sends local changes (set while started). */
  private onDocUpdate: ((update: Uint8Array, origin: unknown) => void) | null = null;

  constructor(
    readonly socket: BoardSocket,
    readonly boardId: string,
    opts: { doc?: Y.Doc } = {},
  ) {
    this.doc = opts.doc ?? new Y.Doc();
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    let resolve!: () => void;
    this.firstSync = { promise: new Promise<void>((r) => (resolve = r)), resolve };
    this.firstSync.resolve = resolve;
  }

  /** Joins the board (and again after every reconnect). Resolves with the server's answer to the first join. */
  start(): Promise<BoardJoinResult> {
    const on = <E extends keyof ServerToClientEvents>(event: E, fn: ServerToClientEvents[E]) => {
      this.socket.on(event, fn as never);
      this.offs.push(() => this.socket.off(event, fn as never));
    };
    on('board:sync', (boardId, message) => {
      const bytes = boardId === this.boardId ? fromWire(message) : null;
      if (bytes) this.onSync(bytes);
    });
    on('board:awareness', (boardId, update) => {
      const bytes = boardId === this.boardId ? fromWire(update) : null;
      if (!bytes) return;
      try {
        awarenessProtocol.applyAwarenessUpdate(this.awareness, bytes, this);
      } catch {
        /* a malformed presence update is ignored */
      }
    });
    on('board:role', (e) => {
      if (e.boardId !== this.boardId) return;
      const promoted = this.state.readOnly && !e.readOnly;
      this.set({ role: e.role, readOnly: e.readOnly, suspended: Boolean(e.suspended), ...(promoted && this.state.error?.code === 'BOARD_READ_ONLY' ? { error: null } : {}) });
      if (promoted) this.resync();
    });
    on('board:error', (e) => {
      if (e.boardId !== this.boardId) return;
      const closed = e.code === 'BOARD_ACCESS_REVOKED' || e.code === 'NOT_FOUND' || e.code === 'SHARE_LINK_INVALID';
      if (closed) this.joined = false;
      this.set({ error: { code: e.code, message: e.message }, ...(e.code === 'BOARD_READ_ONLY' ? { readOnly: true } : {}), ...(closed ? { status: 'closed' as const } : {}) });
      for (const l of this.errorListeners) l(e);
    });
    const onConnect = () => void this.join();
    const onDisconnect = () => {
      this.joined = false;
      // Unsaved changes stay unsaved: they go to whichever server the socket reconnects to.
      if (this.state.status !== 'closed') this.set({ status: 'offline' });
    };
    this.socket.on('connect', onConnect);
    this.socket.on('disconnect', onDisconnect);
    this.offs.push(() => this.socket.off('connect', onConnect), () => this.socket.off('disconnect', onDisconnect));

    const onDocUpdate = (update: Uint8Array, origin: unknown) => {
      if (origin === this || this.state.readOnly || this.state.status === 'closed') return;
      const id = ++this.localSeq;
      this.pending.set(id, update);
      this.set({ unsaved: this.pending.size });
      // Offline, it is only kept: the answer to the server's state vector carries it after the reconnect.
      if (!this.joined || !this.socket.connected) return;
      const enc = encoding.createEncoder();
      syncProtocol.writeUpdate(enc, update);
      this.send(encoding.toUint8Array(enc), [id]);
    };
    this.doc.on('update', onDocUpdate);
    this.onDocUpdate = onDocUpdate;
    this.offs.push(() => {
      this.doc.off('update', onDocUpdate);
      this.onDocUpdate = null;
    });

    const onAwareness = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      if (origin !== 'local') return;
      this.sendAwareness([...added, ...updated, ...removed]);
    };
    this.awareness.on('update', onAwareness);
    this.offs.push(() => this.awareness.off('update', onAwareness));

    return this.join();
  }

  /** Resolves once the first full state from the server has been applied. */
  synced(): Promise<void> {
    return this.firstSync.promise;
  }

  onChange(fn: (s: BoardClientState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onError(fn: (e: { code: string; message: string }) => void): () => void {
    this.errorListeners.add(fn);
    return () => this.errorListeners.delete(fn);
  }

  /** Sends a raw sync message (tests use it to send malformed or oversized ones). */
  sendRaw(message: Uint8Array): Promise<BoardAck> {
    return new Promise((resolve) => this.socket.emit('board:sync', this.boardId, message, resolve));
  }

  destroy() {
    if (this.joined && this.socket.connected) {
      awarenessProtocol.removeAwarenessStates(this.awareness, [this.doc.clientID], 'local');
      this.socket.emit('board:leave', this.boardId);
    }
    for (const off of this.offs.splice(0)) off();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.awareness.destroy();
    this.joined = false;
    this.listeners.clear();
  }

  private set(patch: Partial<BoardClientState>) {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l(this.state);
  }

  /** Sends our state vector: the server answers with what we lack, and we answer its with what it lacks. */
  private resync() {
    const enc = encoding.createEncoder();
    syncProtocol.writeSyncStep1(enc, this.doc);
    this.send(encoding.toUint8Array(enc));
  }

  private join(): Promise<BoardJoinResult> {
    if (!this.socket.connected) return Promise.resolve({ ok: false, code: 'OFFLINE', message: 'Not connected.' });
    return new Promise((resolve) => {
      this.socket.emit('board:join', this.boardId, (r) => {
        if (!r.ok) {
          this.set({ status: 'closed', error: { code: r.code, message: r.message } });
          return resolve(r);
        }
        this.joined = true;
        this.limits = { maxUpdateBytes: r.maxUpdateBytes, maxSyncBytes: r.maxSyncBytes };
        this.set({ role: r.role, readOnly: r.readOnly, suspended: Boolean(r.suspended), name: r.name, workspaceId: r.workspaceId, error: null });
        this.resync();
        if (this.awareness.getLocalState() !== null) this.sendAwareness([this.doc.clientID]);
        resolve(r);
      });
    });
  }

  /** Sends a sync message; `covers`: the local changes it carries, settled by its answer. */
  private send(message: Uint8Array, covers: number[] = []) {
    const done = (ack: BoardAck) => {
      if (ack.ok) {
        for (const id of covers) this.pending.delete(id);
        this.set({ unsaved: this.pending.size, ...(ack.seq !== undefined && ack.seq > this.state.savedSeq ? { savedSeq: ack.seq } : {}), ...(covers.length > 0 && this.state.error && TRANSIENT.has(this.state.error.code) ? { error: null } : {}) });
        return;
      }
      if (TRANSIENT.has(ack.code)) {
        // Kept: sent again in a moment (and with the answer to the state vector after a reconnect).
        this.set({ error: { code: ack.code, message: ack.message } });
        this.scheduleRetry();
        return;
      }
      for (const id of covers) this.pending.delete(id);
      this.set({ unsaved: this.pending.size, error: { code: ack.code, message: ack.message } });
    };
    if (message.byteLength <= this.limits.maxUpdateBytes) this.socket.emit('board:sync', this.boardId, message, done);
    else void this.sendInParts(message).then(done);
  }

  /** Sends every unsaved change again, as one update, a little later (once connected and joined). */
  private scheduleRetry() {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.joined || !this.socket.connected || this.pending.size === 0) return;
      const ids = [...this.pending.keys()];
      const update = ids.length === 1 ? this.pending.get(ids[0]!)! : Y.mergeUpdates([...this.pending.values()]);
      const enc = encoding.createEncoder();
      syncProtocol.writeUpdate(enc, update);
      this.send(encoding.toUint8Array(enc), ids);
    }, RETRY_MS);
  }

  /** A message too large for one packet (many edits made offline): in order, each part acknowledged. */
  private async sendInParts(message: Uint8Array): Promise<BoardAck> {
    if (message.byteLength > this.limits.maxSyncBytes) return { ok: false, code: 'BOARD_UPDATE_TOO_LARGE', message: ERROR_CODES.BOARD_UPDATE_TOO_LARGE.message };
    const size = this.limits.maxUpdateBytes;
    const total = Math.ceil(message.byteLength / size);
    const id = `${this.doc.clientID}-${++this.partSeq}`;
    for (let index = 0; index < total; index++) {
      const bytes = message.subarray(index * size, (index + 1) * size);
      const ack = await new Promise<BoardAck>((resolve) => this.socket.emit('board:sync-part', this.boardId, { id, index, total }, bytes, resolve));
      if (!ack.ok || index === total - 1) return ack;
    }
    return { ok: true };
  }

  private sendAwareness(clients: number[]) {
    if (!this.joined || !this.socket.connected) return;
    this.socket.emit('board:awareness', this.boardId, awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients));
  }

  /**
   * Applies the server's update. Yjs encodes every transaction again for its 'update' listeners,
   * and ours ignores the server's own changes anyway: on opening a board of thousands of items that
   * encoding was a third of the time to apply them. So the listener is off meanwhile; a local change
   * made inside (an observer that edits) is still sent, encoded from the state before it.
   */
  private applyRemote(update: Uint8Array) {
    const send = this.onDocUpdate;
    if (!send) return void Y.applyUpdate(this.doc, update, this);
    const local: Y.Transaction[] = [];
    const onTransaction = (tr: Y.Transaction) => {
      if (tr.origin !== this) local.push(tr);
    };
    this.doc.off('update', send);
    this.doc.on('afterTransaction', onTransaction);
    try {
      Y.applyUpdate(this.doc, update, this);
    } finally {
      this.doc.off('afterTransaction', onTransaction);
      this.doc.on('update', send);
    }
    for (const tr of local) {
      const changed = tr.deleteSet.clients.size > 0 || [...tr.afterState].some(([client, clock]) => tr.beforeState.get(client) !== clock);
      if (!changed) continue;
      send(Y.encodeStateAsUpdate(this.doc, Y.encodeStateVector(tr.beforeState)), tr.origin);
    }
  }

  private onSync(message: Uint8Array) {
    const decoder = decoding.createDecoder(message);
    const type = decoding.readVarUint(decoder);
    if (type === syncProtocol.messageYjsSyncStep1) {
      // The server's state vector: answer with what it lacks (edits made while offline).
      const sv = decoding.readVarUint8Array(decoder);
      if (this.state.readOnly) return;
      // Carries every unsaved change this server lacks; once stored (or already there), all are saved.
      const covers = [...this.pending.keys()];
      const update = Y.encodeStateAsUpdate(this.doc, sv);
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, syncProtocol.messageYjsSyncStep2);
      encoding.writeVarUint8Array(enc, update);
      this.send(encoding.toUint8Array(enc), covers);
      return;
    }
    const update = decoding.readVarUint8Array(decoder);
    this.applyRemote(update);
    if (type === syncProtocol.messageYjsSyncStep2) {
      if (this.state.status !== 'synced') this.set({ status: 'synced' });
      this.firstSync.resolve();
    }
  }
}
