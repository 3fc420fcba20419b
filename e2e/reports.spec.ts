/**
 * Reports and takedown end to end: a member reports a teammate's image from the library tile menu
 * (a keyboard-usable dialog), an operator hides it from /admin, and its owner sees it hidden, with
 * the reason and how to ask for a review. Screenshots of the console pages and the dialog (desktop
 * and 375 px wide) go to E2E_SHOTS (default: test-results/admin-shots).
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from '@playwright/test';
import { CONSENT_COOKIE, encodeConsentCookie } from '../server/shared/consent.js';
import { expect, expectAccessible, newUser, test } from './fixtures.js';
import { E2E_OPERATOR_EMAIL, sql } from './server-data.js';

const SHOTS = process.env.E2E_SHOTS ?? path.join('test-results', 'admin-shots');
/** A page as a person sees it: the whole page, or with a dialog open, the viewport (a modal covers the viewport). */
const shot = (page: Page, name: string, opts: { dialog?: boolean } = {}) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: !opts.dialog });

async function person(browser: Browser, baseURL: string, name: string, email?: string) {
  const ctx = await browser.newContext({ baseURL });
  await ctx.addCookies([{ name: CONSENT_COOKIE, value: encodeConsentCookie({ preferences: false, analytics: false }, new Date()), url: baseURL }]);
  const page = await ctx.newPage();
  const user = { ...newUser('rep'), name, ...(email ? { email } : {}) };
  expect((await page.request.post('/api/auth/sign-up/email', { data: user, headers: { origin: baseURL } })).ok()).toBe(true);
  expect((await page.request.post('/api/auth/sign-in/email', { data: { email: user.email, password: user.password }, headers: { origin: baseURL } })).ok()).toBe(true);
  const { rows } = await sql<{ id: string }>('update "user" set "emailVerified" = true where email = $1 returning id', [user.email]);
  return { ctx, page, user, id: rows[0]!.id };
}

