/**
 * Board sync under load: N clients on one board, each sending small updates; p50/p99 time from one
 * client's update to every other client having applied it, and updates/s sustained. Beside it, in
 * the same run, @hocuspocus/server (the reference Yjs server, no persistence) on the same load and
 * the same Yjs client work. Ours stores every update in Postgres before sending it on. Then memory
 * per idle board in each. Prints figures and ratios. Run: `npx tsx bench/boards.ts` (not in npm test).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { performance } from 'node:perf_hooks';
import { Server as Hocuspocus } from '@hocuspocus/server';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import { BoardClient } from '../app/lib/board-client.js';
import { freePort, startEmbeddedPostgres } from '../db/embedded.js';
import { editBoardFromServer } from '../server/services/boards.js';
import { putItem } from '../server/shared/board.js';
import { connectSocket, signUp, startTestServer, trpcClient, type TestSocket } from '../server/testing/harness.js';
import { ms, summarize, table } from './lib.js';

const N = Number(process.env.BENCH_CLIENTS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RATES = (process.env.BENCH_RATES ?? '50,200').split(',').map(Number); // total updates/s across all clients
const IDLE_BOARDS = Number(process.env.BENCH_IDLE_BOARDS ?? 200);

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

interface Peer {
  doc: Y.Doc;
  send(fn: () => void): void;
  close(): void;
}

/** Drives `peers` at `rate` updates/s in total for SECONDS; returns fan-out latencies and throughput. */
async function drive(peers: Peer[], rate: number, seconds = SECONDS) {
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  let expected = 0;
  let received = 0;
  const observers: (() => void)[] = [];
  peers.forEach((p, i) => {
    const m = p.doc.getMap('bench');
    const observer = (e: Y.YMapEvent<unknown>) => {
      if (e.transaction.local) return;
      const now = performance.now();
      for (const key of e.keysChanged) {
        const t = sent.get(`${key}:${m.get(key)}`);
        if (t !== undefined) {
          latencies.push(now - t);
          received++;
        }
      }
    };
    m.observe(observer);
    observers.push(() => m.unobserve(observer));
    void i;
  });
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const start = performance.now();
  for (let k = 0; k < total; k++) {
    const target = start + k * interval;
    const wait = target - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const i = k % peers.length;
    const seq = Math.floor(k / peers.length);
    sent.set(`c${i}:${seq}:${seconds}`, performance.now()); // the map value is `${seq}:${seconds}`
    expected += peers.length - 1;
    peers[i]!.send(() => peers[i]!.doc.getMap('bench').set(`c${i}`, `${seq}:${seconds}`));
  }
  const deadline = performance.now() + 20_000;
  while (received < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const elapsed = (performance.now() - start) / 1000;
  observers.forEach((off) => off());
  return { ...summarize(latencies), delivered: received, expected, updatesPerSecond: total / elapsed };
}

// ---- ours: the product server, Socket.io, Postgres persistence ----
async function ours(adminUrl: string) {
  const server = await startTestServer(adminUrl, { env: { BOARD_UPDATES_PER_SECOND: '1000', LOG_LEVEL: 'error' } });
  const user = await signUp(server, 'Bench');
  const me = await trpcClient(server, user).me.get.query();
  const ws = me!.workspaces[0]!.id;
  const results: Awaited<ReturnType<typeof drive>>[] = [];
  for (const rate of RATES) {
    const boardId = (await trpcClient(server, user).board.create.mutate({ workspaceId: ws, name: `bench ${rate}` })).id;
    const sockets: TestSocket[] = [];
    const peers: Peer[] = [];
    for (let i = 0; i < N; i++) {
      const socket = await connectSocket(server, user);
      const c = new BoardClient(socket as never, boardId);
      await c.start();
      await c.synced();
      sockets.push(socket);
      peers.push({ doc: c.doc, send: (fn) => c.doc.transact(fn), close: () => (c.destroy(), socket.close()) });
    }
    await drive(peers, rate, 1); // warm-up (connections, JIT), not counted
    results.push(await drive(peers, rate));
    peers.forEach((p) => p.close());
  }
  // Memory per idle board: boards with a few items, loaded and held live, nobody connected.
  const ids: string[] = [];
  for (let i = 0; i < IDLE_BOARDS; i++) {
    const id = (await trpcClient(server, user).board.create.mutate({ workspaceId: ws, name: `idle ${i}` })).id;
    await editBoardFromServer(server.deps.db, id, (doc) => {
      for (let k = 0; k < 5; k++) putItem(doc, { id: `n${k}`, type: 'note', x: k * 10, y: 0, w: 200, h: 150, z: k, text: `note ${k}` });
    });
    ids.push(id);
  }
  const memory = await perBoard(async () => {
    for (const id of ids) await server.boardSync.open(id, ws);
  });
  await server.stop();
  return { results, memory };
}

// ---- Hocuspocus: its wire protocol (document name + message type + y-protocols sync) over ws ----
function hpMessage(doc: string, type: number, body: (e: encoding.Encoder) => void) {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, doc);
  encoding.writeVarUint(e, type);
  body(e);
  return encoding.toUint8Array(e);
}

