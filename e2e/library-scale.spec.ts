import path from 'node:path';
import { createDb, createPool } from '../db/index.js';
import { seedLibrary } from '../scripts/seed-library.js';
import { expect, test } from './fixtures.js';
import { e2eServer, sql } from './server-data.js';

/**
 * Issue 19: a library of 100 000 items renders a virtualised grid. The signed-in person's
 * workspace is filled by the seed script's code (scripts/seed-library.ts); scrolling down the page
 * loads page after page, and however many items are loaded the DOM holds fewer than 500 of them.
 */
const ITEMS = 100_000;

/**
 * Fills the person's personal library with `assets` items by the seed script's code; files for
 * the newest items only (the ones a page shows first), the rest are rows.
 */
async function fillLibrary(email: string, assets: number) {
  const { databaseUrl, dataDir } = e2eServer();
  const ws = await sql<{ workspace_id: string; user_id: string }>(
    `select m.workspace_id, m.user_id from membership m join "user" u on u.id = m.user_id join workspace w on w.id = m.workspace_id where u.email = $1 and w.kind = 'personal'`,
    [email.toLowerCase()],
  );
  const db = createDb(createPool(databaseUrl, 2));
  try {
    await seedLibrary(db, { workspaceId: ws.rows[0]!.workspace_id, userId: ws.rows[0]!.user_id, assets, storageDir: path.join(dataDir, 'storage'), linkFiles: false, size: 256 });
  } finally {
    await db.destroy();
  }
}

test('scrolling a library of 100 000 items keeps fewer than 500 items in the page', async ({ signedIn: page, user }) => {
  test.setTimeout(300_000);
  await fillLibrary(user.email, ITEMS);
  await page.goto('/library');
  const grid = page.getByRole('list', { name: 'Library items' });
  const tiles = grid.locator('li.asset-item');
  await expect(tiles.first()).toBeVisible();
  // The newest item first (seeded items are spread over the past year, newest last).
  const loaded = page.getByText(/\d+ items loaded/);
  const loadedCount = async () => Number((await loaded.textContent())?.match(/(\d+) items/)?.[1] ?? 0);
  // Scroll as a person does, a frame at a time, until far more than 500 items are loaded (each page
  // arrives when the end of the last one comes near); at every step the page holds fewer than 500.
  let most = 0;
  const deadline = Date.now() + 150_000;
  while ((await loadedCount()) <= 1500 && Date.now() < deadline) {
    await page.mouse.wheel(0, 3000);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
    const inDom = await tiles.count();
    most = Math.max(most, inDom);
    expect(inDom).toBeLessThan(500);
  }
  expect(await loadedCount()).toBeGreaterThan(1500);
  const count = Number((await loaded.textContent())!.match(/(\d+) items/)![1]);
  expect(await tiles.count()).toBeLessThan(500);
  expect(most).toBeGreaterThan(0);
  // The tiles in view are the loaded list's later items, in order, and each is a link to its page.
  const positions = await tiles.evaluateAll((els) => els.map((e) => Number(e.getAttribute('aria-posinset'))));
  expect(Math.max(...positions)).toBeGreaterThan(500);
  expect(positions.every((p) => p <= count)).toBe(true);
  await expect(tiles.last().getByRole('link')).toHaveAttribute('href', /^\/library\/[0-9a-f-]{36}$/);
  // The grid asks for thumbnails, never the full-size file.
  const srcs = await grid.locator('img').evaluateAll((els) => els.map((e) => (e as HTMLImageElement).getAttribute('src')));
  expect(srcs.length).toBeGreaterThan(0);
  expect(srcs.every((s) => /\?thumb=256$/.test(s ?? ''))).toBe(true);
});

test('on a phone, the server’s HTML already lays the first page out in two columns that fit the screen (nothing moves when the script takes over)', async ({ browser, signedIn: page, user }) => {
  await fillLibrary(user.email, 30);
  // The first four tiles' left edge, top (from the grid's top: without a script the filters above it differ) and width.
  const tilesAt = async (p: typeof page) =>
    p.getByRole('list', { name: 'Library items' }).evaluate((grid) => {
      const top = grid.getBoundingClientRect().top;
      return [...grid.querySelectorAll('li.asset-item')].slice(0, 4).map((e) => {
        const r = e.getBoundingClientRect();
        return { left: Math.round(r.left), top: Math.round(r.top - top), width: Math.round(r.width) };
      });
    });
  // The server's HTML alone (no script runs): a phone-sized window.
  const noScript = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 412, height: 823 }, storageState: await page.context().storageState() });
  const bare = await noScript.newPage();
  await bare.goto('/library');
  const before = await tilesAt(bare);
  await noScript.close();
  expect(before).toHaveLength(4);
  expect(new Set(before.map((t) => t.top)).size).toBe(2); // two rows of two
  for (const t of before) expect(t.left + t.width).toBeLessThanOrEqual(412);
  // With the script: the same places once the virtual rows have taken over.
  await page.setViewportSize({ width: 412, height: 823 });
  await page.goto('/library');
  await expect(page.locator('ul.asset-grid.virtual')).toBeVisible();
  expect(await tilesAt(page)).toEqual(before);
});
