import type { Browser, BrowserContext, Page } from '@playwright/test';
import { expect, expectAccessible, item, person, shot, shots, test } from './fixtures.js';
import { sql } from './server-data.js';

/** Ana's team workspace with Ben as an editor (added directly), credits, and a new board both have open. */
async function teamBoard(browser: Browser, baseURL: string, boardName: string) {
  const ana = await person(browser, baseURL, 'Ana Owner', 'ana');
  const ben = await person(browser, baseURL, 'Ben Editor', 'ben');
  await sql('update "user" set "emailVerified" = true where email = $1', [ana.user.email]);
  const a = ana.page;
  await a.goto('/workspaces');
  await a.getByLabel('Workspace name').fill(`Team ${boardName}`);
  await a.getByRole('button', { name: 'Create workspace' }).click();
  await expect(a.getByRole('heading', { name: `Team ${boardName}`, level: 1 })).toBeVisible();
  const workspaceId = a.url().split('/workspaces/')[1]!;
  await sql(`insert into credit_ledger (workspace_id, user_id, delta, reason, ref) values ($1, null, 100, 'e2e_grant', $2)`, [workspaceId, `e2e-${workspaceId}`]);
  await sql(`insert into membership (workspace_id, user_id, role) values ($1, $2, 'editor')`, [workspaceId, ben.user.id]);
  await a.goto('/boards');
  await a.getByLabel('Board name').fill(boardName);
  await a.getByRole('button', { name: 'Create board' }).click();
  await expect(a.getByRole('heading', { name: boardName })).toBeVisible();
  await expect(a.getByTestId('board-status')).toHaveText('All changes saved');
  return { ana, ben, boardUrl: a.url() };
}

test('job feed: B sees A’s generation start, progress and finish without reloading; clicking it shows the result; a reload keeps it', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const { ana, ben, boardUrl } = await teamBoard(browser, baseURL!, 'Feed board');
  const a = ana.page;
  const b = ben.page;
  // Ana starts a job before Ben arrives; he sees it in the feed when he opens the board.
  await a.getByLabel('Generate onto the board').fill('A paper boat on a pond');
  await a.getByRole('button', { name: 'Generate', exact: true }).click();
  await expect(a.getByTestId('board-feed').locator('[data-status="succeeded"]')).toHaveCount(1, { timeout: 30_000 });
  await b.goto(boardUrl);
  await expect(b.getByTestId('board-status')).toHaveText('All changes saved');
  const feed = b.getByTestId('board-feed');
  await expect(feed.getByRole('listitem')).toHaveCount(1);
  await expect(feed.getByRole('listitem').first()).toContainText('A paper boat on a pond');

  // Now Ana generates again while Ben watches: the new job comes first, by Ana, live.
  await a.getByLabel('Generate onto the board').fill('A red kite over the dunes');
  await a.getByRole('button', { name: 'Generate', exact: true }).click();
  const kite = feed.getByRole('listitem').filter({ hasText: 'A red kite over the dunes' });
  await expect(kite).toBeVisible();
  await expect(kite).toContainText('Ana Owner');
  await expect(feed.getByRole('listitem').first()).toContainText('A red kite over the dunes');
  await expect(kite).toHaveAttribute('data-status', 'succeeded', { timeout: 30_000 });
  await expect(kite).toContainText('Done');
  if (shots) {
    await shot(b, `${shots}/feed-desktop.png`);
  }
  await expectAccessible(b);

  // Clicking the finished job focuses its image on Ben's canvas.
  await kite.getByRole('button', { name: /Show on the board: .*A red kite over the dunes/ }).click();
  await expect(item(b, /^Image: A red kite over the dunes/)).toBeFocused();

  // A reload shows the feed from storage.
  await b.reload();
  await expect(feed.getByRole('listitem')).toHaveCount(2);
  await expect(feed.getByRole('listitem').first()).toHaveAttribute('data-status', 'succeeded');
  if (shots) {
    await b.setViewportSize({ width: 375, height: 812 });
    await feed.scrollIntoViewIfNeeded();
    await shot(b, `${shots}/feed-375.png`, true);
  }
  for (const p of [ana, ben]) await p.ctx.close();
});

