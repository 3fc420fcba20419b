import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import sharp from 'sharp';
import { expect, expectAccessible, test } from './fixtures.js';

test('text-to-image with two outputs, keep one, and the balance goes down', async ({ signedIn: page }) => {
  await page.goto('/studio');
  const balance = page.getByTestId('credits-balance');
  await expect(balance).toContainText('100');
  // No AI model is connected in the e2e server: the studio says so, and the built-in renderer is named for what it is.
  const model = page.getByLabel('Model');
  await expect(model).toHaveValue('offline-preview');
  await expect(model.locator('option')).toHaveText(['Offline preview (no AI model)']);
  await expect(model).toHaveAccessibleDescription(/No AI model is connected.*COMFYUI_URL/);
  await expect(page.getByText(/FLUX\.2 \[klein\] (4B|9B)/)).toHaveCount(0);
  // It ignores steps, so none are offered.
  await expect(page.getByText('Advanced')).toHaveCount(0);
  await page.getByText('2', { exact: true }).click();
  await page.getByLabel('Prompt').fill('Two paper boats on a pond');
  await expect(page.getByRole('button', { name: 'Generate · 2 credits' })).toBeVisible();
  await page.getByRole('button', { name: /^Generate/ }).click();
  await expect(balance).toContainText('98');
  const card = page.getByRole('article', { name: /Two paper boats/ });
  await expect(card.getByTestId('generation-status')).toHaveText('Done');
  await expect(card.getByText(/^Offline preview \(no AI model\) · 1:1/)).toBeVisible();
  await expect(card.getByRole('link', { name: /Open output/ })).toHaveCount(2);
  await card.getByRole('button', { name: 'Keep' }).first().click();
  await expect(card.getByRole('button', { name: 'Kept' })).toHaveCount(1);
  await expectAccessible(page);
});

test('a job whose time reads differently in the browser than on the server: the page hydrates, it is not rendered again', async ({ signedIn: page }) => {
  await page.goto('/studio');
  await page.getByLabel('Prompt').fill('A clock that runs ahead');
  await page.getByRole('button', { name: /^Generate/ }).click();
  const card = page.getByRole('article', { name: /A clock that runs ahead/ });
  await expect(card.getByTestId('generation-status')).toHaveText('Done');
  await expect(card.getByText('just now')).toBeVisible();
  // The browser's clock three hours ahead of the server's: the server writes "just now", the browser reads "3 hours ago".
  const errors: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.clock.install({ time: Date.now() + 3 * 3600_000 });
  await page.reload();
  await expect(card.getByText('3 hours ago')).toBeVisible();
  await expect(page.getByTestId('credits-balance')).toBeVisible();
  // A mismatch React cannot keep makes it throw the server's HTML away and render the whole page again (and say so here).
  expect(errors.filter((e) => /hydrat|did not match|server-rendered|Minified React error/i.test(e))).toEqual([]);
});

test('image-to-image from an uploaded reference', async ({ signedIn: page }) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fk-ref-')), 'red-square.png');
  fs.writeFileSync(file, await sharp({ create: { width: 256, height: 256, channels: 3, background: '#ff0000' } }).png().toBuffer());
  await page.goto('/studio');
  await page.getByLabel('Upload reference images').setInputFiles(file);
  await expect(page.getByRole('img', { name: 'Reference: red-square.png' })).toBeVisible();
  await page.getByLabel('Prompt').fill('The same square, at night');
  await page.getByRole('button', { name: /^Generate/ }).click();
  const card = page.getByRole('article', { name: /The same square, at night/ });
  await expect(card.getByTestId('generation-status')).toHaveText('Done');
  await expect(card.getByText(/1 ref/)).toBeVisible();
  // A file that is not an image is refused with a message.
  const bad = path.join(path.dirname(file), 'notes.png');
  fs.writeFileSync(bad, 'just text');
  await page.getByLabel('Upload reference images').setInputFiles(bad);
  await expect(page.getByRole('alert')).toHaveText('That file is not a PNG, JPEG or WebP image.');
});

