/**
 * Presence on live boards (y-protocols awareness: who is here, cursors, selections), never stored.
 *
 * Every process holds the board's presence in its live `Awareness`: a socket's update is applied
 * there, sent to this process's other sockets at once, and relayed to other processes over the
 * channel, coalesced per board (RELAY_MS, one NOTIFY for every client that changed). A joiner gets
 * everyone's presence from its own process, so a join costs one message to each peer. The server
 * states who each state belongs to (user id and name), and a client id belongs to the user who
 * first used it here: nobody can appear as someone else, or move or remove someone else's cursor.
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
function isNews(awareness: awarenessProtocol.Awareness, e: AwarenessEntry): boolean {
  const current = awareness.meta.get(e.client)?.clock ?? 0;
  return current < e.clock || (current === e.clock && e.state === 'null' && awareness.states.has(e.client));
}

export function createPresence(deps: { io: IO; db: Database; log: Logger; origin: string; boards: Map<string, LiveBoard>; isClosed: () => boolean }) {
  const { io, db, log, origin, boards } = deps;

  /** Presence changed here: tell other processes soon, in one message for every client that changed. */
  function relay(live: LiveBoard, clients: number[]) {
    for (const c of clients) live.relayClients.add(c);
    if (live.relayTimer || deps.isClosed()) return;
    live.relayTimer = setTimeout(() => {
      live.relayTimer = null;
      // Clients whose update was not applied (an older clock) have nothing to relay.
      const all = [...live.relayClients].filter((c) => live.awareness.meta.has(c));
      live.relayClients.clear();
      if (boards.get(live.id) !== live) return;
      const send = (ids: number[]) => {
        const update = awarenessProtocol.encodeAwarenessUpdate(live.awareness, ids);
        if (update.byteLength > RELAY_BYTES && ids.length > 1) {
          send(ids.slice(0, ids.length >> 1));
          send(ids.slice(ids.length >> 1));
          return;
        }
        void publishToOthers(db, live.id, origin, { k: 'a', b: live.id, o: origin, a: toWire(update) }).catch((err) => log.warn('presence relay failed', { boardId: live.id, err }));
      };
      if (all.length > 0) send(all);
    }, RELAY_MS);
    live.relayTimer.unref();
  }

  return {
    /** Everyone's presence on the board, from this process's copy, to a socket that just joined. */
    sendAll(socket: AppSocket, live: LiveBoard) {
      const present = [...live.awareness.getStates().keys()];
      if (present.length > 0) socket.emit('board:awareness', live.id, toWire(awarenessProtocol.encodeAwarenessUpdate(live.awareness, present)));
    },

    /**
     * A socket's presence update: the server states whose it is; only news, and only for client ids
     * this user speaks for, is applied and passed on. Throws when it does not decode.
     */
    receive(socket: AppSocket, live: LiveBoard, who: { userId: string; name: string; readOnly: boolean; clients: Set<number> }, update: Uint8Array) {
      const checked = awarenessProtocol.modifyAwarenessUpdate(update, (s: Record<string, unknown> | null) =>
        s ? { ...s, user: { id: who.userId, name: who.name, color: typeof (s.user as { color?: unknown })?.color === 'string' ? String((s.user as { color: string }).color).slice(0, 32) : '#8b5cf6' }, readOnly: who.readOnly } : s,
      );
      const news = awarenessEntries(checked).filter((e) => (live.awarenessOwners.get(e.client)?.userId ?? who.userId) === who.userId && isNews(live.awareness, e));
      if (news.length === 0) return;
      const clients = news.map((e) => e.client);
      for (const c of clients) {
        who.clients.add(c);
        live.awarenessOwners.set(c, { userId: who.userId, socketId: socket.id });
      }
      const forward = encodeAwarenessEntries(news);
      awarenessProtocol.applyAwarenessUpdate(live.awareness, forward, socket.id);
      io.local.to(rooms.boardPresence(live.id)).except(socket.id).emit('board:awareness', live.id, toWire(forward));
      relay(live, clients);
    },

    /** A socket left the board: the cursors it still speaks for (not those a reconnected tab took over) go. */
    leave(live: LiveBoard, socketId: string, clientsOfSocket: Set<number>) {
      const clients = [...clientsOfSocket].filter((c) => live.awarenessOwners.get(c)?.socketId === socketId);
      for (const c of clients) live.awarenessOwners.delete(c);
      if (clients.length === 0) return;
      awarenessProtocol.removeAwarenessStates(live.awareness, clients.filter((c) => live.awareness.states.has(c)), 'leave');
      io.local.to(rooms.boardPresence(live.id)).emit('board:awareness', live.id, toWire(awarenessProtocol.encodeAwarenessUpdate(live.awareness, clients)));
      relay(live, clients);
    },

    /** Presence relayed by another process. */
    async applyRemote(msg: Extract<BoardBusMessage, { k: 'a' }>) {
      if (msg.o === origin) return;
      const live = boards.get(msg.b);
      if (!live) return;
      const update = fromWire(msg.a);
      if (!update) return;
      await live.ready;
      awarenessProtocol.applyAwarenessUpdate(live.awareness, update, 'remote');
      io.local.to(rooms.boardPresence(live.id)).emit('board:awareness', live.id, msg.a);
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
