import { expect, expectAccessible, test } from './fixtures.js';

test('download my data as a ZIP', async ({ signedIn: page }) => {
  await page.goto('/settings/privacy');
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Prepare my export' }).click();
  const list = page.getByRole('list', { name: 'Exports' });
  await expect(list).toContainText('Ready');
  const downloadPromise = page.waitForEvent('download');
  await list.getByRole('link', { name: 'Download' }).click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toMatch(/^flux-klein-export-\d{4}-\d{2}-\d{2}\.zip$/);
  const chunks: Buffer[] = [];
  for await (const c of await download.createReadStream()) chunks.push(c as Buffer);
  expect(Buffer.concat(chunks).subarray(0, 2).toString()).toBe('PK');
});

test('delete my account: re-authentication, signed out, and signing in within the grace period cancels it', async ({ signedIn: page, user }) => {
  await page.goto('/settings/privacy');
  await page.getByRole('button', { name: 'Delete my account…' }).click();
  await page.getByLabel('Your password, to confirm').fill('not my password');
  await page.getByRole('button', { name: 'Delete my account', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('That password is not right. Your account was not scheduled for deletion.');
  await page.getByLabel('Your password, to confirm').fill(user.password);
  await page.getByRole('button', { name: 'Delete my account', exact: true }).click();
  await expect(page.getByText('Your account is scheduled for deletion')).toBeVisible();
  await page.goto('/studio');
  await expect(page).toHaveURL(/\/sign-in/);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/studio$/);
  await page.goto('/settings/privacy');
  await expect(page.getByRole('button', { name: 'Delete my account…' })).toBeVisible();
});
