/**
 * The clients of the board benchmark, in a process of their own so that the server under test has
 * its event loop to itself (as it would with browsers on other machines), and both servers are
 * measured by the same client code. Started by bench/boards.ts with one JSON argument; prints one
 * JSON line with the results and exits.
 *
 * - `ours`: socket.io-client + the product's BoardClient (the code the browser runs).
 * - `hocuspocus`: its wire protocol (document name + message type + y-protocols sync) over ws.
 */
import { performance } from 'node:perf_hooks';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { io as ioClient } from 'socket.io-client';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import { BoardClient } from '../app/lib/board-client.js';
import { summarize } from './lib.js';

export interface PeersInput {
  system: 'ours' | 'hocuspocus';
  url: string;
  /** ours: session cookie and Origin of the signed-in bench user */
  cookie?: string;
  origin?: string;
  /** ours: board id; hocuspocus: document name */
  doc: string;
  clients: number;
  rate: number;
  seconds: number;
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
  /** CPU time the clients' process spent during the measured run (ms) */
  clientCpuMs: number;
}

interface Peer {
  doc: Y.Doc;
  close(): void;
}

/** Drives `peers` at `rate` updates/s in total for `seconds`; fan-out latency = send → applied by each other peer. */
async function drive(peers: Peer[], rate: number, seconds: number): Promise<Omit<DriveResult, 'clientCpuMs'>> {
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  let expected = 0;
  let received = 0;
  const offs: (() => void)[] = [];
  for (const p of peers) {
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
    offs.push(() => m.unobserve(observer));
  }
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const start = performance.now();
  for (let k = 0; k < total; k++) {
    const wait = start + k * interval - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const i = k % peers.length;
    const value = `${Math.floor(k / peers.length)}:${seconds}`;
    sent.set(`c${i}:${value}`, performance.now());
    expected += peers.length - 1;
    peers[i]!.doc.transact(() => peers[i]!.doc.getMap('bench').set(`c${i}`, value));
  }
  const deadline = performance.now() + 20_000;
  while (received < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const elapsed = (performance.now() - start) / 1000;
  offs.forEach((off) => off());
  return { ...summarize(latencies), delivered: received, expected, updatesPerSecond: total / elapsed };
}

async function oursPeer(input: PeersInput): Promise<Peer> {
  const socket = ioClient(input.url, {
    path: '/socket.io',
    transports: ['websocket'],
    reconnection: false,
    extraHeaders: { cookie: input.cookie ?? '', origin: input.origin ?? input.url },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const client = new BoardClient(socket as never, input.doc);
  const joined = await client.start();
  if (!joined.ok) throw new Error(`join refused: ${joined.code}`);
  await client.synced();
  return { doc: client.doc, close: () => (client.destroy(), socket.close()) };
}

function hpMessage(doc: string, type: number, body: (e: encoding.Encoder) => void) {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, doc);
  encoding.writeVarUint(e, type);
  body(e);
  return encoding.toUint8Array(e);
}

async function hocuspocusPeer(input: PeersInput): Promise<Peer> {
  const name = input.doc;
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
  await new Promise((r) => socket.once('open', r));
  socket.send(
    hpMessage(name, 2, (e) => {
      encoding.writeVarUint(e, 0);
      encoding.writeVarString(e, 'token');
    }),
  );
  socket.send(hpMessage(name, 0, (e) => syncProtocol.writeSyncStep1(e, doc)));
  await ready;
  return { doc, close: () => socket.close() };
}

const input = JSON.parse(process.argv[2] ?? '{}') as PeersInput;
const connect = input.system === 'ours' ? oursPeer : hocuspocusPeer;
const peers: Peer[] = [];
for (let i = 0; i < input.clients; i++) peers.push(await connect(input));
await drive(peers, input.rate, 1); // warm-up (connections, JIT), not counted
const cpu = process.cpuUsage();
const measured = await drive(peers, input.rate, input.seconds);
const used = process.cpuUsage(cpu);
const result: DriveResult = { ...measured, clientCpuMs: (used.user + used.system) / 1000 };
peers.forEach((p) => p.close());
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
