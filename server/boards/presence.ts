/**
 * Presence on live boards (y-protocols awareness: who is here, cursors, selections), never stored.
 *
 * Every process holds the board's presence in its live `Awareness`: a socket's update is applied
 * there, sent to this process's other sockets at once, and relayed to other processes over the
 * channel, coalesced per board (RELAY_MS, one NOTIFY for every client that changed). A joiner gets
 * everyone's presence from its own process, so a join costs one message to each peer. The server
 * states who each state belongs to (user id and name), and a client id belongs to the user who
 * first used it here: nobody can appear as someone else, or move or remove someone else's cursor.
 *
 * A board's presence (`BoardPresence`) is made when someone first sends theirs, and dropped once
 * nobody has any there and nothing changed for a timeout: a board that is only loaded, or read by
 * people who send no presence, holds none. One timer per process (`sweep`, every few seconds) times
 * out the states of clients that stopped renewing theirs (as y-protocols does per Awareness with an
 * interval each) and drops presence nobody uses.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import type { Socket } from 'socket.io';
import type { Database } from '../../db/index.js';
import type { Logger } from '../log.js';
import type { IO } from '../realtime/index.js';
import { fromWire, toWire } from '../shared/board-wire.js';
import { rooms, type ClientToServerEvents, type ServerToClientEvents } from '../shared/realtime.js';
import { publishToOthers, type BoardBusMessage } from './bus.js';
import type { LiveBoard } from './live.js';
import { BoardPresence, PRESENCE_TIMEOUT_MS } from './presence-state.js';

type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

export const MAX_AWARENESS_BYTES = 4096;
/** Presence changes are relayed to other processes at most this often per board (one NOTIFY for all of them). */
const RELAY_MS = 40;
/** NOTIFY payloads are capped at 8000 bytes: a relay larger than this is split by client. */
const RELAY_BYTES = 5000;

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
function isNews(awareness: awarenessProtocol.Awareness | undefined, e: AwarenessEntry): boolean {
  const current = awareness?.meta.get(e.client)?.clock ?? 0;
  return current < e.clock || (current === e.clock && e.state === 'null' && !!awareness?.states.has(e.client));
}

