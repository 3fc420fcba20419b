/**
 * Keyboard and screen readers: `?` opens the page's shortcuts (studio, library, an item, a board),
 * `/` jumps to the page's field, and the studio reads job progress and results out through a
 * polite live region ("Generation done: 2 images").
 */
import { expect, test } from './fixtures.js';

async function openShortcuts(page: import('@playwright/test').Page) {
  // Out of any text field first: there `?` is a character.
  await page.locator('body').click({ position: { x: 2, y: 2 } });
  await page.keyboard.press('Shift+?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toBeVisible();
  return dialog;
}

test('the studio announces a job politely, from queued to "Generation done: 2 images", and lists its shortcuts on ?', async ({ signedIn: page }) => {
  await page.goto('/studio');
  const live = page.getByTestId('studio-announcer');
  await expect(live).toHaveAttribute('aria-live', 'polite');
  await expect(live).toHaveAttribute('role', 'status');
  await expect(live).toHaveText('');
  await page.getByLabel('Prompt').fill('Two paper boats on a pond');
  await page.getByRole('radiogroup', { name: 'Number of outputs' }).getByText('2', { exact: true }).click();
  await page.getByRole('button', { name: /^Generate/ }).click();
  await expect(live).toHaveText(/Generation (queued|running)\./);
  await expect(live).toHaveText('Generation done: 2 images.', { timeout: 30_000 });

  const dialog = await openShortcuts(page);
  await expect(dialog.getByRole('heading', { name: 'Studio' })).toBeVisible();
  await expect(dialog.getByText('Generate (in the prompt)')).toBeVisible();
  await expect(dialog.getByText('Go to the prompt')).toBeVisible();
  await expect(dialog.getByRole('heading', { name: 'Everywhere' })).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Close' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  // `/` goes to the prompt.
  await page.keyboard.press('/');
  await expect(page.getByLabel('Prompt')).toBeFocused();
  await expect(page.getByLabel('Prompt')).toHaveValue('Two paper boats on a pond');
});

test('the library, an item and a board list their own shortcuts on ?; Escape closes the list without leaving the page', async ({ signedIn: page, baseURL }) => {
  // One finished image to open.
  const res = await page.request.post('/trpc/generation.create', { data: { json: { prompt: 'A kite over the dunes' } }, headers: { origin: baseURL! } });
  expect(res.ok()).toBe(true);
  // The library lists it once it is done (the page shows what was there when it loaded).
  await expect(async () => {
    await page.goto('/library');
    await expect(page.getByRole('link', { name: /Open: A kite over the dunes/ })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  let dialog = await openShortcuts(page);
  await expect(dialog.getByRole('heading', { name: 'Library' })).toBeVisible();
  await expect(dialog.getByText('Search the library')).toBeVisible();
  await page.keyboard.press('Escape');
  await page.keyboard.press('/');
  await expect(page.getByRole('searchbox')).toBeFocused();

  await page.getByRole('link', { name: /Open: A kite over the dunes/ }).click();
  await expect(page).toHaveURL(/\/library\/[0-9a-f-]{36}$/);
  dialog = await openShortcuts(page);
  await expect(dialog.getByText('Back to the library')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(page).toHaveURL(/\/library\/[0-9a-f-]{36}$/);

  const me = (await (await page.request.get('/trpc/me.get')).json()) as { result: { data: { json: { workspaces: { id: string; kind: string }[] } } } };
  const workspaceId = me.result.data.json.workspaces.find((w) => w.kind === 'personal')!.id;
  const board = await page.request.post('/trpc/board.create', { data: { json: { workspaceId, name: 'Shortcut board' } }, headers: { origin: baseURL! } });
  expect(board.ok()).toBe(true);
  const { id } = ((await board.json()) as { result: { data: { json: { id: string } } } }).result.data.json;
  await page.goto(`/boards/${id}`);
  dialog = await openShortcuts(page);
  await expect(dialog.getByRole('heading', { name: /^Board/ })).toBeVisible();
  for (const does of ['Add a note', 'Undo your last change', 'Zoom in or out', 'Remove the selection']) await expect(dialog.getByText(does)).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);
});
