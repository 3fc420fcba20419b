/**
 * The clients of the board benchmark, in a process of their own so that the server under test has
 * its event loop to itself (as it would with browsers on other machines), and both servers are
 * measured by the same client code. Started by bench/boards.ts with one JSON argument; prints one
 * JSON line with the results and exits.
 *
 * - `ours`: socket.io-client + the product's BoardClient (the code the browser runs).
 * - `hocuspocus`: its wire protocol (document name + message type + y-protocols sync) over ws.
 *
 * Both apply every update they receive to a Y.Doc. Modes:
 * - `drive`: `perDoc` clients on each of `docs`, `rate` updates/s in total (round robin); fan-out
 *   latency = one client's update → applied by every other client on its document; for ours also
 *   update → acknowledged to its author (the server acknowledges after the commit).
 * - `cycles`: `parallel` clients each join a document, wait for its state, and leave, `cycles`
 *   times in all (documents taken in turn from `docs`).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { io as ioClient, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import { BoardClient } from '../app/lib/board-client.js';
import { summarize } from './lib.js';

export interface PeersInput {
  mode: 'drive' | 'cycles';
  system: 'ours' | 'hocuspocus';
  url: string;
  /** ours: session cookies of the bench users; client k on a document uses cookies[k % length] */
  cookies?: string[];
  origin?: string;
  /** ours: board ids; hocuspocus: document names */
  docs: string[];
  /** drive: clients on each document */
  perDoc: number;
  /** drive: updates/s in total, across all clients */
  rate: number;
  seconds: number;
  /** cycles: how many join → synced → leave cycles, and how many clients do them at once */
  cycles?: number;
  parallel?: number;
}

export interface DriveResult {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  delivered: number;
  expected: number;
  updatesPerSecond: number;
  /** ours: update → acknowledged to its author (after the commit), ms */
  ack: { n: number; p50: number; p99: number } | null;
  /** ours: refusals the clients received during the measured run, by code */
  refused: Record<string, number>;
  /** CPU time the clients' process spent during the measured run (ms) */
  clientCpuMs: number;
  /** the clients' process event-loop delay during the measured run, p99 (ms) */
  clientLoopP99: number;
}

export interface CyclesResult {
  cycles: number;
  seconds: number;
  failed: number;
}

interface Peer {
  doc: Y.Doc;
  /** ours: called just before a local update is made (its acknowledgement is timed) */
  beforeSend?: () => void;
  close(): void;
}

/** Acknowledgement latencies and refusals of the current drive (ours). */
let acks: number[] = [];
let refused: Record<string, number> = {};