async function hpPeer(url: string, name: string): Promise<Peer> {
  const doc = new Y.Doc();
  const socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  let synced!: () => void;
  const ready = new Promise<void>((r) => (synced = r));
  socket.on('message', (data: ArrayBuffer) => {
    const d = decoding.createDecoder(new Uint8Array(data));
    decoding.readVarString(d);
    const type = decoding.readVarUint(d);
    if (type !== 0 && type !== 4) return; // Sync / SyncReply
    const enc = encoding.createEncoder();
    const t = syncProtocol.readSyncMessage(d, enc, doc, 'remote');
    if (encoding.length(enc) > 0) socket.send(hpMessage(name, 0, (e) => encoding.writeUint8Array(e, encoding.toUint8Array(enc))));
    if (t === syncProtocol.messageYjsSyncStep2) synced();
  });
  doc.on('update', (u: Uint8Array, origin: unknown) => {
    if (origin === 'remote') return;
    socket.send(hpMessage(name, 0, (e) => syncProtocol.writeUpdate(e, u)));
  });
  await new Promise((r) => socket.once('open', r));
  socket.send(hpMessage(name, 2, (e) => {
    encoding.writeVarUint(e, 0);
    encoding.writeVarString(e, 'token');
  }));
  socket.send(hpMessage(name, 0, (e) => syncProtocol.writeSyncStep1(e, doc)));
  await ready;
  return { doc, send: (fn) => doc.transact(fn), close: () => socket.close() };
}

async function hocuspocus() {
  const port = await freePort();
  const server = new Hocuspocus({ port, quiet: true, stopOnSignals: false });
  await server.listen();
  const url = `ws://127.0.0.1:${port}`;
  const results: Awaited<ReturnType<typeof drive>>[] = [];
  for (const rate of RATES) {
    const peers: Peer[] = [];
    for (let i = 0; i < N; i++) peers.push(await hpPeer(url, `bench-${rate}`));
    await drive(peers, rate, 1); // warm-up (connections, JIT), not counted
    results.push(await drive(peers, rate));
    peers.forEach((p) => p.close());
  }
  const seed = new Y.Doc();
  seed.transact(() => {
    for (let k = 0; k < 5; k++) putItem(seed, { id: `n${k}`, type: 'note', x: k * 10, y: 0, w: 200, h: 150, z: k, text: `note ${k}` });
  });
  const state = Y.encodeStateAsUpdate(seed);
  const held: { disconnect(): Promise<void> }[] = [];
  const memory = await perBoard(async () => {
    for (let i = 0; i < IDLE_BOARDS; i++) {
      if (i === 0) console.error('  idle boards…');
      const conn = await server.hocuspocus.openDirectConnection(`idle-${i}`);
      Y.applyUpdate(conn.document!, state);
      held.push(conn); // keeps the document loaded, as a connected-then-idle board
    }
  });
  await Promise.all(held.map((c) => c.disconnect()));
  await Promise.race([server.destroy(), new Promise((r) => setTimeout(r, 3000))]);
  return { results, memory };
}

async function perBoard(load: () => Promise<void>): Promise<number> {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  await load();
  gc();
  gc();
  return (process.memoryUsage().heapUsed - before) / IDLE_BOARDS;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-bench-boards-'));
fs.chmodSync(dir, 0o755);
const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), database: 'postgres', persistent: false });
try {
  console.error('measuring Hocuspocus…');
  const hp = await hocuspocus();
  console.error('measuring ours…');
  const us = await ours(pg.url);
  console.log(`\nBoard sync: ${N} clients on one board, ${SECONDS} s per rate; fan-out = one client's update → applied by every other client`);
  console.log('ours: Socket.io + Postgres append (role re-checked) before fan-out; Hocuspocus: no persistence\n');
  const rows: (string | number)[][] = [['total rate', 'metric', 'ours', 'hocuspocus', 'ratio (ours / hp)']];
  RATES.forEach((rate, i) => {
    const a = us.results[i]!;
    const b = hp.results[i]!;
    rows.push([`${rate}/s`, 'fan-out p50', ms(a.p50), ms(b.p50), (a.p50 / b.p50).toFixed(2)]);
    rows.push([`${rate}/s`, 'fan-out p99', ms(a.p99), ms(b.p99), (a.p99 / b.p99).toFixed(2)]);
    rows.push([`${rate}/s`, 'updates/s sustained', a.updatesPerSecond.toFixed(0), b.updatesPerSecond.toFixed(0), (a.updatesPerSecond / b.updatesPerSecond).toFixed(2)]);
    rows.push([`${rate}/s`, 'deliveries', `${a.delivered}/${a.expected}`, `${b.delivered}/${b.expected}`, '']);
  });
  rows.push(['idle', 'memory per idle board', `${(us.memory / 1024).toFixed(1)} KiB`, `${(hp.memory / 1024).toFixed(1)} KiB`, (us.memory / hp.memory).toFixed(2)]);
  table(rows);
  const worst = Math.max(...RATES.map((_, i) => us.results[i]!.p99 / hp.results[i]!.p99));
  console.log(`\ngoal: p99 fan-out ≤ 1.0× Hocuspocus → ${worst <= 1 ? 'PASS' : 'FAIL'} (worst ratio ${worst.toFixed(2)})`);
} catch (err) {
  console.error('benchmark failed:', err);
} finally {
  await pg.stop().catch(() => {});
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
