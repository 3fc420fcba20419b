import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { itemsOf, LOCAL_ORIGIN, putItem, readItems, setFields } from '../../server/shared/board.js';
import { toWire } from '../../server/shared/board-wire.js';
import { BoardClient } from './board-client.js';

const BOARD = '00000000-0000-4000-8000-000000000001';

/** A socket that answers the join and records what the client sends (no server: the messages themselves are checked). */
function fakeSocket() {
  const handlers = new Map<string, ((...args: unknown[]) => void)[]>();
  const sent: Uint8Array[] = [];
  const socket = {
    connected: true,
    on(event: string, fn: (...args: unknown[]) => void) {
      handlers.set(event, [...(handlers.get(event) ?? []), fn]);
    },
    off(event: string, fn: (...args: unknown[]) => void) {
      handlers.set(event, (handlers.get(event) ?? []).filter((f) => f !== fn));
    },
    emit(event: string, ...args: unknown[]) {
      const ack = args.at(-1) as (r: unknown) => void;
      if (event === 'board:join') ack({ ok: true, role: 'editor', readOnly: false, name: 'B', workspaceId: 'w', maxUpdateBytes: 1 << 20, maxSyncBytes: 1 << 22 });
      if (event === 'board:sync') {
        sent.push(args[1] as Uint8Array);
        ack({ ok: true });
      }
    },
    /** The server sends a sync message. */
    deliver(message: Uint8Array) {
      for (const fn of handlers.get('board:sync') ?? []) fn(BOARD, toWire(message));
    },
  };
  return { socket, sent };
}

/** The updates among the sent sync messages (step 2 or update), applied to `doc`. */
function applySent(doc: Y.Doc, sent: Uint8Array[]) {
  for (const m of sent) {
    const d = decoding.createDecoder(m);
    const type = decoding.readVarUint(d);
    if (type === syncProtocol.messageYjsSyncStep1) continue;
    Y.applyUpdate(doc, decoding.readVarUint8Array(d));
  }
}

function step2(update: Uint8Array) {
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, syncProtocol.messageYjsSyncStep2);
  encoding.writeVarUint8Array(enc, update);
  return encoding.toUint8Array(enc);
}

describe('BoardClient', () => {
  it('applies the board from the server without sending it back, and still sends local edits', async () => {
    const server = new Y.Doc();
    server.transact(() => {
      for (let i = 0; i < 50; i++) putItem(server, { id: `n${i}`, type: 'note', x: i * 10, y: 0, w: 100, h: 80, z: i + 1, text: `Note ${i}` });
    });
    const { socket, sent } = fakeSocket();
    const client = new BoardClient(socket as never, BOARD);
    await client.start();
    sent.length = 0; // the state vector sent after joining
    socket.deliver(step2(Y.encodeStateAsUpdate(server)));
    expect(readItems(client.doc)).toHaveLength(50);
    expect(client.state.status).toBe('synced');
    expect(sent).toHaveLength(0);
    expect(client.state.unsaved).toBe(0);

    client.doc.transact(() => setFields(client.doc, 'n3', { x: 999 }), LOCAL_ORIGIN);
    expect(sent).toHaveLength(1);
    applySent(server, sent);
    expect(readItems(server).find((i) => i.id === 'n3')?.x).toBe(999);
    client.destroy();
  });

  it('sends an edit made by an observer while the server’s update is being applied', async () => {
    const server = new Y.Doc();
    server.transact(() => void putItem(server, { id: 'a', type: 'note', x: 0, y: 0, w: 100, h: 80, z: 1, text: 'from the server' }));
    const { socket, sent } = fakeSocket();
    const client = new BoardClient(socket as never, BOARD);
    await client.start();
    sent.length = 0;
    // Something on the page answers a remote item with an edit of its own, inside the apply.
    itemsOf(client.doc).observe((e) => {
      if (e.keysChanged.has('a') && !itemsOf(client.doc).has('b')) client.doc.transact(() => void putItem(client.doc, { id: 'b', type: 'note', x: 200, y: 0, w: 100, h: 80, z: 2, text: 'answer' }), LOCAL_ORIGIN);
    });
    socket.deliver(step2(Y.encodeStateAsUpdate(server)));
    expect(readItems(client.doc).map((i) => i.id)).toEqual(['a', 'b']);
    expect(sent.length).toBeGreaterThan(0);
    applySent(server, sent);
    expect(readItems(server).map((i) => i.id)).toEqual(['a', 'b']);
    client.destroy();
  });
});
