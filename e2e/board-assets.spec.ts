import { expect, test } from './fixtures.js';
import { sql } from './server-data.js';

const trpc = async (page: import('@playwright/test').Page, baseURL: string, path: string, input: unknown) => {
  const res = await page.request.post(`/trpc/${path}`, { data: { json: input }, headers: { origin: baseURL } });
  expect(res.ok(), await res.text()).toBe(true);
  return ((await res.json()) as { result: { data: { json: Record<string, unknown> } } }).result.data.json;
};

test('an image on a board deleted from the library leaves a "Removed" tile on the board', async ({ signedIn: page, baseURL }) => {
  const me = (await (await page.request.get('/trpc/me.get')).json()) as { result: { data: { json: { workspaces: { id: string }[] } } } };
  const workspaceId = me.result.data.json.workspaces[0]!.id;
  const board = await trpc(page, baseURL!, 'board.create', { workspaceId, name: 'Moodboard' });
  const gen = await trpc(page, baseURL!, 'generation.create', { workspaceId, boardId: board.id, prompt: 'a lighthouse on the board' });
  await page.goto(`/boards/${board.id}`);
  const items = page.getByRole('listbox', { name: 'Items on the board' });
  await expect(items.getByRole('option', { name: /Image: a lighthouse on the board/ })).toBeVisible({ timeout: 20_000 });
  await expect(items.getByRole('img', { name: 'Generated: a lighthouse on the board' })).toBeVisible();
  const assetId = (await sql<{ id: string }>('select id from asset where generation_id = $1', [gen.id])).rows[0]!.id;

  await page.goto(`/library/${assetId}`);
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  // The server asks first, naming the board.
  await expect(page.getByRole('alert').filter({ hasText: 'This image is on a board: Moodboard. Delete anyway?' })).toBeVisible();
  await page.getByRole('button', { name: 'Delete anyway' }).click();
  await expect(page).toHaveURL(/\/library$/);

  await page.goto(`/boards/${board.id}`);
  await expect(items.getByRole('option', { name: 'Removed image' })).toBeVisible({ timeout: 10_000 });
  await expect(items.getByRole('img', { name: 'Removed image' })).toContainText('Removed');
  await expect(items.getByRole('img', { name: /Generated:/ })).toHaveCount(0);
});
