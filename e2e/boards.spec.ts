import type { Browser, BrowserContext, Page } from '@playwright/test';
import { expect, expectAccessible, newUser, test, type E2EUser } from './fixtures.js';
import { linkFromMail, sql } from './server-data.js';

const inviteLink = (to: string) => linkFromMail(to, /invited you to/, /https?:\/\/\S+\/invite\/\S+/);

/** A browser context signed in as a new user (through better-auth's HTTP API). */
async function person(browser: Browser, baseURL: string, name: string, prefix: string): Promise<{ ctx: BrowserContext; page: Page; user: E2EUser }> {
  const ctx = await browser.newContext({ baseURL });
  const page = await ctx.newPage();
  const user = { ...newUser(prefix), name };
  expect((await page.request.post('/api/auth/sign-up/email', { data: user, headers: { origin: baseURL } })).ok()).toBe(true);
  expect((await page.request.post('/api/auth/sign-in/email', { data: { email: user.email, password: user.password }, headers: { origin: baseURL } })).ok()).toBe(true);
  return { ctx, page, user };
}

const item = (page: Page, name: RegExp) => page.getByRole('listbox', { name: 'Items on the board' }).getByRole('option', { name });

test('two people on one board: invite, accept, move a card, cursors, a generation for both, a viewer cannot edit', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const ana = await person(browser, baseURL!, 'Ana Owner', 'ana');
  const ben = await person(browser, baseURL!, 'Ben Editor', 'ben');
  const vic = await person(browser, baseURL!, 'Vic Viewer', 'vic');
  await sql('update "user" set "emailVerified" = true where email = $1', [ana.user.email]);

  // Ana creates a team workspace and invites Ben (editor) and Vic (viewer).
  const a = ana.page;
  await a.goto('/workspaces');
  await expectAccessible(a);
  await a.getByLabel('Workspace name').fill('Studio Nord');
  await a.getByRole('button', { name: 'Create workspace' }).click();
  await expect(a.getByRole('heading', { name: 'Studio Nord', level: 1 })).toBeVisible();
  await expect(a.getByRole('button', { name: 'Current workspace: Studio Nord' })).toBeVisible();
  const workspaceId = a.url().split('/workspaces/')[1]!;
  await sql(`insert into credit_ledger (workspace_id, user_id, delta, reason, ref) values ($1, null, 100, 'e2e_grant', $2)`, [workspaceId, `e2e-${workspaceId}`]);
  for (const [who, role] of [
    [ben, 'editor'],
    [vic, 'viewer'],
  ] as const) {
    await a.getByLabel('Email address').fill(who.user.email);
    await a.getByLabel('Role', { exact: true }).selectOption(role);
    await a.getByRole('button', { name: 'Send invitation' }).click();
    await expect(a.getByRole('status').filter({ hasText: `Invitation sent to ${who.user.email}` })).toBeVisible();
  }
  await expect(a.getByRole('list', { name: 'Pending invitations' }).getByRole('listitem')).toHaveCount(2);
  await expectAccessible(a);

  // Ben and Vic accept from the emailed link.
  for (const who of [ben, vic]) {
    await who.page.goto(await inviteLink(who.user.email));
    await expect(who.page.getByRole('heading', { name: 'Join Studio Nord' })).toBeVisible();
    await expectAccessible(who.page);
    await who.page.getByRole('button', { name: 'Accept and join Studio Nord' }).click();
    await expect(who.page).toHaveURL(/\/boards$/);
    await expect(who.page.getByRole('button', { name: 'Current workspace: Studio Nord' })).toBeVisible();
  }
  // Ana hears that they accepted.
  await expect(a.getByRole('button', { name: /Notifications, \d+ unread/ })).toBeVisible();

  // Ana makes a board and adds a note; Ben opens it.
  await a.goto('/boards');
  await a.getByLabel('Board name').fill('Spring campaign');
  await a.getByRole('button', { name: 'Create board' }).click();
  await expect(a.getByRole('heading', { name: 'Spring campaign' })).toBeVisible();
  await expect(a.getByTestId('board-status')).toHaveText('All changes saved');
  const boardUrl = a.url();
  await ben.page.goto(boardUrl);
  await expect(ben.page.getByTestId('board-status')).toHaveText('All changes saved');
  await a.getByRole('button', { name: /Add a note/ }).click();
  const note = item(a, /^Note: /);
  await expect(note).toBeVisible();
  await note.press('Enter');
  await a.getByLabel(/Note text/).fill('Palette: sand and teal');
  await a.getByLabel(/Note text/).press('Control+Enter');
  const benNote = item(ben.page, /Note: Palette: sand and teal/);
  await expect(benNote).toBeVisible();
  await expectAccessible(a);

  // Ana drags the card; Ben sees it move.
  const before = await benNote.evaluate((el) => (el as HTMLElement).style.left);
  const box = (await note.boundingBox())!;
  await a.mouse.move(box.x + 40, box.y + 40);
  await a.mouse.down();
  await a.mouse.move(box.x + 120, box.y + 90, { steps: 8 });
  await a.mouse.move(box.x + 200, box.y + 140, { steps: 8 });
  await a.mouse.up();
  await expect(a.getByTestId('board-status')).toHaveText('All changes saved');
  const moved = await note.evaluate((el) => (el as HTMLElement).style.left);
  expect(moved).not.toBe(before);
  await expect(benNote).toHaveAttribute('style', new RegExp(`left: ${moved.replace('.', '\\.')}`));

  // Ben's cursor shows on Ana's screen, with his name; both see each other's avatar.
  const canvas = ben.page.getByTestId('board-canvas');
  const cb = (await canvas.boundingBox())!;
  await ben.page.mouse.move(cb.x + 300, cb.y + 200);
  await ben.page.mouse.move(cb.x + 320, cb.y + 220, { steps: 4 });
  await expect(a.getByTestId('remote-cursor').filter({ hasText: 'Ben Editor' })).toBeVisible();
  await expect(a.getByRole('list', { name: /On this board: 2 people/ })).toBeVisible();

  // Ben generates from the board: the placeholder, then the image, appear for both.
  await ben.page.getByLabel('Generate onto the board').fill('A teal lighthouse at dusk');
  await ben.page.getByRole('button', { name: 'Generate', exact: true }).click();
  for (const p of [a, ben.page]) await expect(item(p, /A teal lighthouse at dusk/)).toBeVisible();
  for (const p of [a, ben.page]) await expect(item(p, /^Image: A teal lighthouse at dusk/)).toBeVisible({ timeout: 30_000 });
  await expect(ben.page.getByRole('button', { name: /Notifications, \d+ unread/ })).toBeVisible();

  // Vic (viewer) sees everything but cannot change it.
  const v = vic.page;
  await v.goto(boardUrl);
  await expect(v.getByText('View only')).toBeVisible();
  await expect(item(v, /Note: Palette: sand and teal/)).toBeVisible();
  await expect(v.getByRole('button', { name: /Add a note/ })).toHaveCount(0);
  await item(v, /Note: Palette: sand and teal/).click();
  await v.keyboard.press('Delete');
  await v.keyboard.press('n');
  await expect(item(v, /Note: /)).toHaveCount(1);
  await expect(item(a, /Note: /)).toHaveCount(1);
  await expectAccessible(v);

  await a.goto('/notifications');
  await expect(a.getByRole('heading', { name: 'Notifications' })).toBeVisible();
  await expectAccessible(a);
  for (const p of [ana, ben, vic]) await p.ctx.close();
});