async function mutate<T>(page: Page, baseURL: string, p: string, input: unknown): Promise<T> {
  const res = await page.request.post(`/trpc/${p}`, { data: { json: input }, headers: { origin: baseURL } });
  expect(res.ok(), await res.text()).toBe(true);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

test('a member reports an image, an operator hides it from /admin, and the owner sees it hidden', async ({ browser, baseURL }) => {
  test.setTimeout(180_000);
  const olga = await person(browser, baseURL!, 'Olga Owner');
  const mo = await person(browser, baseURL!, 'Mo Member');
  const op = await person(browser, baseURL!, 'Opal Operator', E2E_OPERATOR_EMAIL);

  // Olga's team workspace with one image of hers; Mo is a member.
  const ws = await mutate<{ id: string }>(olga.page, baseURL!, 'workspace.create', { name: 'Kite Club' });
  await mutate(olga.page, baseURL!, 'credits.transfer', { transferId: randomUUID(), toWorkspaceId: ws.id, amount: 10 });
  await sql('insert into membership (workspace_id, user_id, role) values ($1, $2, $3)', [ws.id, mo.id, 'editor']);
  const prompt = 'A red kite over a green hill';
  const board = await mutate<{ id: string }>(olga.page, baseURL!, 'board.create', { workspaceId: ws.id, name: 'Kite ideas' });
  await mutate(olga.page, baseURL!, 'generation.create', { workspaceId: ws.id, boardId: board.id, prompt });
  await expect
    .poll(async () => (await sql<{ id: string }>("select a.id from asset a join generation g on g.id = a.generation_id where g.workspace_id = $1 and g.status = 'succeeded'", [ws.id])).rows[0]?.id, { timeout: 30_000 })
    .toBeTruthy();
  const assetId = (await sql<{ id: string }>('select id from asset where workspace_id = $1', [ws.id])).rows[0]!.id;
  for (const p of [olga, mo]) await p.ctx.addCookies([{ name: 'fk_ws', value: ws.id, url: baseURL! }]);

  // --- Mo reports it from the library tile menu, with the keyboard.
  const m = mo.page;
  await m.goto('/library');
  const more = m.getByRole('button', { name: `More actions: ${prompt}` });
  await more.focus();
  await m.keyboard.press('Enter');
  const item = m.getByRole('menuitem', { name: 'Report…' });
  await expect(item).toBeFocused();
  await shot(m, 'library-tile-menu');
  await m.keyboard.press('Enter');
  await expect(m.getByRole('dialog', { name: 'Report this image' })).toBeVisible();
  const dialog = m.getByRole('dialog'); // its name changes once the report is sent
  // Focus starts on the first reason; arrow keys choose among them.
  await expect(dialog.getByRole('radio', { name: 'Sexual or explicit content' })).toBeFocused();
  // Sending without a reason says what is missing and sends nothing.
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await expect(dialog.getByRole('alert')).toHaveText('Choose a reason.');
  expect((await sql('select 1 from report where asset_id = $1', [assetId])).rowCount).toBe(0);
  await dialog.getByRole('radio', { name: 'Sexual or explicit content' }).focus();
  await m.keyboard.press('ArrowDown');
  await m.keyboard.press('ArrowDown');
  await expect(dialog.getByRole('radio', { name: 'Violence or gore' })).toBeChecked();
  await dialog.getByLabel(/Anything else moderators should know/).fill('The kite is on fire and people are hurt.');
  await shot(m, 'report-dialog-desktop', { dialog: true });
  await m.setViewportSize({ width: 375, height: 812 });
  await shot(m, 'report-dialog-375', { dialog: true });
  await expectAccessible(m);
  await m.setViewportSize({ width: 1280, height: 800 });
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await expect(dialog.getByRole('heading', { name: 'Report sent' })).toBeFocused();
  await expect(dialog).toContainText('Thanks for telling us.');
  await shot(m, 'report-dialog-sent', { dialog: true });
  await m.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(more).toBeFocused(); // focus back where it was
  expect((await sql<{ reason: string; note: string }>('select reason, note from report where asset_id = $1', [assetId])).rows).toEqual([{ reason: 'violence', note: 'The kite is on fire and people are hurt.' }]);

  // The same dialog from the item page, at phone width.
  await m.setViewportSize({ width: 375, height: 812 });
  await m.goto(`/library/${assetId}`);
  await m.getByRole('button', { name: 'Report…' }).click();
  await expect(m.getByRole('dialog', { name: 'Report this image' })).toBeVisible();
  await shot(m, 'report-dialog-item-page-375', { dialog: true });
  await m.keyboard.press('Escape');
  await m.setViewportSize({ width: 1280, height: 800 });

  // --- Mo reports a note on the board from the board's toolbar.
  await m.goto(`/boards/${board.id}`);
  await expect(m.getByRole('option', { name: `Image: ${prompt}` })).toBeVisible();
  await m.getByRole('button', { name: /Add a note/ }).click();
  const note = m.getByRole('option', { name: /^Note: empty/ }).last();
  await expect(note).toBeFocused();
  await note.press('Enter');
  await m.getByLabel(/Note text/).fill('People from the north are all idiots');
  await m.getByLabel(/Note text/).press('Control+Enter');
  await expect(m.getByRole('option', { name: /^Note: People from the north/ })).toBeFocused();
  await m.getByRole('toolbar', { name: 'Board view' }).getByRole('button', { name: 'Report…' }).click();
  await expect(m.getByRole('dialog', { name: 'Report this note' })).toBeVisible();
  await m.getByRole('dialog').getByRole('radio', { name: 'Hate or harassment' }).check();
  await shot(m, 'board-report-dialog', { dialog: true });
  await m.getByRole('dialog').getByRole('button', { name: 'Send report' }).click();
  await expect(m.getByRole('dialog').getByRole('heading', { name: 'Report sent' })).toBeFocused();
  await m.keyboard.press('Escape');
  await expect
    .poll(async () => (await sql<{ excerpt: string; reason: string }>('select excerpt, reason from report where board_id = $1 and item_id is not null', [board.id])).rows)
    .toEqual([{ excerpt: 'People from the north are all idiots', reason: 'hate' }]);

  // --- Someone who is not an operator gets no console, and no link to it.
  await expect(m.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Console' })).toHaveCount(0);
  expect((await m.goto('/admin'))?.status()).toBe(404);

  // --- The operator hides it from /admin.
  const o = op.page;
  await o.goto('/studio');
  await o.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Console' }).click();
  await expect(o.getByRole('heading', { name: 'Operator console' })).toBeVisible();
  await expect(o.getByRole('navigation', { name: 'Operator console' }).getByRole('link', { name: /Privacy requests/ })).toHaveAttribute('href', '/admin/privacy-requests');
  await shot(o, 'admin-overview-desktop');
  await expectAccessible(o);
  await o.getByRole('link', { name: /^Reports and appeals/ }).click();
  const report = o.getByRole('listitem', { name: 'Report: Violence or gore' });
  await expect(report).toContainText(olga.user.email);
  await expect(report).toContainText('The kite is on fire and people are hurt.');
  await expect(report.getByRole('img', { name: 'Reported image' })).toHaveJSProperty('complete', true);
  await shot(o, 'admin-reports-desktop');
  await expectAccessible(o);
  await expect(o.getByRole('listitem', { name: 'Report: Hate or harassment' })).toContainText('People from the north are all idiots');
  await report.getByRole('button', { name: 'Hide…' }).click();
  const hide = o.getByRole('dialog', { name: 'Hide this image everywhere' });
  await expect(hide.getByLabel('Reason (the person will read it)')).toHaveValue('violence');
  await expect(hide.getByLabel('Reason (the person will read it)')).toBeFocused();
  await hide.getByLabel(/Message to them/).fill('Please keep it peaceful.');
  await shot(o, 'admin-hide-dialog-desktop', { dialog: true });
  await hide.getByRole('button', { name: 'Hide it' }).click();
  await expect(hide).toBeHidden();
  await expect(o.getByRole('listitem', { name: 'Report: Violence or gore' })).toHaveCount(0);
  // The note's report: dismissed here (the note stays; suspending its author is the other choice).
  await o.getByRole('listitem', { name: 'Report: Hate or harassment' }).getByRole('button', { name: 'Dismiss…' }).click();
  await o.getByRole('dialog', { name: 'Dismiss this report' }).getByRole('button', { name: 'Dismiss' }).click();
  await expect(o.getByText('No open reports. Nothing to do.')).toBeVisible();
  await o.setViewportSize({ width: 375, height: 812 });
  await o.getByRole('button', { name: 'Acted on' }).click();
  await expect(o.getByRole('listitem', { name: 'Report: Violence or gore' })).toContainText('hidden');
  await shot(o, 'admin-reports-375');
  await o.setViewportSize({ width: 1280, height: 800 });

  for (const [page, name] of [
    ['/admin/users', 'admin-users'],
    ['/admin/jobs', 'admin-jobs'],
  ] as const) {
    await o.goto(page);
    await expect(o.locator('h1')).toBeVisible();
    await shot(o, `${name}-desktop`);
    await expectAccessible(o);
    await o.setViewportSize({ width: 375, height: 812 });
    await shot(o, `${name}-375`);
    await o.setViewportSize({ width: 1280, height: 800 });
  }
  await o.goto(`/admin/users?q=${encodeURIComponent(olga.user.email)}`);
  await expect(o.getByRole('row', { name: new RegExp(olga.user.email) })).toContainText('1'); // one generation
  await o.goto('/admin');
  await o.setViewportSize({ width: 375, height: 812 });
  await shot(o, 'admin-overview-375');

  // --- Olga sees it hidden, with the reason and how to ask for a review.
  const w = olga.page;
  await w.goto('/library');
  await expect(w.getByRole('heading', { name: 'Your library is empty' })).toBeVisible();
  await expect(w.getByRole('link', { name: `Open: ${prompt}` })).toHaveCount(0);
  await w.goto(`/boards/${board.id}`);
  await expect(w.getByRole('option', { name: 'Image hidden by moderators' })).toBeVisible();
  await shot(w, 'board-hidden-image');
  await w.goto('/notifications');
  await w.getByRole('link', { name: /Moderators hid one of your images/ }).first().click();
  await expect(w).toHaveURL(new RegExp(`/library/${assetId}$`));
  await expect(w.getByRole('heading', { level: 1 })).toHaveText('Hidden by moderators: Violence or gore');
  await expect(w.getByLabel('Ask for a review: tell moderators why')).toBeVisible();
  expect((await w.request.get(`/files/${assetId}`)).status()).toBe(403);
  await shot(w, 'owner-hidden-desktop');
  await expectAccessible(w);
  await w.getByLabel('Ask for a review: tell moderators why').fill('The fire is a sunset. Nobody is hurt.');
  await w.getByRole('button', { name: 'Ask for a review' }).click();
  await expect(w.getByRole('status').filter({ hasText: 'Moderators will' })).toBeVisible();
  await w.setViewportSize({ width: 375, height: 812 });
  await shot(w, 'owner-hidden-375');

  // The operator sees the appeal waiting.
  await o.goto('/admin/reports');
  await expect(o.getByRole('list', { name: 'Appeals' })).toContainText('The fire is a sunset. Nobody is hurt.');
  await o.setViewportSize({ width: 1280, height: 800 });
  await shot(o, 'admin-appeals-desktop');

  // --- The operator suspends Mo from the users page; Mo is told on every page and cannot generate.
  await o.goto(`/admin/users?q=${encodeURIComponent(mo.user.email)}`);
  await o.getByRole('button', { name: `Suspend ${mo.user.email}` }).click();
  const suspend = o.getByRole('dialog', { name: `Suspend ${mo.user.email}` });
  await suspend.getByLabel('Reason (the person will read it)').selectOption('hate');
  await suspend.getByRole('button', { name: 'Suspend' }).click();
  await expect(o.getByRole('row', { name: new RegExp(mo.user.email) })).toContainText('suspended');
  await m.goto('/studio');
  await expect(m.getByRole('region', { name: 'Account suspended' })).toBeVisible();
  await m.getByLabel('Prompt').fill('A kite in the rain');
  await m.getByRole('button', { name: /^Generate/ }).click();
  // The studio's notice reads the one standing record: an operator's suspension shows like an automatic one, with the reason and the appeal form.
  const notice = m.getByTestId('moderation-notice');
  await expect(notice.getByRole('heading', { name: 'Your account is suspended' })).toBeVisible();
  await expect(notice).toContainText('Reason: Hate or harassment.');
  await expect(notice).toContainText('when moderators lift it');
  await expect(notice.getByRole('button', { name: 'Ask for a review' })).toBeVisible();
  await shot(m, 'suspended-studio');
  expect((await sql("select 1 from generation where user_id = $1 and prompt = 'A kite in the rain'", [mo.id])).rowCount).toBe(0);
  await m.getByRole('link', { name: 'Why, and how to ask for a review' }).click();
  await expect(m.getByRole('heading', { name: 'Your account is suspended' })).toBeVisible();
  await expect(m.getByText('Reason: Hate or harassment.', { exact: false })).toBeVisible();

  for (const p of [olga, mo, op]) await p.ctx.close();
});
