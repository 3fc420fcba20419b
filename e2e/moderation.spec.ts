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

test('an automatic suspension shows in the studio with its reason, its end and an appeal, like an operator’s', async ({ signedIn: page, user }) => {
  // Arrange what four refused prompts in an hour write (the counting itself is tested in moderation.test.ts and account-standing.test.ts).
  const { rowCount } = await sql(
    `insert into account_standing (user_id, status, reason, note, until, source)
     select id, 'suspended', 'refused_prompts', '4 prompts were refused within 60 minutes, the last one for graphic violence or gore.', now() + interval '20 hours', 'moderation'
     from "user" where email = $1`,
    [user.email],
  );
  expect(rowCount).toBe(1);
  await page.goto('/studio');
  await expect(page.getByRole('region', { name: 'Account suspended' })).toBeVisible();
  const notice = page.getByTestId('moderation-notice');
  await expect(notice.getByRole('heading', { name: 'Your account is suspended' })).toBeVisible();
  await expect(notice).toContainText('Reason: Many of your prompts were refused in a short time (4 prompts were refused within 60 minutes, the last one for graphic violence or gore).');
  await expect(notice).toContainText('You can generate, upload and change boards again after');
  await expectAccessible(page);
  await page.screenshot({ path: 'test-results/screenshots/automatic-suspension-studio.png', fullPage: true });
  // Generating is refused with the same words, and nothing is charged.
  await page.getByLabel('Prompt').fill('a quiet harbour');
  await page.getByRole('button', { name: /^Generate/ }).click();
  await expect(page.getByRole('article', { name: /a quiet harbour/ })).toHaveCount(0);
  // The appeal, by keyboard-reachable form, goes to the operators' one queue.
  await notice.getByLabel('Ask for a review: tell moderators why').fill('I was testing the filter for a school project.');
  await notice.getByRole('button', { name: 'Ask for a review' }).click();
  await expect(notice).toContainText('You asked for a review. Moderators will answer by notification and email');
  const appeal = await sql(`select a.status from appeal a join "user" u on u.id = a.user_id where u.email = $1 and a.asset_id is null`, [user.email]);
  expect(appeal.rows).toEqual([{ status: 'open' }]);
  await page.goto('/settings/account');
  await expect(page.getByRole('heading', { name: 'Your account is suspended' })).toBeVisible();
  await expect(page.getByText(/The suspension ends by itself on/)).toBeVisible();
  await expect(page.getByText(/You asked for a review on/)).toBeVisible();
});
