import { expect, expectAccessible, test } from './fixtures.js';
import { sql } from './server-data.js';

test('a refused prompt is explained in plain words and costs nothing', async ({ signedIn: page }) => {
  await page.goto('/studio');
  const balance = page.getByTestId('credits-balance');
  await expect(balance).toContainText('100');
  await page.getByLabel('Prompt').fill('a p0rn poster');
  await page.getByRole('button', { name: /^Generate/ }).click();
  const notice = page.getByTestId('moderation-notice');
  await expect(notice.getByRole('heading', { name: 'This prompt was not sent' })).toBeVisible();
  await expect(notice).toContainText('it asks for sexual or pornographic content, which is not allowed here. Nothing was charged.');
  await expect(page.getByRole('article', { name: /p0rn poster/ })).toHaveCount(0);
  await expect(balance).toContainText('100');
  await expectAccessible(page);
  // A clean prompt clears it and runs.
  await page.getByLabel('Prompt').fill('a poster of a lighthouse');
  await page.getByRole('button', { name: /^Generate/ }).click();
  await expect(notice).toHaveCount(0);
  await expect(page.getByRole('article', { name: /a poster of a lighthouse/ }).getByTestId('generation-status')).toHaveText('Done');
});

test('a flagged output is blurred until someone chooses to see it; a blocking workspace hides it', async ({ signedIn: page, user }) => {
  await page.goto('/studio');
  await page.getByLabel('Prompt').fill('A harbour at dawn');
  await page.getByRole('button', { name: /^Generate/ }).click();
  await expect(page.getByRole('article', { name: /A harbour at dawn/ }).getByTestId('generation-status')).toHaveText('Done');
  // Arrange what the classifier would have said of an explicit image (the classifier itself is tested in moderation.test.ts).
  const { rows } = await sql<{ id: string }>(
    `update asset set nsfw_flagged = true from generation g join "user" u on u.id = g.user_id
      where asset.generation_id = g.id and g.prompt = 'A harbour at dawn' and u.email = $1 returning asset.id`,
    [user.email],
  );
  expect(rows).toHaveLength(1);
  const assetId = rows[0]!.id;

  await page.goto('/library');
  const tile = page.getByRole('listitem').filter({ has: page.getByText('A harbour at dawn') });
  await expect(tile.getByText('May be sensitive: blurred by this workspace’s content policy.')).toBeVisible();
  const image = tile.getByRole('img', { name: 'A harbour at dawn', includeHidden: true });
  await expect(image).toHaveCSS('filter', /blur/);
  await expectAccessible(page);
  // By keyboard: the "Show" button is reachable and reveals the image.
  const show = tile.getByRole('button', { name: 'Show A harbour at dawn' });
  await show.focus();
  await expect(show).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(tile.getByRole('img', { name: 'A harbour at dawn' })).toHaveCSS('filter', 'none');
  await expect(tile.getByRole('button', { name: 'Hide A harbour at dawn again' })).toBeVisible();

  // The detail page blurs it too.
  await page.goto(`/library/${assetId}`);
  await expect(page.getByRole('button', { name: 'Show “A harbour at dawn”' })).toBeVisible();

  // The owner makes the workspace stricter: the image is no longer shown or served.
  await page.goto('/workspaces');
  await page.getByRole('link', { name: 'Settings of your personal workspace' }).click();
  await page.getByLabel('Block them: not shown, listed or downloadable (stricter)').check();
  await page.getByRole('button', { name: 'Save image policy' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Flagged images are now blocked in this workspace.' })).toBeVisible();
  await page.goto('/library');
  await expect(page.getByText('A harbour at dawn')).toHaveCount(0);
  expect((await page.request.get(`/files/${assetId}`)).status()).toBe(404);
});
