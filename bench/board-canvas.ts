/**
 * A large board in a real browser: the product server (with its UI) on the benchmark's PostgreSQL, a
 * user, a workspace and a board of `items` notes written through the server's own board code
 * (editBoardFromServer), opened at /boards/:id in Chromium (Playwright, the flags of
 * playwright.config.ts). Measured in the page:
 *
 * - open: from the start of the navigation to the first frame painted with every item that lies in
 *   the view (the canvas renders only what is in and near the view; the rest is off-screen);
 * - drag: one item dragged with the mouse for about two seconds (pointer moves every 8 ms, as a
 *   fast mouse does), the time between successive animation frames meanwhile (requestAnimationFrame);
 *   a frame that makes its vsync measures 16.6–16.8 ms (timestamps are coarsened to 0.1 ms), one that
 *   misses it 33 ms or more.
 *
 * Also printed: when the page, the board's canvas (connected, joined) and its first item appeared,
 * which shows where an open's time goes.
 *
 * Used by bench/boards.ts (part `canvas`). Builds the UI first unless BENCH_NO_BUILD=1.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { editBoardFromServer } from '../server/boards/store.js';
import { putItem } from '../server/shared/board.js';
import { CONSENT_COOKIE, encodeConsentCookie } from '../server/shared/consent.js';
import { signUp, startTestServer, trpcClient } from '../server/testing/harness.js';
import { summarize } from './lib.js';

export interface CanvasRun {
  items: number;
  /** items that lie in the view when the board opens */
  inView: number;
  openMs: number;
  frames: number;
  frameP50: number;
  frameP95: number;
  frameMax: number;
  /** frames that missed a vsync while dragging (longer than 20 ms) */
  missed: number;
  /** when the page, the board's canvas and its first item appeared (ms after navigation start) */
  phases: string;
}

/** The layout: a grid of notes, COLS wide. */
const COLS = 100;
const STEP_X = 130;
const STEP_Y = 100;
const W = 120;
const H = 90;
const DRAG_MS = 2000;

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

declare global {
  interface Window {
    __bench: { openAt: number | null; inView: number; frames: number[]; recording: boolean; marks: Record<string, number> };
  }
}

