import type { Browser, BrowserContext, Locator, Page } from '@playwright/test';
import { CONSENT_COOKIE, encodeConsentCookie } from '../server/shared/consent.js';
import { expect, expectAccessible, newUser, test, type E2EUser } from './fixtures.js';
import { linkFromMail, sql } from './server-data.js';

// ---- helpers (the same ways of arranging people as boards.spec.ts) ----

const inviteLink = (to: string) => linkFromMail(to, /invited you to/, /https?:\/\/\S+\/invite\/\S+/);

type Person = { ctx: BrowserContext; page: Page; user: E2EUser };

/** A browser context signed in as a new user (through better-auth's HTTP API), cookie choice made. */
async function person(browser: Browser, baseURL: string, name: string, prefix: string, opts: { verified?: boolean } = {}): Promise<Person> {
  const ctx = await browser.newContext({ baseURL });
  await ctx.addCookies([{ name: CONSENT_COOKIE, value: encodeConsentCookie({ preferences: false, analytics: false }, new Date()), url: baseURL }]);
  const page = await ctx.newPage();
  const user = { ...newUser(prefix), name };
  expect((await page.request.post('/api/auth/sign-up/email', { data: user, headers: { origin: baseURL } })).ok()).toBe(true);
  expect((await page.request.post('/api/auth/sign-in/email', { data: { email: user.email, password: user.password }, headers: { origin: baseURL } })).ok()).toBe(true);
  if (opts.verified) await sql('update "user" set "emailVerified" = true where email = $1', [user.email]);
  return { ctx, page, user };
}

/** Creates a team workspace from /workspaces; the page is left on its settings page. */
async function createWorkspace(page: Page, name: string) {
  await page.goto('/workspaces');
  await page.getByLabel('Workspace name').fill(name);
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
}

