/**
 * The simulated people of the soak test (bench/soak.ts), in a process of their own so that the
 * server under test has its event loop to itself. Started with the path of a JSON file
 * (`SoakClientsInput`); prints one JSON line of progress every `reportEverySeconds` and a last
 * `{"type":"result"}` line, then exits.
 *
 * - generating users: they arrive over the first 10 s; each has a socket and a tRPC client; waits a random think time, starts a
 *   generation, and waits for its "succeeded" event on the socket (generation-done latency).
 * - board clients: the product's BoardClient on a real socket; together they send `boardRate`
 *   updates per second, spread over the clients in turn; fan-out = send → applied by each other
 *   client of the same board.
 * Every refusal, failed job, missing event, disconnect or socket error counts as an error.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import superjson from 'superjson';
import { createTRPCClient, httpLink } from '@trpc/client';
import { io as ioClient, type Socket } from 'socket.io-client';
import * as Y from 'yjs';
import { BoardClient } from '../app/lib/board-client.js';
import type { AppRouter } from '../server/trpc/router.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../server/shared/realtime.js';
import { summarize } from './lib.js';

export interface SoakClientsInput {
  url: string;
  origin: string;
  seconds: number;
  reportEverySeconds: number;
  genUsers: { cookie: string }[];
  genPerUserPerMinute: number;
  boardUsers: { cookie: string; boardId: string }[];
  boardRate: number;
}

export interface SoakProgress {
  type: 'progress' | 'result';
  elapsedSeconds: number;
  generationsStarted: number;
  generationsDone: number;
  requests: number;
  boardUpdatesSent: number;
  boardDeliveries: number;
  boardDeliveriesExpected: number;
  errors: number;
  errorSamples: string[];
  generationDone: ReturnType<typeof summarize>;
  fanOut: ReturnType<typeof summarize>;
}

type AppSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const input = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as SoakClientsInput;
const t0 = performance.now();
const stats = { generationsStarted: 0, generationsDone: 0, requests: 0, boardUpdatesSent: 0, boardDeliveries: 0, boardDeliveriesExpected: 0, errors: 0 };
const errorSamples: string[] = [];
const genLatency: number[] = [];
const fanOut: number[] = [];
let stopping = false;

function error(what: string) {
  stats.errors++;
  if (errorSamples.length < 20) errorSamples.push(`${((performance.now() - t0) / 1000).toFixed(1)}s ${what}`);
}

function connect(cookie: string): Promise<AppSocket> {
  const socket: AppSocket = ioClient(input.url, {
    path: '/socket.io',
    transports: ['websocket'],
    extraHeaders: { cookie, origin: input.origin },
  });
  socket.on('disconnect', (reason) => {
    if (!stopping) error(`socket disconnected: ${reason}`);
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => reject(err));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ARRIVAL_MS = 10_000;

async function generatingUser(cookie: string, deadline: number, arriveAfterMs: number) {
  await sleep(arriveAfterMs);
  let socket: AppSocket;
  try {
    socket = await connect(cookie);
  } catch (err) {
    error(`socket connect: ${(err as Error).message}`);
    return null;
  }
  const api = createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${input.url}/trpc`, transformer: superjson, headers: () => ({ cookie, origin: input.origin }) })],
  });
  const waiting = new Map<string, (status: string) => void>();
  const early = new Map<string, string>();
  socket.on('generation:update', (e) => {
    if (e.status !== 'succeeded' && e.status !== 'failed' && e.status !== 'canceled') return;
    const w = waiting.get(e.id);
    if (w) w(e.status);
    else early.set(e.id, e.status);
  });
  const meanThinkMs = 60_000 / input.genPerUserPerMinute;
  // The first start is spread uniformly, then exponential think times (a Poisson process per user).
  let wait = Math.random() * meanThinkMs;
  while (!stopping) {
    await sleep(Math.min(wait, deadline - performance.now()));
    if (stopping || performance.now() >= deadline) break;
    wait = -Math.log(1 - Math.random()) * meanThinkMs;
    const started = performance.now();
    let id: string;
    try {
      stats.requests++;
      id = (await api.generation.create.mutate({ prompt: `soak ${Math.random().toString(36).slice(2, 8)}` })).id;
      stats.generationsStarted++;
    } catch (err) {
      error(`generation.create: ${(err as Error).message}`);
      continue;
    }
    const status = early.get(id) ?? (await Promise.race([new Promise<string>((r) => waiting.set(id, r)), sleep(60_000).then(() => 'timeout')]));
    waiting.delete(id);
    early.delete(id);
    if (status === 'succeeded') {
      stats.generationsDone++;
      genLatency.push(performance.now() - started);
    } else error(`generation ${id} ended ${status}`);
  }
  // Wait for nothing more: the socket closes with the process.
  return socket;
}

interface BoardPeer {
  index: number;
  boardId: string;
  client: BoardClient;
  socket: AppSocket;
}

async function boardPeer(index: number, cookie: string, boardId: string): Promise<BoardPeer> {
  const socket = await connect(cookie);
  const client = new BoardClient(socket as never, boardId);
  const joined = await client.start();
  if (!joined.ok) throw new Error(`board join refused: ${joined.code}`);
  await client.synced();
  client.onError((e) => error(`board refusal ${e.code}: ${e.message}`));
  return { index, boardId, client, socket };
}

/** Sends `boardRate` updates/s in total until the deadline; each is timed until every other peer of its board applied it. */
async function driveBoards(peers: BoardPeer[], deadline: number) {
  if (peers.length === 0) return;
  const byBoard = new Map<string, BoardPeer[]>();
  for (const p of peers) byBoard.set(p.boardId, [...(byBoard.get(p.boardId) ?? []), p]);
  const pending = new Map<string, { at: number; left: number }>();
  for (const p of peers) {
    const m = p.client.doc.getMap('soak');
    m.observe((e: Y.YMapEvent<unknown>) => {
      if (e.transaction.local) return;
      const now = performance.now();
      for (const key of e.keysChanged) {
        const tag = `${p.boardId}:${key}:${m.get(key)}`;
        const entry = pending.get(tag);
        if (!entry) continue;
        fanOut.push(now - entry.at);
        stats.boardDeliveries++;
        if (--entry.left === 0) pending.delete(tag);
      }
    });
  }
  const interval = 1000 / input.boardRate;
  const start = performance.now();
  for (let k = 0; performance.now() < deadline && !stopping; k++) {
    const wait = start + k * interval - performance.now();
    if (wait > 1) await sleep(wait);
    const p = peers[k % peers.length]!;
    const others = byBoard.get(p.boardId)!.length - 1;
    const value = String(k);
    pending.set(`${p.boardId}:c${p.index}:${value}`, { at: performance.now(), left: others });
    stats.boardUpdatesSent++;
    stats.boardDeliveriesExpected += others;
    p.client.doc.transact(() => p.client.doc.getMap('soak').set(`c${p.index}`, value));
  }
  // Let the last updates arrive (a later value for the same key supersedes an earlier one, which is
  // then never observed: those are counted as delivered, not lost).
  const settle = performance.now() + 10_000;
  while (pending.size > 0 && performance.now() < settle) await sleep(50);
  for (const [tag, entry] of pending) {
    const [boardId, key] = tag.split(':');
    const newest = [...pending.keys()].filter((t) => t.startsWith(`${boardId}:${key}:`));
    if (newest.length > 1 && newest[newest.length - 1] !== tag) stats.boardDeliveries += entry.left;
  }
  // Every change is acknowledged once it is stored (group commit, after the fan-out): give the last
  // ones the time a commit can take on a loaded machine before calling them lost.
  const acked = performance.now() + 30_000;
  while (peers.some((p) => p.client.state.unsaved > 0) && performance.now() < acked) await sleep(100);
  for (const p of peers) {
    if (p.client.state.unsaved > 0) error(`board client ${p.index}: ${p.client.state.unsaved} changes not acknowledged as saved within 30 s of the end`);
  }
}

