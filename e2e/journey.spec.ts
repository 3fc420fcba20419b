import { expect, expectAccessible, newUser, test } from './fixtures.js';

test('sign up → generate → live progress → library → full size → download → delete → sign out', async ({ page }) => {
  const user = newUser('journey');
  await page.goto('/');
  await expectAccessible(page);
  await page.getByRole('link', { name: 'Create a free account' }).click();
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel('Name').fill(user.name);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();

  // The studio, with an empty state.
  await expect(page).toHaveURL(/\/studio$/);
  await expect(page.getByRole('heading', { name: 'Nothing here yet' })).toBeVisible();
  await expect(page.getByText("Robin Example's workspace")).toBeVisible();
  await expectAccessible(page);

  await page.getByLabel('Prompt').fill('A red fox in fresh snow, morning light');
  await page.getByText('16:9').click();
  await page.getByLabel('Random').uncheck();
  await page.getByLabel('Seed number').fill('7');
  await page.getByLabel('Prompt').press('Control+Enter');

  // Live: queued/running with a moving progress bar, then done — no reload.
  const card = page.getByRole('article', { name: /A red fox in fresh snow/ });
  const status = card.getByTestId('generation-status');
  await expect(status).toHaveText(/Running \d+%/);
  const bar = card.getByRole('progressbar', { name: 'Generation progress' });
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow').catch(() => '100'))).toBeGreaterThan(0);
  await expect(status).toHaveText('Done');
  const img = card.getByRole('img', { name: 'A red fox in fresh snow, morning light' });
  await expect(img).toBeVisible();
  await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBeGreaterThan(0);
  await expect(card.getByText('16:9 · seed 7')).toBeVisible();

  // Library: the image is there, newest first.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Library' }).click();
  await expect(page.getByRole('heading', { name: 'Library' })).toBeVisible();
  const tiles = page.getByRole('list', { name: 'Library items' }).getByRole('listitem');
  await expect(tiles).toHaveCount(1);
  await expectAccessible(page);
  await tiles.first().getByRole('link').click();

  // Full size, with its details.
  await expect(page.getByRole('heading', { name: 'A red fox in fresh snow, morning light' })).toBeVisible();
  const full = page.getByRole('img', { name: 'A red fox in fresh snow, morning light' });
  await expect.poll(() => full.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBe(1344);
  await expect(page.getByText('1344 × 768')).toBeVisible();
  await expectAccessible(page);

  const downloadPromise = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download' }).click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toMatch(/^flux-klein-[0-9a-f]{8}\.png$/);
  const stream = await download.createReadStream();
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  expect(Buffer.concat(chunks).subarray(1, 4).toString()).toBe('PNG');

  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  await expect(page).toHaveURL(/\/library$/);
  await expect(page.getByRole('heading', { name: 'Your library is empty' })).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('link', { name: 'Create a free account' })).toBeVisible();
  await page.goto('/studio');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fstudio$/);
});

test('a toast follows the user to another page when the job finishes', async ({ signedIn: page }) => {
  await page.goto('/studio');
  await page.getByLabel('Prompt').fill('Lanterns over a quiet harbour');
  await page.getByRole('button', { name: /^Generate/ }).click();
  await expect(page.getByRole('article', { name: /Lanterns over a quiet harbour/ }).getByTestId('generation-status')).toHaveText(/Queued|Running/);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Library' }).click();
  await expect(page).toHaveURL(/\/library$/);
  const toast = page.getByRole('status').filter({ hasText: 'Image ready' });
  await expect(toast).toBeVisible();
  await expect(toast).toContainText('Lanterns over a quiet harbour');
  await toast.getByRole('link', { name: 'Open' }).click();
  await expect(page.getByRole('heading', { name: 'Lanterns over a quiet harbour' })).toBeVisible();
});

test('refusals are shown in words a person can act on', async ({ signedIn: page, baseURL }) => {
  await page.goto('/studio');
  await page.getByRole('button', { name: /^Generate/ }).click();
  await expect(page.getByRole('alert')).toHaveText('Enter a prompt describing the image.');
  await page.getByLabel('Prompt').fill('x'.repeat(2001));
  await page.getByRole('button', { name: /^Generate/ }).click();
  await expect(page.getByRole('alert')).toHaveText('Keep the prompt under 2,000 characters.');
  await expect(page.getByRole('heading', { name: 'Nothing here yet' })).toBeVisible();

  // A tRPC mutation sent from a foreign origin is refused, and nothing is stored.
  const foreign = await page.request.post('/trpc/generation.create', {
    headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
    data: { json: { prompt: 'csrf attempt' } },
  });
  expect(foreign.status()).toBe(403);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Nothing here yet' })).toBeVisible();

  // A file id that is not yours answers 404.
  const missing = await page.request.get(`${baseURL}/files/00000000-0000-4000-8000-000000000000`);
  expect(missing.status()).toBe(404);
});

test('sign-in with a wrong password says so and does not sign in', async ({ page, user, baseURL }) => {
  await page.request.post('/api/auth/sign-up/email', { data: { ...user }, headers: { origin: baseURL! } });
  await page.context().clearCookies({ name: 'better-auth.session_token' });
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('That email and password do not match an account.');
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/studio$/);
});