/** From the workspace page: invites an address with a role. */
async function invite(page: Page, email: string, role: 'viewer' | 'editor' | 'admin') {
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Role', { exact: true }).selectOption(role);
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Invitation sent to ${email}` })).toBeVisible();
}

async function acceptFromEmail(who: Person, workspace: string) {
  await who.page.goto(await inviteLink(who.user.email));
  await who.page.getByRole('button', { name: `Accept and join ${workspace}` }).click();
  await expect(who.page).toHaveURL(/\/boards$/);
}

async function createBoard(page: Page, name: string) {
  await page.goto('/boards');
  await page.getByLabel('Board name').fill(name);
  await page.getByRole('button', { name: 'Create board' }).click();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
  await expect(page.getByTestId('board-status')).toHaveText('All changes saved');
}

const items = (page: Page) => page.getByRole('listbox', { name: 'Items on the board' }).getByRole('option');
const item = (page: Page, name: RegExp) => page.getByRole('listbox', { name: 'Items on the board' }).getByRole('option', { name });

async function box(l: Locator) {
  const b = await l.boundingBox();
  if (!b) throw new Error('not visible');
  return b;
}

// ---- 1. rename and delete ----

test('editors rename a board in place, only admins delete it (after confirming), and the others are told it is gone', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const ana = await person(browser, baseURL!, 'Ana Owner', 'ana', { verified: true });
  const ben = await person(browser, baseURL!, 'Ben Editor', 'ben');
  const vic = await person(browser, baseURL!, 'Vic Viewer', 'vic');
  const a = ana.page;
  await createWorkspace(a, 'Atelier Sud');
  await invite(a, ben.user.email, 'editor');
  await invite(a, vic.user.email, 'viewer');
  await acceptFromEmail(ben, 'Atelier Sud');
  await acceptFromEmail(vic, 'Atelier Sud');

  await createBoard(a, 'Moodboard');
  const boardUrl = a.url();
  for (const p of [ben.page, vic.page]) {
    await p.goto(boardUrl);
    await expect(p.getByTestId('board-status')).toHaveText('All changes saved');
  }

  // What each role is offered: the viewer neither, the editor renames, the owner also deletes.
  await expect(vic.page.getByRole('heading', { name: 'Moodboard', level: 1 })).toBeVisible();
  await expect(vic.page.getByRole('button', { name: 'Rename board' })).toHaveCount(0);
  await expect(vic.page.getByRole('button', { name: 'Delete board' })).toHaveCount(0);
  await expect(ben.page.getByRole('button', { name: 'Rename board' })).toBeVisible();
  await expect(ben.page.getByRole('button', { name: 'Delete board' })).toHaveCount(0);
  await expect(a.getByRole('button', { name: 'Rename board' })).toBeVisible();
  await expect(a.getByRole('button', { name: 'Delete board' })).toBeVisible();

  // Escape cancels an edit and gives focus back to the button.
  await a.getByRole('button', { name: 'Rename board' }).click();
  const field = a.getByRole('textbox', { name: 'Board name' });
  await expect(field).toBeFocused();
  await expect(field).toHaveValue('Moodboard');
  await field.fill('Something else');
  await field.press('Escape');
  await expect(field).toHaveCount(0);
  await expect(a.getByRole('heading', { name: 'Moodboard', level: 1 })).toBeVisible();
  await expect(a.getByRole('button', { name: 'Rename board' })).toBeFocused();

  // A refusal from the server is shown, and nothing changes.
  await a.keyboard.press('Enter');
  await field.fill('   ');
  await field.press('Enter');
  await expect(a.getByRole('alert').filter({ hasText: 'Give the board a name.' })).toBeVisible();
  await expect(field).toBeVisible();
  await expectAccessible(a);
  await field.press('Escape');

  // Enter saves; everyone on the board sees the new name at once.
  await a.getByRole('button', { name: 'Rename board' }).click();
  await field.fill('Moodboard spring');
  await field.press('Enter');
  await expect(a.getByRole('heading', { name: 'Moodboard spring', level: 1 })).toBeVisible();
  for (const p of [ben.page, vic.page]) await expect(p.getByRole('heading', { name: 'Moodboard spring', level: 1 })).toBeVisible();

  // The editor renames too; after a reload the stored name is there, and on the list.
  await ben.page.getByRole('button', { name: 'Rename board' }).click();
  await ben.page.getByRole('textbox', { name: 'Board name' }).fill('Spring moodboard');
  await ben.page.getByRole('button', { name: 'Save' }).click();
  await expect(a.getByRole('heading', { name: 'Spring moodboard', level: 1 })).toBeVisible();
  await a.reload();
  await expect(a.getByRole('heading', { name: 'Spring moodboard', level: 1 })).toBeVisible();
  await expect(a).toHaveTitle(/Spring moodboard/);
  await vic.page.goto('/boards');
  await expect(vic.page.getByRole('list', { name: 'Boards' }).getByRole('link', { name: /Spring moodboard/ })).toBeVisible();
  await vic.page.goto(boardUrl);
  await expect(vic.page.getByTestId('board-status')).toHaveText('All changes saved');

  // Deleting asks first, in a dialog that names the board; Escape and Cancel keep it.
  await a.getByRole('button', { name: 'Delete board' }).click();
  const dialog = a.getByRole('dialog', { name: 'Delete “Spring moodboard”?' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await expectAccessible(a);
  await a.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(a.getByRole('button', { name: 'Delete board' })).toBeFocused();
  await a.getByRole('button', { name: 'Delete board' }).click();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(a.getByRole('heading', { name: 'Spring moodboard', level: 1 })).toBeVisible();

  // Confirmed: the owner lands on the list without the board.
  await a.getByRole('button', { name: 'Delete board' }).click();
  await dialog.getByRole('button', { name: 'Delete board' }).click();
  await expect(a).toHaveURL(/\/boards$/);
  await expect(a.getByRole('status').filter({ hasText: 'Deleted “Spring moodboard”.' })).toBeVisible();
  await expect(a.getByRole('link', { name: /Spring moodboard/ })).toHaveCount(0);
  await expect(a.getByRole('heading', { name: 'No boards yet' })).toBeVisible();

  // The others on the board are told, with a way back; the board is gone from their list too.
  for (const p of [ben.page, vic.page]) {
    await expect(p.getByRole('alert').getByRole('heading', { name: 'This board was deleted' })).toBeVisible();
    await expect(items(p)).toHaveCount(0);
  }
  await expectAccessible(ben.page);
  await ben.page.getByRole('link', { name: 'Back to boards' }).click();
  await expect(ben.page).toHaveURL(/\/boards$/);
  await expect(ben.page.getByRole('heading', { name: 'No boards yet' })).toBeVisible();
  // A deleted board's address is not found.
  const res = await vic.page.goto(boardUrl);
  expect(res?.status()).toBe(404);
  for (const p of [ana, ben, vic]) await p.ctx.close();
});

test('an owner deletes a board from the list of boards, after confirming', async ({ signedIn: page }) => {
  await createBoard(page, 'Old sketches');
  await page.goto('/boards');
  const list = page.getByRole('list', { name: 'Boards' });
  await expect(list.getByRole('link', { name: /Old sketches/ })).toBeVisible();
  await list.getByRole('button', { name: 'Delete Old sketches' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete “Old sketches”?' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await dialog.getByRole('button', { name: 'Delete board' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Deleted “Old sketches”.' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'No boards yet' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'No boards yet' })).toBeVisible();
  await expectAccessible(page);
});

// ---- 2. an invitation in the bell ----

test('an invited user who is signed in sees the invitation arrive in the bell, live', async ({ browser, baseURL }) => {
  test.setTimeout(90_000);
  const ana = await person(browser, baseURL!, 'Ana Owner', 'ana', { verified: true });
  const bea = await person(browser, baseURL!, 'Bea Invited', 'bea', { verified: true });
  await createWorkspace(ana.page, 'Maison Bleue');
  const b = bea.page;
  await b.goto('/boards');
  await expect(b.getByRole('button', { name: 'Notifications', exact: true })).toBeVisible();

  await invite(ana.page, bea.user.email, 'editor');
  // No reload: the count arrives over the socket.
  const bell = b.getByRole('button', { name: 'Notifications, 1 unread' });
  await expect(bell).toBeVisible();
  await bell.focus();
  await b.keyboard.press('Enter');
  const panel = b.getByRole('region', { name: 'Notifications' });
  await expect(panel.getByText('Ana Owner invited you to Maison Bleue')).toBeVisible();
  await expectAccessible(b);

  await b.goto('/notifications');
  await expect(b.getByRole('list', { name: 'Notifications' }).getByRole('listitem').filter({ hasText: 'Ana Owner invited you to Maison Bleue' })).toHaveCount(1);
  for (const p of [ana, bea]) await p.ctx.close();
});

test('an invited user accepts from the notification, without the email: from the bell and /notifications to the workspace', async ({ browser, baseURL }) => {
  test.setTimeout(90_000);
  const ana = await person(browser, baseURL!, 'Ana Owner', 'ana', { verified: true });
  const bea = await person(browser, baseURL!, 'Bea Invited', 'bea', { verified: true });
  await createWorkspace(ana.page, 'Maison Verte');
  const b = bea.page;
  await b.goto('/notifications');
  await invite(ana.page, bea.user.email, 'editor');

  // On /notifications (it arrives live) the notification is a link to the invitation.
  const row = b.getByRole('list', { name: 'Notifications' }).getByRole('listitem').filter({ hasText: 'Ana Owner invited you to Maison Verte' });
  await expect(row.getByRole('link', { name: /^Open invitation\s*: Ana Owner invited you to Maison Verte$/ })).toHaveAttribute('href', /^\/invitations\/[0-9a-f-]{36}$/);
  await expectAccessible(b);

  // From the bell, with the keyboard.
  await b.getByRole('button', { name: 'Notifications, 1 unread' }).click();
  const open = b.getByRole('region', { name: 'Notifications' }).getByRole('link', { name: /Ana Owner invited you to Maison Verte.*Open invitation/ });
  await expect(open).toBeVisible();
  await expectAccessible(b);
  await open.focus();
  await b.keyboard.press('Enter');
  await expect(b.getByRole('heading', { name: 'Join Maison Verte' })).toBeVisible();
  await expect(b.getByRole('button', { name: 'Notifications', exact: true })).toBeVisible(); // opening it marked it read
  await expectAccessible(b);
  await b.getByRole('button', { name: 'Accept and join Maison Verte' }).click();
  await expect(b).toHaveURL(/\/boards$/);
  await expect(b.getByRole('button', { name: 'Current workspace: Maison Verte' })).toBeVisible();

  for (const p of [ana, bea]) await p.ctx.close();
});

test('a notification sent while the tab was not yet listening shows once its socket connects (events are not replayed: the bell and the page read again)', async ({ browser, baseURL }) => {
  test.setTimeout(90_000);
  const ana = await person(browser, baseURL!, 'Ana Owner', 'ana', { verified: true });
  const bea = await person(browser, baseURL!, 'Bea Late', 'bea', { verified: true });
  await createWorkspace(ana.page, 'Maison Grise');
  const b = bea.page;
  // Bea's socket is held before it reaches the server, as on a slow start or a reconnect.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  await b.routeWebSocket(/\/socket\.io\//, async (ws) => {
    await gate;
    ws.connectToServer();
  });
  await b.goto('/notifications');
  await expect(b.getByRole('heading', { name: 'Nothing yet' })).toBeVisible();
  await invite(ana.page, bea.user.email, 'viewer');
  await expect
    .poll(async () => (await sql<{ n: number }>('select count(*)::int as n from notification n join "user" u on u.id = n.user_id where u.email = $1', [bea.user.email])).rows[0]!.n)
    .toBe(1);
  await expect(b.getByRole('heading', { name: 'Nothing yet' })).toBeVisible(); // sent to nobody: not connected

  release();
  const row = b.getByRole('list', { name: 'Notifications' }).getByRole('listitem').filter({ hasText: 'Ana Owner invited you to Maison Grise' });
  await expect(row).toHaveCount(1);
  await expect(b.getByRole('button', { name: 'Notifications, 1 unread' })).toBeVisible();
  for (const p of [ana, bea]) await p.ctx.close();
});

test('a board still joining shows its editor the editor\'s controls (none vanish and come back), and takes no edit until it has joined', async ({ signedIn: page }) => {
  await createBoard(page, 'Slow start');
  const url = page.url();
  // The tab's socket is held before it reaches the server, as on a slow start.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  await page.routeWebSocket(/\/socket\.io\//, async (ws) => {
    await gate;
    ws.connectToServer();
  });
  await page.goto(url);
  await expect(page.getByTestId('board-status')).toHaveText('Connecting…');
  await expect(page.getByTestId('board-canvas')).toBeVisible(); // the page has its client: not joined yet
  await expect(page.getByRole('button', { name: 'Rename board' })).toBeVisible();
  await expect(page.getByText('View only', { exact: true })).toHaveCount(0);
  await expect(page.getByText('This board cannot be changed right now.')).toHaveCount(0);
  // A note added now would be kept only in this tab: nothing happens until the board is joined.
  await page.getByRole('button', { name: /Add a note/ }).click();
  await expect(items(page)).toHaveCount(0);

  release();
  await expect(page.getByTestId('board-status')).toHaveText('All changes saved');
  await expect(page.getByRole('button', { name: 'Rename board' })).toBeVisible();
  await page.getByRole('button', { name: /Add a note/ }).click();
  await expect(items(page)).toHaveCount(1);
  await expect(page.getByTestId('board-status')).toHaveText('All changes saved');
});

// ---- 3. rubber-band selection ----

async function addNote(page: Page, text: string) {
  await page.getByRole('button', { name: /Add a note/ }).click();
  const note = item(page, /^Note: empty/).last();
  await expect(note).toBeFocused();
  await note.press('Enter');
  await page.getByLabel(/Note text/).fill(text);
  await page.getByLabel(/Note text/).press('Control+Enter');
  const saved = item(page, new RegExp(`^Note: ${text}`));
  await expect(saved).toBeFocused();
  return saved;
}

async function dragFrom(page: Page, from: { x: number; y: number }, to: { x: number; y: number }, during?: () => Promise<void>) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 5 });
  await page.mouse.move(to.x, to.y, { steps: 5 });
  await during?.();
  await page.mouse.up();
}

test('dragging across empty board space selects the notes it touches, zoomed and panned; Space+drag pans; Escape clears; Delete removes them for good', async ({ signedIn: page }) => {
  test.setTimeout(90_000);
  await createBoard(page, 'Marquee board');
  // New notes go next to each other around the middle: Alpha there, Beta to its right, Gamma below.
  const alpha = await addNote(page, 'Alpha');
  const beta = await addNote(page, 'Beta');
  const gamma = await addNote(page, 'Gamma');
  const [a0, b0, g0] = [await box(alpha), await box(beta), await box(gamma)];
  expect(b0.x).toBeGreaterThan(a0.x + a0.width);
  expect(g0.y).toBeGreaterThan(a0.y + a0.height);
  await expect(page.getByTestId('board-status')).toHaveText('All changes saved');
  const selected = items(page).and(page.locator('[aria-selected="true"]'));

  // Zoomed out and panned: Space+drag moves the board and leaves the selection (the new Gamma) alone.
  await expect(selected).toHaveCount(1);
  await page.getByRole('button', { name: 'Zoom out' }).click();
  await expect(page.getByText('83%')).toBeVisible();
  const canvas = await box(page.getByTestId('board-canvas'));
  const empty = { x: canvas.x + 40, y: canvas.y + canvas.height - 40 };
  const before = await box(alpha);
  await page.mouse.move(empty.x, empty.y);
  await page.keyboard.down('Space');
  await dragFrom(page, empty, { x: empty.x + 60, y: empty.y - 30 });
  await page.keyboard.up('Space');
  const after = await box(alpha);
  expect(Math.round(after.x - before.x)).toBe(60);
  expect(Math.round(after.y - before.y)).toBe(-30);
  await expect(page.getByTestId('marquee')).toHaveCount(0);
  await expect(selected).toHaveCount(1);
  await expect(gamma).toHaveAttribute('aria-selected', 'true');
  // The middle button pans too (back by half).
  await page.mouse.move(empty.x, empty.y);
  await page.mouse.down({ button: 'middle' });
  await page.mouse.move(empty.x - 30, empty.y + 15, { steps: 4 });
  await page.mouse.up({ button: 'middle' });
  const panned = await box(alpha);
  expect(Math.round(panned.x - after.x)).toBe(-30);
  expect(Math.round(panned.y - after.y)).toBe(15);

  // A rectangle from above-left of Alpha to the middle of Beta: both, not Gamma; the board stays put.
  const [a, b] = [await box(alpha), await box(beta)];
  await dragFrom(page, { x: a.x - 20, y: a.y - 20 }, { x: b.x + b.width / 2, y: b.y + b.height / 2 }, async () => {
    await expect(page.getByTestId('marquee')).toBeVisible();
  });
  await expect(page.getByTestId('marquee')).toHaveCount(0);
  expect(await box(alpha)).toEqual(a);
  await expect(alpha).toHaveAttribute('aria-selected', 'true');
  await expect(beta).toHaveAttribute('aria-selected', 'true');
  await expect(gamma).toHaveAttribute('aria-selected', 'false');
  await expect(page.getByRole('button', { name: 'Delete 2' })).toBeEnabled();

  // Escape clears the selection.
  await page.keyboard.press('Escape');
  await expect(selected).toHaveCount(0);

  // Shift adds to what is selected: Gamma, then Alpha with Shift.
  const g = await box(gamma);
  await dragFrom(page, { x: g.x + g.width + 20, y: g.y + g.height + 20 }, { x: g.x + g.width - 10, y: g.y + g.height - 10 });
  await expect(selected).toHaveCount(1);
  await expect(gamma).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.down('Shift');
  await dragFrom(page, { x: a.x - 20, y: a.y + a.height + 20 }, { x: a.x + 10, y: a.y + a.height - 10 });
  await page.keyboard.up('Shift');
  await expect(selected).toHaveCount(2);
  await expect(alpha).toHaveAttribute('aria-selected', 'true');
  await expect(gamma).toHaveAttribute('aria-selected', 'true');
  // A click on empty space (no drag) clears it.
  await page.mouse.click(empty.x, empty.y);
  await expect(selected).toHaveCount(0);

  // Around Alpha and Beta again, Delete: Gamma remains, also after a reload.
  await dragFrom(page, { x: a.x - 20, y: a.y - 20 }, { x: b.x + b.width / 2, y: b.y + b.height / 2 });
  await expect(selected).toHaveCount(2);
  await page.keyboard.press('Delete');
  await expect(items(page)).toHaveCount(1);
  await expect(gamma).toBeVisible();
  await expect(page.getByTestId('board-status')).toHaveText('All changes saved');
  await expectAccessible(page);
  await page.reload();
  await expect(page.getByTestId('board-status')).toHaveText('All changes saved');
  await expect(items(page)).toHaveCount(1);
  await expect(item(page, /^Note: Gamma/)).toBeVisible();
});

test('arranging: bring a note to front with ], send it to back with the toolbar; it stays after reload', async ({ signedIn: page }) => {
  await createBoard(page, 'Layers');
  const first = await addNote(page, 'First');
  const second = await addNote(page, 'Second');
  const z = async (l: Locator) => Number(await l.evaluate((el) => getComputedStyle(el).zIndex));
  expect(await z(second)).toBeGreaterThan(await z(first));
  await first.click();
  await first.press(']');
  await expect.poll(async () => (await z(first)) > (await z(second))).toBe(true);
  await page.getByRole('button', { name: 'To back' }).click();
  await expect.poll(async () => (await z(first)) < (await z(second))).toBe(true);
  await expect(page.getByTestId('board-status')).toHaveText('All changes saved');
  await page.reload();
  await expect(page.getByTestId('board-status')).toHaveText('All changes saved');
  expect(await z(item(page, /^Note: First/))).toBeLessThan(await z(item(page, /^Note: Second/)));
});

// ---- 4. undo per person ----

const px = (l: Locator, prop: 'left' | 'top' | 'width' | 'height') => l.evaluate((el, p) => parseFloat((el as HTMLElement).style[p]), prop);

test('undo is per person: Ana’s Ctrl+Z takes back only her move, Ben’s edits stay on both screens; Ctrl+Shift+Z and the toolbar redo; stored', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const ana = await person(browser, baseURL!, 'Ana Owner', 'ana', { verified: true });
  const ben = await person(browser, baseURL!, 'Ben Editor', 'ben');
  const [a, b] = [ana.page, ben.page];
  await createWorkspace(a, 'Atelier Undo');
  await invite(a, ben.user.email, 'editor');
  await acceptFromEmail(ben, 'Atelier Undo');
  await createBoard(a, 'Undo board');
  await b.goto(a.url());
  await expect(b.getByTestId('board-status')).toHaveText('All changes saved');

  const anaNote = await addNote(a, 'Ana idea');
  await addNote(b, 'Ben idea');
  const onBoth = (name: RegExp) => [item(a, name), item(b, name)] as const;
  for (const l of [...onBoth(/^Note: Ana idea/), ...onBoth(/^Note: Ben idea/)]) await expect(l).toBeVisible();
  const x0 = await px(anaNote, 'left');
  const benY0 = await px(item(b, /^Note: Ben idea/), 'top');

  // Ana moves her note (Shift+→, 50 px); Ben then moves his and rewrites the text of hers.
  await anaNote.press('Shift+ArrowRight');
  for (const l of onBoth(/^Note: Ana idea/)) await expect.poll(() => px(l, 'left')).toBe(x0 + 50);
  await item(b, /^Note: Ben idea/).press('Shift+ArrowDown');
  await item(b, /^Note: Ana idea/).click();
  await b.keyboard.press('Enter');
  await b.getByLabel(/Note text/).fill('Ana idea, seen by Ben');
  await b.getByLabel(/Note text/).press('Control+Enter');
  for (const p of [a, b]) await expect(item(p, /^Note: Ana idea, seen by Ben/)).toBeVisible();
  for (const l of onBoth(/^Note: Ben idea/)) await expect.poll(() => px(l, 'top')).toBe(benY0 + 50);

  // Ana undoes with the keyboard: her move is gone for both; Ben's text and Ben's move stay.
  await expect(anaNote).toBeFocused();
  await a.keyboard.press('ControlOrMeta+z');
  for (const l of onBoth(/^Note: Ana idea, seen by Ben/)) await expect.poll(() => px(l, 'left')).toBe(x0);
  for (const l of onBoth(/^Note: Ben idea/)) await expect.poll(() => px(l, 'top')).toBe(benY0 + 50);
  // Redo with Ctrl+Shift+Z, then undo and redo once more from the toolbar.
  await a.keyboard.press('ControlOrMeta+Shift+z');
  for (const l of onBoth(/^Note: Ana idea, seen by Ben/)) await expect.poll(() => px(l, 'left')).toBe(x0 + 50);
  await a.getByRole('button', { name: 'Undo', exact: true }).click();
  for (const l of onBoth(/^Note: Ana idea, seen by Ben/)) await expect.poll(() => px(l, 'left')).toBe(x0);
  await a.getByRole('button', { name: 'Redo', exact: true }).click();
  for (const l of onBoth(/^Note: Ana idea, seen by Ben/)) await expect.poll(() => px(l, 'left')).toBe(x0 + 50);
  await expect(a.getByRole('button', { name: 'Redo', exact: true })).toBeDisabled();

  // What was stored: after a reload both see Ana's move and Ben's edits.
  for (const p of [a, b]) await expect(p.getByTestId('board-status')).toHaveText('All changes saved');
  for (const p of [a, b]) {
    await p.reload();
    await expect(p.getByTestId('board-status')).toHaveText('All changes saved');
    expect(await px(item(p, /^Note: Ana idea, seen by Ben/), 'left')).toBe(x0 + 50);
    expect(await px(item(p, /^Note: Ben idea/), 'top')).toBe(benY0 + 50);
  }
  for (const p of [ana, ben]) await p.ctx.close();
});

// ---- 5. resizing with the keyboard ----

test('resizing with the keyboard: Alt+arrows by 10 px, Shift+Alt by 1 px, never below the smallest size, announced, undoable; the size is stored', async ({ signedIn: page }) => {
  test.setTimeout(90_000);
  await createBoard(page, 'Sizes');
  const note = await addNote(page, 'Resize me');
  const boardUrl = page.url();
  expect([await px(note, 'width'), await px(note, 'height')]).toEqual([200, 150]);
  const announcer = page.getByTestId('board-announcer');

  for (let i = 0; i < 3; i++) await note.press('Alt+ArrowRight');
  await note.press('Alt+ArrowDown');
  await note.press('Shift+Alt+ArrowLeft');
  await note.press('Shift+Alt+ArrowUp');
  await note.press('Shift+Alt+ArrowUp');
  await expect(announcer).toHaveText('Resized to 229 × 158');
  await expect(announcer).toHaveAttribute('role', 'status');
  expect([await px(note, 'width'), await px(note, 'height')]).toEqual([229, 158]);
  const shown = await box(note);
  expect([Math.round(shown.width), Math.round(shown.height)]).toEqual([229, 158]); // at 100 %
  // Alt+← resized, it did not go back a page; the note kept focus.
  await expect(page).toHaveURL(boardUrl);
  await expect(note).toBeFocused();

  // Shrinking stops at the smallest size.
  for (let i = 0; i < 20; i++) await note.press('Alt+ArrowLeft');
  await expect(announcer).toHaveText('Resized to 60 × 158');
  // Each key press is one undo step (the presses at the smallest size changed nothing): 69 → 60 is taken back.
  await page.keyboard.press('ControlOrMeta+z');
  await expect.poll(() => px(note, 'width')).toBe(69);

  // The keyboard help says how.
  await page.getByText('Keyboard and mouse shortcuts').click();
  await expect(page.getByText(/Alt\s*\+arrow keys resize it by 10 px/)).toBeVisible();
  await expectAccessible(page);

  await expect(page.getByTestId('board-status')).toHaveText('All changes saved');
  await page.reload();
  await expect(page.getByTestId('board-status')).toHaveText('All changes saved');
  const again = item(page, /^Note: Resize me/);
  expect([await px(again, 'width'), await px(again, 'height')]).toEqual([69, 158]);
  const b = await box(again);
  expect([Math.round(b.width), Math.round(b.height)]).toEqual([69, 158]);
});

// ---- 6. @mentions ----

test('a note that says “@Ben.” tells Ben, live, with a link to the board; the author is not told', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const ana = await person(browser, baseURL!, 'Ana Owner', 'ana', { verified: true });
  const ben = await person(browser, baseURL!, 'Ben Editor', 'ben');
  const [a, b] = [ana.page, ben.page];
  await createWorkspace(a, 'Atelier Mentions');
  await invite(a, ben.user.email, 'editor');
  await acceptFromEmail(ben, 'Atelier Mentions');
  await b.goto('/notifications');
  await expect(b.getByRole('heading', { name: 'Notifications', level: 1 })).toBeVisible();

  await createBoard(a, 'Review board');
  const boardUrl = a.url();
  await addNote(a, 'Ready for review, @Ben. Thanks, @Ana');
  await expect(a.getByTestId('board-status')).toHaveText('All changes saved');

  // Ben's list shows it without a reload, naming who and where, with the note's text.
  const row = b.getByRole('list', { name: 'Notifications' }).getByRole('listitem').filter({ hasText: 'Ana Owner mentioned you on “Review board”' });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('Ready for review, @Ben. Thanks, @Ana');
  await expect(b.getByRole('button', { name: /^Notifications, \d+ unread$/ })).toBeVisible();
  await expectAccessible(b);
  await row.getByRole('link', { name: 'Ana Owner mentioned you on “Review board”' }).click();
  await expect(b).toHaveURL(boardUrl);
  await expect(item(b, /^Note: Ready for review, @Ben\./)).toBeVisible();

  // Ana, who wrote it (and named herself), has no mention.
  await a.goto('/notifications');
  await expect(a.getByRole('heading', { name: 'Notifications', level: 1 })).toBeVisible();
  await expect(a.getByText(/mentioned you/)).toHaveCount(0);
  for (const p of [ana, ben]) await p.ctx.close();
});