function snapshot(type: SoakProgress['type']): SoakProgress {
  return {
    type,
    elapsedSeconds: Math.round((performance.now() - t0) / 1000),
    ...stats,
    errorSamples,
    generationDone: summarize(genLatency),
    fanOut: summarize(fanOut),
  };
}

const deadline = t0 + input.seconds * 1000;
const report = setInterval(() => process.stdout.write(`${JSON.stringify(snapshot('progress'))}\n`), input.reportEverySeconds * 1000);
try {
  const peers: BoardPeer[] = [];
  for (const [i, u] of input.boardUsers.entries()) peers.push(await boardPeer(i, u.cookie, u.boardId));
  // People arrive over the first ARRIVAL_MS, not all in the same millisecond.
  const users = input.genUsers.map((u, i) => generatingUser(u.cookie, deadline, (i / input.genUsers.length) * ARRIVAL_MS));
  const sockets = await Promise.all([driveBoards(peers, deadline).then(() => []), ...users]);
  stopping = true;
  for (const p of peers) {
    p.client.destroy();
    p.socket.close();
  }
  for (const s of sockets.flat()) (s as AppSocket | null)?.close?.();
} catch (err) {
  error(`clients failed: ${(err as Error).stack ?? err}`);
}
stopping = true;
clearInterval(report);
process.stdout.write(`${JSON.stringify(snapshot('result'))}\n`);
process.exit(0);