/** Drives the peers at `rate` updates/s in total for `seconds`; fan-out latency = send → applied by each other peer of the same document. */
async function drive(peers: Peer[], perDoc: number, rate: number, seconds: number): Promise<Omit<DriveResult, 'clientCpuMs' | 'refused' | 'clientLoopP99'>> {
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  acks = [];
  refused = {};
  let expected = 0;
  let received = 0;
  const offs: (() => void)[] = [];
  for (const p of peers) {
    const m = p.doc.getMap('bench');
    const observer = (e: Y.YMapEvent<unknown>) => {
      if (e.transaction.local) return;
      const now = performance.now();
      for (const key of e.keysChanged) {
        const t = sent.get(key);
        if (t !== undefined) {
          latencies.push(now - t);
          received++;
        }
      }
    };
    m.observe(observer);
    offs.push(() => m.unobserve(observer));
  }
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const start = performance.now();
  for (let k = 0; k < total; k++) {
    const wait = start + k * interval - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // A key of its own for every update: updates sent together in one merged message (both servers
    // merge what arrives in the same turn) are each seen, none hides another.
    const i = k % peers.length;
    const key = `${seconds}.${k}`;
    sent.set(key, performance.now());
    expected += perDoc - 1;
    const peer = peers[i]!;
    peer.beforeSend?.();
    peer.doc.transact(() => peer.doc.getMap('bench').set(key, i));
  }
  const deadline = performance.now() + 30_000;
  while (received < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const elapsed = (performance.now() - start) / 1000;
  offs.forEach((off) => off());
  const a = acks.length > 0 ? summarize(acks) : null;
  return { ...summarize(latencies), delivered: received, expected, updatesPerSecond: total / elapsed, ack: a && { n: a.n, p50: a.p50, p99: a.p99 } };
}

function oursSocket(input: PeersInput, cookie: string): Promise<Socket> {
  const socket = ioClient(input.url, {
    path: '/socket.io',
    transports: ['websocket'],
    reconnection: false,
    extraHeaders: { cookie, origin: input.origin ?? input.url },
  });
  return new Promise<Socket>((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

async function oursJoin(socket: Socket, board: string): Promise<BoardClient> {
  const client = new BoardClient(socket as never, board);
  const joined = await client.start();
  if (!joined.ok) throw new Error(`join refused: ${joined.code}`);
  await client.synced();
  return client;
}

async function oursPeer(input: PeersInput, board: string, k: number): Promise<Peer> {
  const cookies = input.cookies ?? [''];
  const socket = await oursSocket(input, cookies[k % cookies.length]!);
  const client = await oursJoin(socket, board);
  // Sent in order, acknowledged in order: each acknowledgement settles the oldest unsaved send.
  const sends: number[] = [];
  client.onChange((s) => {
    const now = performance.now();
    while (sends.length > s.unsaved) acks.push(now - sends.shift()!);
  });
  client.onError((e) => void (refused[e.code] = (refused[e.code] ?? 0) + 1));
  return { doc: client.doc, beforeSend: () => sends.push(performance.now()), close: () => (client.destroy(), socket.close()) };
}

function hpMessage(doc: string, type: number, body: (e: encoding.Encoder) => void) {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, doc);
  encoding.writeVarUint(e, type);
  body(e);
  return encoding.toUint8Array(e);
}

async function hocuspocusPeer(input: PeersInput, name: string): Promise<Peer> {
  const doc = new Y.Doc();
  const socket = new WebSocket(input.url);
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
  await new Promise((r, reject) => {
    socket.once('open', r);
    socket.once('error', reject);
  });
  socket.send(
    hpMessage(name, 2, (e) => {
      encoding.writeVarUint(e, 0);
      encoding.writeVarString(e, 'token');
    }),
  );
  socket.send(hpMessage(name, 0, (e) => syncProtocol.writeSyncStep1(e, doc)));
  await ready;
  return {
    doc,
    close: () => {
      socket.close();
      doc.destroy();
    },
  };
}

/** Runs `fn` for 0..n-1, at most `parallel` at once. */
async function pool(n: number, parallel: number, fn: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

const input = JSON.parse(process.argv[2] ?? '{}') as PeersInput;

if (input.mode === 'cycles') {
  // Join → synced → leave, over and over. Ours: one socket per parallel client (as a tab that opens
  // one board after another); Hocuspocus: a connection per cycle (its client leaves a document by closing).
  const total = input.cycles ?? 1000;
  const parallel = input.parallel ?? 10;
  let failed = 0;
  let done = 0;
  const start = performance.now();
  const cookies = input.cookies ?? [''];
  await pool(parallel, parallel, async (w) => {
    const socket = input.system === 'ours' ? await oursSocket(input, cookies[w % cookies.length]!) : null;
    while (done < total) {
      const c = done++;
      const name = input.docs[c % input.docs.length]!;
      try {
        if (socket) {
          const client = await oursJoin(socket, name);
          client.destroy();
          client.doc.destroy();
        } else {
          (await hocuspocusPeer(input, name)).close();
        }
      } catch {
        failed++;
      }
    }
    socket?.close();
  });
  const result: CyclesResult = { cycles: total, seconds: (performance.now() - start) / 1000, failed };
  // Let the last leaves reach the server before the process ends.
  await new Promise((r) => setTimeout(r, 200));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

const connect = (i: number): Promise<Peer> => {
  const doc = input.docs[Math.floor(i / input.perDoc)]!;
  return input.system === 'ours' ? oursPeer(input, doc, i % input.perDoc) : hocuspocusPeer(input, doc);
};
const count = input.docs.length * input.perDoc;
const peers: Peer[] = new Array(count);
await pool(count, 25, async (i) => {
  peers[i] = await connect(i);
});
process.stdout.write('phase connected\n'); // every client connected and on its board (bench/boards.ts times connecting apart)
await drive(peers, input.perDoc, input.rate, 1); // warm-up (connections, JIT), not counted
process.stdout.write('phase measure\n'); // the server's meter starts here too (bench/boards.ts)
const cpu = process.cpuUsage();
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const measured = await drive(peers, input.perDoc, input.rate, input.seconds);
loop.disable();
const used = process.cpuUsage(cpu);
const result: DriveResult = { ...measured, refused, clientCpuMs: (used.user + used.system) / 1000, clientLoopP99: loop.percentile(99) / 1e6 };
peers.forEach((p) => p.close());
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
