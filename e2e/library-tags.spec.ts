/**
 * Tags on an output's page: added and removed, checked with the procedure's own schema (loaded when
 * the field is first used, so zod is not on the page's first load), and stored.
 */
import { expect, expectAccessible, test } from './fixtures.js';
import { sql } from './server-data.js';

test('an output’s tags: a bad one is refused with the reason, a good one is stored, links to the filtered library and can be removed', async ({ signedIn: page }) => {
  await page.goto('/studio');
  await page.getByLabel('Prompt').fill('A paper boat on a puddle');
  await page.getByRole('button', { name: /^Generate/ }).click();
  const card = page.getByRole('article', { name: /A paper boat/ }).first();
  await expect(card.getByTestId('generation-status')).toHaveText('Done');
  await card.getByRole('link', { name: 'Open output 1' }).click();
  await expect(page).toHaveURL(/\/library\/[0-9a-f-]{36}$/);
  const assetId = page.url().split('/').pop()!;
  const stored = async () => (await sql<{ tags: string[] }>('select tags from asset where id = $1', [assetId])).rows[0]!.tags;

  const field = page.getByLabel('Add a tag');
  await field.fill('rain/boats');
  await field.press('Enter');
  await expect(page.getByRole('alert')).toHaveText('Tags may use letters, numbers, spaces, - and _.');
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  expect(await stored()).toEqual([]);

  await field.fill('  Rainy Day ');
  await field.press('Enter');
  const tag = page.getByRole('link', { name: 'rainy day' });
  await expect(tag).toBeVisible();
  await expect(tag).toHaveAttribute('href', '/library?tag=rainy%20day');
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(field).toHaveValue('');
  await expect.poll(stored).toEqual(['rainy day']);
  await expectAccessible(page);

  await page.getByRole('button', { name: 'Remove tag rainy day' }).click();
  await expect(tag).toHaveCount(0);
  await expect.poll(stored).toEqual([]);
});
