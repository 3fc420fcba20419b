import { expect, expectAccessible, test } from './fixtures.js';

/**
 * Settings → API: a key is created, shown once (and works against /api/v1), listed afterwards by
 * name and prefix only, and revoked, after which the API refuses it.
 */
test('create an API key, see it once, use it, and revoke it', async ({ signedIn: page, baseURL }) => {
  await page.goto('/settings/api');
  await expect(page.getByRole('heading', { name: 'API and webhooks' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'API keys' })).toBeVisible();
  await expect(page.getByText('No keys yet.')).toBeVisible();
  await expectAccessible(page);

  await page.getByLabel('Key name').fill('Nightly script');
  await page.getByLabel(/^Generate:/).check();
  await page.getByRole('button', { name: 'Create key' }).click();

  const shown = page.getByLabel('Your new key “Nightly script”');
  await expect(shown).toBeVisible();
  const token = await shown.inputValue();
  expect(token).toMatch(/^fk_[A-Za-z0-9_-]{43}$/);
  await expect(page.getByText('it is shown only this once')).toBeVisible();
  await expectAccessible(page);

  // The key works.
  const ok = await page.request.get(`${baseURL}/api/v1/library`, { headers: { authorization: `Bearer ${token}` } });
  expect(ok.status()).toBe(200);

  // Once dismissed, the key is never shown again: the list has its name and prefix only, and after a reload too.
  await page.getByRole('button', { name: 'I have saved it' }).click();
  await expect(shown).toHaveCount(0);
  const list = page.getByRole('list', { name: 'Personal API keys' });
  await expect(list.getByText('Nightly script')).toBeVisible();
  await expect(list.getByText(`${token.slice(0, 10)}…`)).toBeVisible();
  await expect(list).toContainText('read + generate');
  await page.reload();
  await expect(page.getByRole('list', { name: 'Personal API keys' }).getByText('Nightly script')).toBeVisible();
  expect(await page.content()).not.toContain(token);
  await expect(page.getByRole('list', { name: 'Personal API keys' })).toContainText('last used');

  // Revoke, with a confirmation step; the API refuses the key from then on.
  await page.getByRole('button', { name: 'Revoke key Nightly script' }).click();
  await page.getByRole('button', { name: 'Revoke Nightly script' }).click();
  await expect(page.getByRole('list', { name: 'Personal API keys' }).getByText(/^Revoked /)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Revoke key Nightly script' })).toHaveCount(0);
  const refused = await page.request.get(`${baseURL}/api/v1/library`, { headers: { authorization: `Bearer ${token}` } });
  expect(refused.status()).toBe(401);
  expect((await refused.json()).error.code).toBe('API_KEY_REVOKED');
});

test('a key needs a name and a scope, and says so', async ({ signedIn: page }) => {
  await page.goto('/settings/api');
  await page.getByLabel('Key name').fill('No scope');
  await page.getByLabel(/^Read:/).uncheck();
  await page.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByRole('alert')).toHaveText('Choose at least one scope.');
  await expect(page.getByText('No keys yet.')).toBeVisible();
});