export function createPresence(deps: {
  io: IO;
  db: Database;
  log: Logger;
  origin: string;
  boards: Map<string, LiveBoard>;
  isClosed: () => boolean;
  /** a client silent for this long is gone (default PRESENCE_TIMEOUT_MS; tests shorten it) */
  timeoutMs?: number;
}) {
  const { io, db, log, origin, boards } = deps;
  const timeoutMs = deps.timeoutMs ?? PRESENCE_TIMEOUT_MS;

  /** Presence changed here: tell other processes soon, in one message for every client that changed. */
  function relay(live: LiveBoard, p: BoardPresence, clients: number[]) {
    for (const c of clients) p.relayClients.add(c);
    if (p.relayTimer || deps.isClosed()) return;
    p.relayTimer = setTimeout(() => {
      p.relayTimer = null;
      // Clients whose update was not applied (an older clock) have nothing to relay.
      const all = [...p.relayClients].filter((c) => p.awareness.meta.has(c));
      p.relayClients.clear();
      if (boards.get(live.id) !== live || live.presence !== p) return;
      const send = (ids: number[]) => {
        const update = awarenessProtocol.encodeAwarenessUpdate(p.awareness, ids);
        if (update.byteLength > RELAY_BYTES && ids.length > 1) {
          send(ids.slice(0, ids.length >> 1));
          send(ids.slice(ids.length >> 1));
          return;
        }
        void publishToOthers(db, live.id, origin, { k: 'a', b: live.id, o: origin, a: toWire(update) }).catch((err) => log.warn('presence relay failed', { boardId: live.id, err }));
      };
      if (all.length > 0) send(all);
    }, RELAY_MS);
    p.relayTimer.unref();
  }

  return {
    /** Everyone's presence on the board, from this process's copy, to a socket that just joined. */
    sendAll(socket: AppSocket, live: LiveBoard) {
      const p = live.presence;
      if (!p) return;
      const present = [...p.awareness.getStates().keys()];
      if (present.length > 0) socket.emit('board:awareness', live.id, toWire(awarenessProtocol.encodeAwarenessUpdate(p.awareness, present)));
    },

    /**
     * A socket's presence update: the server states whose it is; only news, and only for client ids
     * this user speaks for, is applied and passed on. Throws when it does not decode.
     */
    receive(socket: AppSocket, live: LiveBoard, who: { userId: string; name: string; readOnly: boolean; clients: Set<number> }, update: Uint8Array) {
      const checked = awarenessProtocol.modifyAwarenessUpdate(update, (s: Record<string, unknown> | null) =>
        s ? { ...s, user: { id: who.userId, name: who.name, color: typeof (s.user as { color?: unknown })?.color === 'string' ? String((s.user as { color: string }).color).slice(0, 32) : '#8b5cf6' }, readOnly: who.readOnly } : s,
      );
      const before = live.presence ?? undefined;
      const news = awarenessEntries(checked).filter((e) => (before?.owners.get(e.client)?.userId ?? who.userId) === who.userId && isNews(before?.awareness, e));
      if (news.length === 0) return;
      const p = (live.presence ??= new BoardPresence());
      const clients = news.map((e) => e.client);
      for (const c of clients) {
        who.clients.add(c);
        p.owners.set(c, { userId: who.userId, socketId: socket.id });
      }
      const forward = encodeAwarenessEntries(news);
      awarenessProtocol.applyAwarenessUpdate(p.awareness, forward, socket.id);
      p.changedAt = Date.now();
      io.local.to(rooms.boardPresence(live.id)).except(socket.id).emit('board:awareness', live.id, toWire(forward));
      relay(live, p, clients);
    },

    /** A socket left the board: the cursors it still speaks for (not those a reconnected tab took over) go. */
    leave(live: LiveBoard, socketId: string, clientsOfSocket: Set<number>) {
      const p = live.presence;
      if (!p) return;
      const clients = [...clientsOfSocket].filter((c) => p.owners.get(c)?.socketId === socketId);
      for (const c of clients) p.owners.delete(c);
      if (clients.length === 0) return;
      awarenessProtocol.removeAwarenessStates(p.awareness, clients.filter((c) => p.awareness.states.has(c)), 'leave');
      p.changedAt = Date.now();
      io.local.to(rooms.boardPresence(live.id)).emit('board:awareness', live.id, toWire(awarenessProtocol.encodeAwarenessUpdate(p.awareness, clients)));
      relay(live, p, clients);
    },

    /** Presence relayed by another process. */
    async applyRemote(msg: Extract<BoardBusMessage, { k: 'a' }>) {
      if (msg.o === origin) return;
      const live = boards.get(msg.b);
      if (!live) return;
      const update = fromWire(msg.a);
      if (!update) return;
      await live.ready;
      if (boards.get(msg.b) !== live) return;
      const p = (live.presence ??= new BoardPresence());
      awarenessProtocol.applyAwarenessUpdate(p.awareness, update, 'remote');
      p.changedAt = Date.now();
      io.local.to(rooms.boardPresence(live.id)).emit('board:awareness', live.id, msg.a);
    },

    /**
     * Run every few seconds for all boards (one timer per process): the states of clients silent for
     * the timeout go (each browser times them out too), and a board's presence is dropped once nobody
     * has any there, nobody speaks for a client id, nothing waits to be relayed and nothing changed
     * for the timeout (so a late message about a client that left cannot bring its cursor back).
     */
    sweep(now = Date.now()) {
      for (const live of boards.values()) {
        const p = live.presence;
        if (!p) continue;
        const { awareness } = p;
        const gone: number[] = [];
        awareness.meta.forEach((meta, client) => {
          if (now - meta.lastUpdated >= timeoutMs && awareness.states.has(client)) gone.push(client);
        });
        if (gone.length > 0) {
          awarenessProtocol.removeAwarenessStates(awareness, gone, 'timeout');
          p.changedAt = now;
        }
        if (awareness.states.size === 0 && p.owners.size === 0 && !p.relayTimer && now - p.changedAt >= timeoutMs) {
          p.destroy();
          live.presence = null;
        }
      }
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