test('history: name a version, change the board, preview the version read-only with what changed, restore it for everyone, undo the restore', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const { ana, ben, boardUrl } = await teamBoard(browser, baseURL!, 'History board');
  const a = ana.page;
  const b = ben.page;
  await b.goto(boardUrl);
  await expect(b.getByTestId('board-status')).toHaveText('All changes saved');

  // A note, then a named version of the board as it is.
  await a.getByRole('button', { name: /Add a note/ }).click();
  await item(a, /^Note: /).press('Enter');
  await a.getByLabel(/Note text/).fill('Palette: sand and teal');
  await a.getByLabel(/Note text/).press('Control+Enter');
  await expect(a.getByTestId('board-status')).toHaveText('All changes saved');
  await a.getByRole('button', { name: 'History', exact: true }).click();
  const history = a.getByTestId('board-history');
  await history.getByLabel('Name this version').fill('Before client review');
  await history.getByRole('button', { name: 'Save' }).click();
  await expect(history.getByRole('button', { name: /Before client review/ })).toBeVisible();
  await expect(history.getByRole('button', { name: /Before client review/ })).toContainText('Ana Owner · 1 item');
  await a.getByRole('button', { name: 'Close version history' }).click();

  // Then the note is rewritten and another one added.
  await item(a, /Note: Palette: sand and teal/).press('Enter');
  await a.getByLabel(/Note text/).fill('Palette: neon pink');
  await a.getByLabel(/Note text/).press('Control+Enter');
  await a.getByRole('button', { name: /Add a note/ }).click();
  await expect(item(a, /^Note: /)).toHaveCount(2);
  await a.keyboard.press('Enter');
  await a.getByLabel(/Note text/).fill('Client said yes');
  await a.getByLabel(/Note text/).press('Control+Enter');
  await expect(a.getByTestId('board-status')).toHaveText('All changes saved');
  await expect(item(b, /Note: Client said yes/)).toBeVisible();

  // The preview shows the board as it was, read-only, and what changed since; the live board is untouched.
  await a.getByRole('button', { name: 'History', exact: true }).click();
  await history.getByRole('button', { name: /Before client review/ }).click();
  await expect(a.getByTestId('preview-bar')).toContainText('Previewing “Before client review”');
  await expect(history.getByTestId('version-diff')).toHaveText('Since then: 1 item added · 1 item edited');
  await expect(item(a, /Note: Palette: sand and teal/)).toBeVisible();
  await expect(item(a, /Note: Palette: sand and teal/)).toHaveAttribute('data-mark', 'edited');
  await expect(item(a, /Note: Client said yes/)).toHaveCount(0);
  await expect(item(b, /Note: Palette: neon pink/)).toBeVisible();
  await expectAccessible(a);
  if (shots) {
    await shot(a, `${shots}/history-desktop.png`);
  }

  // Restore: both see the old board at once, and Ben is told who restored what.
  await history.getByRole('button', { name: 'Restore this version' }).click();
  await expect(a.getByTestId('preview-bar')).toHaveCount(0);
  for (const p of [a, b]) {
    await expect(item(p, /Note: Palette: sand and teal/)).toBeVisible();
    await expect(item(p, /Note: Client said yes/)).toHaveCount(0);
  }
  await expect(b.getByText('Ana Owner restored “Before client review”')).toBeVisible();
  await expect(a.getByTestId('board-status')).toHaveText('All changes saved');
  // The board as it was before the restore is kept as a version.
  await expect(history.getByRole('button', { name: /Before restoring “Before client review”/ })).toBeVisible();

  // Undo takes the restore back, for everyone.
  await a.getByRole('button', { name: 'Undo', exact: true }).click();
  for (const p of [a, b]) {
    await expect(item(p, /Note: Palette: neon pink/)).toBeVisible();
    await expect(item(p, /Note: Client said yes/)).toBeVisible();
  }
  // The board with its history downloads as one JSON file.
  const download = a.waitForEvent('download');
  await history.getByRole('button', { name: 'Download the board with its history' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('History-board-with-history.json');
  const exported = JSON.parse(await (await import('node:fs/promises')).readFile((await file.path())!, 'utf8')) as { versions: { name: string | null }[] };
  expect(exported.versions.map((v) => v.name)).toContain('Before client review');
  if (shots) {
    await a.setViewportSize({ width: 375, height: 812 });
    await history.getByRole('button', { name: /^Before client review/ }).click();
    await expect(a.getByTestId('preview-bar')).toBeVisible();
    await shot(a, `${shots}/history-375.png`, true);
  }
  for (const p of [ana, ben]) await p.ctx.close();
});
