import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { addMember, openBoard } from '../server/testing/teams.js';
import type { BoardCommentEvent } from '../server/shared/comments.js';
import { signUp, startTestServer, trpcClient } from '../server/testing/harness.js';
import { ms, summarize, table } from './lib.js';

/**
 * Board comments (issue 17): time from sending a comment (tRPC `comment.reply`) to another member's
 * socket, joined to the board, receiving it (`board:comment`), one after another; beside it, in the
 * same run, the tRPC round trip of `comment.list` on the same board (the cost of any read), so the
 * ratio says what storing, checking and fanning out add. A measurement: it exits 0 whatever the numbers.
 */
const N = 200;

export async function run() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-bench-'));
  fs.chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), database: 'postgres', persistent: false });
  try {
    const server = await startTestServer(pg.url, { env: { BOARD_COMMENTS_PER_MINUTE: '10000', LOG_LEVEL: 'error' } });
    try {
      const ana = await signUp(server, 'Bench Ana');
      const ben = await signUp(server, 'Bench Ben');
      const api = trpcClient(server, ana);
      const ws = (await api.workspace.create.mutate({ name: 'Bench' })).id;
      await addMember(server.deps.db, ws, ben.id, 'editor');
      const board = await api.board.create.mutate({ workspaceId: ws, name: 'Bench board' });
      const b = await openBoard(server, ben, board.id);
      const thread = await api.comment.start.mutate({ boardId: board.id, x: 0, y: 0, body: 'Bench thread' });
      const waiting = new Map<string, (t: number) => void>();
      b.socket.on('board:comment', (e: BoardCommentEvent) => {
        if (!('thread' in e)) return;
        const last = e.thread.comments.at(-1);
        const done = last && waiting.get(last.body);
        if (done) done(performance.now());
      });
      const live: number[] = [];
      const read: number[] = [];
      for (let i = 0; i < N; i++) {
        // Threads hold at most 200 comments: a fresh thread every 150.
        const threadId = i % 150 === 149 ? (await api.comment.start.mutate({ boardId: board.id, x: i, y: 0, body: `Bench thread ${i}` })).id : thread.id;
        const body = `comment ${i}`;
        const heard = new Promise<number>((resolve) => waiting.set(body, resolve));
        const t0 = performance.now();
        await api.comment.reply.mutate({ threadId, body });
        live.push((await heard) - t0);
        waiting.delete(body);
        const r0 = performance.now();
        await api.comment.list.query({ boardId: board.id });
        read.push(performance.now() - r0);
      }
      b.close();
      const l = summarize(live);
      const r = summarize(read);
      console.log(`\nBoard comments: comment.reply sent → board:comment received by another member's socket (${N}, one at a time)`);
      table([
        ['', 'comment live', 'comment.list round trip', 'ratio'],
        ['p50', ms(l.p50), ms(r.p50), (l.p50 / r.p50).toFixed(2)],
        ['p99', ms(l.p99), ms(r.p99), (l.p99 / r.p99).toFixed(2)],
        ['max', ms(l.max), ms(r.max), (l.max / r.max).toFixed(2)],
      ]);
      console.log(`\ngoal: a comment reaches the others on the board, p99 < 100 ms → ${l.p99 < 100 ? 'PASS' : 'FAIL'} (${ms(l.p99)})`);
    } finally {
      await server.stop();
    }
  } catch (err) {
    console.error('benchmark failed:', err);
  } finally {
    await pg.stop().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run().then(() => process.exit(0));