export async function measureCanvas(opts: { adminUrl: string; items: number; runs: number; log: (m: string) => void }): Promise<CanvasRun[]> {
  if (process.env.BENCH_NO_BUILD !== '1') {
    opts.log('building the UI (remix build)…');
    const bin = path.resolve('node_modules/.bin/remix');
    const r = spawnSync(fs.existsSync(bin) ? bin : 'remix', ['build'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error('remix build failed');
  }
  const server = await startTestServer(opts.adminUrl, { start: { ui: true }, env: { LOG_LEVEL: 'error', SOCKETS_PER_USER: '100' } });
  const browser = await chromium.launch({ executablePath: ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p)), args: CHROMIUM_ARGS });
  try {
    const user = await signUp(server, 'Canvas Bench');
    const trpc = trpcClient(server, user);
    const ws = (await trpc.me.get.query())!.workspaces[0]!.id;
    const boardId = (await trpc.board.create.mutate({ workspaceId: ws, name: `${opts.items} items` })).id;
    await editBoardFromServer(server.deps.db, boardId, (doc) => {
      for (let i = 0; i < opts.items; i++) {
        putItem(doc, { id: `n${i}`, type: 'note', x: (i % COLS) * STEP_X, y: Math.floor(i / COLS) * STEP_Y, w: W, h: H, z: i + 1, text: `Note ${i + 1}`, color: 'yellow' });
      }
    });
    const url = new URL(server.url);
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, deviceScaleFactor: 1 });
    await context.addCookies([
      ...user.cookie.split('; ').map((c) => {
        const i = c.indexOf('=');
        return { name: c.slice(0, i), value: c.slice(i + 1), domain: url.hostname, path: '/' };
      }),
      { name: CONSENT_COOKIE, value: encodeConsentCookie({ preferences: false, analytics: false }, new Date()), domain: url.hostname, path: '/' },
    ]);
    // As a string: functions passed from here would carry the TypeScript loader's helpers into the page.
    await context.addInitScript(`(() => {
      const cols = ${COLS}, stepX = ${STEP_X}, stepY = ${STEP_Y}, w = ${W}, h = ${H}, count = ${opts.items};
      window.__bench = { openAt: null, inView: 0, frames: [], recording: false, marks: {} };
      const mark = (k) => { if (window.__bench.marks[k] === undefined) window.__bench.marks[k] = Math.round(performance.now()); };
      let want = null;
      let seenAll = false;
      const tick = (t) => {
        const b = window.__bench;
        if (b.openAt === null) {
          if (seenAll) {
            // Every item in view was in the page at the previous frame, which has now been painted.
            b.openAt = performance.now();
          } else {
            const canvas = document.querySelector('[data-testid="board-canvas"]');
            const world = canvas && canvas.querySelector('.board-world');
            if (document.querySelector('.board-page')) mark('page');
            if (world) mark('canvas');
            if (document.querySelector('[data-item-id]')) mark('firstItem');
            if (canvas && world) {
              if (!want) {
                const r = canvas.getBoundingClientRect();
                want = [];
                for (let i = 0; i < count; i++) {
                  const x = (i % cols) * stepX;
                  const y = Math.floor(i / cols) * stepY;
                  if (x < r.width && x + w > 0 && y < r.height && y + h > 0) want.push('n' + i);
                }
                b.inView = want.length;
              }
              seenAll = want.length > 0 && want.every((id) => world.querySelector('[data-item-id="' + id + '"]'));
            }
          }
        }
        if (b.recording) b.frames.push(t);
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    })();`);
    const runs: CanvasRun[] = [];
    for (let run = 0; run < opts.runs; run++) {
      const page = await context.newPage();
      await page.goto(`${server.url}/boards/${boardId}`);
      await page.waitForFunction(() => window.__bench.openAt !== null, undefined, { timeout: 60_000 }).catch(async (err: unknown) => {
        await page.screenshot({ path: path.join(os.tmpdir(), 'flux-klein-bench-canvas.png') });
        opts.log(`page state: ${await page.evaluate(() => JSON.stringify({ bench: window.__bench, items: document.querySelectorAll('[data-item-id]').length }))}`);
        throw new Error(`the board did not show its items within 60 s (screenshot in ${os.tmpdir()}/flux-klein-bench-canvas.png; at ${page.url()}): ${String(err)}`);
      });
      const { openAt, inView, marks } = await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
        const m: Record<string, number> = { ...window.__bench.marks, ...(nav ? { response: Math.round(nav.responseEnd), domContentLoaded: Math.round(nav.domContentLoadedEventEnd) } : {}) };
        return { openAt: window.__bench.openAt!, inView: window.__bench.inView, marks: m };
      });
      opts.log(`open, ms after navigation start: ${Object.entries(marks).sort((a, b) => a[1] - b[1]).map(([k, v]) => `${k} ${v}`).join(', ')}, all in view painted ${openAt.toFixed(0)}`);
      await page.getByText('All changes saved').waitFor({ timeout: 30_000 });
      await page.waitForTimeout(500);
      // Drag a note of the third row, another each run: later notes lie above earlier ones (z), so
      // the one dragged before cannot cover it.
      const target = page.locator(`[data-item-id="n${202 + run}"]`);
      const box = (await target.boundingBox())!;
      const x0 = box.x + box.width / 2;
      const y0 = box.y + box.height / 2;
      await page.mouse.move(x0, y0);
      await page.mouse.down();
      await page.evaluate(() => {
        window.__bench.frames = [];
        window.__bench.recording = true;
      });
      const start = Date.now();
      for (let k = 1; Date.now() - start < DRAG_MS; k++) {
        await page.mouse.move(x0 + 40 + ((k * 3) % 300), y0 + 20 + ((k * 2) % 150));
        await page.waitForTimeout(8);
      }
      const frames = await page.evaluate(() => {
        window.__bench.recording = false;
        return window.__bench.frames;
      });
      await page.mouse.up();
      const moved = await target.boundingBox();
      if (!moved || (Math.abs(moved.x - box.x) < 1 && Math.abs(moved.y - box.y) < 1)) throw new Error('the dragged note did not move');
      const deltas = frames.slice(1).map((t, i) => t - frames[i]!);
      const s = summarize(deltas.slice(1)); // the first frame after pressing includes the press itself
      runs.push({ items: opts.items, inView, openMs: openAt, frames: s.n, frameP50: s.p50, frameP95: s.p95, frameMax: s.max, missed: deltas.slice(1).filter((d) => d > 20).length, phases: `${marks.page ?? '?'} / ${marks.canvas ?? '?'} / ${marks.firstItem ?? '?'}` });
      opts.log(`Chromium run ${run + 1}/${opts.runs}: open ${openAt.toFixed(0)} ms (${inView} items in view), drag frames p50 ${s.p50.toFixed(1)} p95 ${s.p95.toFixed(1)} max ${s.max.toFixed(1)} ms over ${s.n} frames`);
      await page.close();
    }
    await context.close();
    return runs;
  } finally {
    await browser.close();
    await server.stop();
  }
}