test('cancel a running job, then retry it', async ({ signedIn: page }) => {
  await page.goto('/studio');
  await page.getByLabel('Prompt').fill('A slow one to cancel');
  await page.getByRole('button', { name: /^Generate/ }).click();
  const card = page.getByRole('article', { name: /A slow one to cancel/ }).first();
  await expect(card.getByTestId('generation-status')).toHaveText(/Queued|Running/);
  await card.getByRole('button', { name: 'Cancel' }).click();
  await expect(card.getByTestId('generation-status')).toHaveText('Canceled');
  await expect(page.getByTestId('credits-balance')).toContainText('100');
  await card.getByRole('button', { name: 'Retry' }).click();
  const cards = page.getByRole('article', { name: /A slow one to cancel/ });
  await expect(cards).toHaveCount(2);
  await expect(cards.first().getByTestId('generation-status')).toHaveText('Done');
});

test('library: search, filter, favourite and delete', async ({ signedIn: page }) => {
  await page.goto('/studio');
  for (const prompt of ['Mountain lake at sunrise', 'Neon street market in the rain']) {
    await page.getByLabel('Prompt').fill(prompt);
    await page.getByRole('button', { name: /^Generate/ }).click();
    await expect(page.getByRole('article', { name: new RegExp(prompt) }).getByTestId('generation-status')).toHaveText('Done');
  }
  await page.goto('/library');
  const items = page.getByRole('list', { name: 'Library items' }).getByRole('listitem');
  await expect(items).toHaveCount(2);
  // Outputs of the offline renderer are marked as previews.
  await expect(items.first().getByText('Preview', { exact: true })).toBeVisible();
  await page.getByRole('searchbox', { name: 'Search prompts' }).fill('lake');
  await page.getByRole('searchbox', { name: 'Search prompts' }).press('Enter');
  await expect(items).toHaveCount(1);
  await expect(items.first()).toContainText('Mountain lake at sunrise');
  await items.first().getByRole('button', { name: 'Add to favourites' }).click();
  await expect(items.first().getByRole('button', { name: 'Remove from favourites' })).toBeVisible();
  await page.goto('/library');
  await page.getByRole('checkbox', { name: 'Favourites' }).check();
  await expect(page).toHaveURL(/favorites=1/);
  await expect(items).toHaveCount(1);
  await page.getByRole('radiogroup', { name: 'Kind' }).getByText('Videos').click();
  await expect(page.getByRole('heading', { name: 'Nothing matches these filters' })).toBeVisible();
  await expectAccessible(page);
  await page.goto('/library');
  await items.first().getByRole('checkbox').check();
  await items.nth(1).getByRole('checkbox').check();
  await expect(page.getByText('2 selected')).toBeVisible();
  await page.getByRole('button', { name: 'Delete selected' }).click();
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  await expect(page.getByRole('heading', { name: 'Your library is empty' })).toBeVisible();
});

test('a short video renders and plays in the browser', async ({ signedIn: page }) => {
  await page.goto('/studio');
  await page.getByRole('radiogroup', { name: 'What to make' }).getByText('Video').click();
  await expect(page.getByLabel('Model')).toHaveValue('local-motion');
  await expect(page.getByLabel('Model')).toHaveAccessibleDescription(/No AI video model is connected.*FAL_KEY/);
  await page.getByLabel('Clip length').selectOption('2');
  await page.getByLabel('Frame rate').selectOption('8');
  await page.getByLabel('Prompt').fill('Drifting clouds over hills');
  await expect(page.getByRole('button', { name: 'Generate · 2 credits' })).toBeVisible();
  await page.getByRole('button', { name: /^Generate/ }).click();
  const card = page.getByRole('article', { name: /Drifting clouds/ });
  await expect(card.getByTestId('generation-status')).toHaveText('Done', { timeout: 30_000 });
  await expect(card.getByText(/2s · 8 fps/)).toBeVisible();
  await card.getByRole('link', { name: 'Open output 1' }).click();
  const media = page.locator('.detail-media').locator('video, img');
  await expect(media).toBeVisible();
  // Animated: an MP4 plays (its clock advances); an animated WebP (no ffmpeg) decodes and has several frames.
  const tag = await media.evaluate((el) => el.tagName);
  if (tag === 'VIDEO') {
    await expect.poll(() => media.evaluate((el: HTMLVideoElement) => el.currentTime)).toBeGreaterThan(0.2);
  } else {
    await expect.poll(() => media.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBeGreaterThan(0);
    const src = await media.getAttribute('src');
    const res = await page.request.get(src!);
    expect(res.headers()['content-type']).toBe('image/webp');
    const body = await res.body();
    expect(body.includes(Buffer.from('ANMF'))).toBe(true); // WebP animation frames
  }
});
