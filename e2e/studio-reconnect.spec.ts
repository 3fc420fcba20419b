import { expect, test } from './fixtures.js';

/**
 * Live updates are not replayed to a tab that had no socket when they were sent (it had not
 * connected yet, or its server went away and it moved to another one). The studio re-reads its
 * unfinished jobs whenever its socket connects, so a job that finished meanwhile shows as done
 * without a reload.
 */
test('a job that finishes while the tab has no live connection shows as done once it connects', async ({ signedIn: page }) => {
  let blocked = true;
  const socketIo = /\/socket\.io\//;
  await page.routeWebSocket(socketIo, (ws) => {
    if (blocked) ws.close();
    else ws.connectToServer();
  });
  await page.route(socketIo, (route) => (blocked ? route.abort() : route.continue()));

  await page.goto('/studio');
  await page.getByLabel('Prompt').fill('A kite seen while offline');
  await page.getByRole('button', { name: /^Generate/ }).click();
  const card = page.getByRole('article', { name: /A kite seen while offline/ });
  await expect(card.getByTestId('generation-status')).toHaveText(/Queued|Running/);

  // A second tab of the same person, with a working connection, sees the job end.
  const other = await page.context().newPage();
  await other.goto('/studio');
  await expect(other.getByRole('article', { name: /A kite seen while offline/ }).getByTestId('generation-status')).toHaveText('Done', { timeout: 30_000 });
  await other.close();
  // The first tab heard nothing of it.
  await expect(card.getByTestId('generation-status')).toHaveText(/Queued|Running/);

  // Its connection comes back: the job is read again and shows its result, without a reload.
  blocked = false;
  await expect(card.getByTestId('generation-status')).toHaveText('Done', { timeout: 30_000 });
  await expect(card.getByRole('link', { name: /Open output/ })).toHaveCount(1);
});
