import type { Page } from '@playwright/test';
import { CONSENT_COOKIE, encodeConsentCookie } from '../server/shared/consent.js';
import { expect, expectAccessible, test } from './fixtures.js';
import { sql } from './server-data.js';

const item = (page: Page, name: RegExp) => page.getByRole('listbox', { name: 'Items on the board' }).getByRole('option', { name });
/** Screenshots for checking by eye, only when asked for (E2E_SHOTS_DIR, as the other specs). */
const SHOTS = process.env.E2E_SHOTS_DIR;

async function addNote(page: Page, text: string) {
  await page.getByRole('button', { name: /Add a note/ }).click();
  const note = item(page, /^Note: empty/).last();
  await expect(note).toBeFocused();
  await note.press('Enter');
  await page.getByLabel(/Note text/).fill(text);
  await page.getByLabel(/Note text/).press('Control+Enter');
  await expect(item(page, new RegExp(`^Note: ${text}`))).toBeFocused();
  await expect(page.getByTestId('board-status')).toHaveText('All changes saved');
}

test('share links: an editor shares a board by keyboard; an anonymous visitor watches it live, is counted (not named), and is shown "no longer valid" when the link is revoked', async ({ signedIn: page, browser, baseURL }) => {
  test.setTimeout(120_000);
  await page.goto('/boards');
  await page.getByLabel('Board name').fill('Client moodboard');
  await page.getByRole('button', { name: 'Create board' }).click();
  await expect(page.getByRole('heading', { name: 'Client moodboard' })).toBeVisible();
  await expect(page.getByTestId('board-status')).toHaveText('All changes saved');
  await addNote(page, 'Warm palette');

  // The dialog, by keyboard: the label has focus, Enter makes the link, which is selected for copying.
  await page.getByRole('button', { name: 'Share…' }).focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Share “Client moodboard”' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Label')).toBeFocused();
  await expect(dialog.getByText('No links yet.')).toBeVisible();
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/share-form-desktop.png` });
  await page.setViewportSize({ width: 375, height: 812 });
  await expect(dialog.getByRole('button', { name: 'Create link' })).toBeInViewport();
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/share-form-375.png` });
  await page.setViewportSize({ width: 1280, height: 720 });
  await dialog.getByLabel('Label').focus();
  await page.keyboard.type('Client review');
  await page.keyboard.press('Enter'); // submits the form ("Works for" stays at 7 days)
  const linkField = dialog.getByLabel('Link for “Client review”');
  await expect(linkField).toBeVisible();
  const url = await linkField.inputValue();
  expect(url).toMatch(new RegExp(`^${baseURL}/s/[A-Za-z0-9_-]{22}$`));
  const row = dialog.getByRole('list', { name: 'Share links' }).getByRole('listitem').filter({ hasText: 'Client review' });
  await expect(row).toContainText(/Works until/);
  await expectAccessible(page);
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/share-dialog-desktop.png` });
  await page.setViewportSize({ width: 375, height: 812 });
  await expect(dialog.getByRole('button', { name: 'Copy link' })).toBeInViewport();
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/share-dialog-375.png` });
  await page.setViewportSize({ width: 1280, height: 720 });
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: 'Share…' })).toBeFocused();

  // Someone without an account opens the link.
  const anonCtx = await browser.newContext({ baseURL });
  await anonCtx.addCookies([{ name: CONSENT_COOKIE, value: encodeConsentCookie({ preferences: false, analytics: false }, new Date()), url: baseURL! }]);
  const anon = await anonCtx.newPage();
  await anon.goto(url);
  await expect(anon.getByRole('heading', { name: 'Client moodboard', level: 1 })).toBeVisible();
  await expect(anon.getByText('View only')).toBeVisible();
  await expect(anon.getByTestId('board-status')).toHaveText(/Live/);
  await expect(item(anon, /^Note: Warm palette/)).toBeVisible();
  await expectAccessible(anon);
  if (SHOTS) await anon.screenshot({ path: `${SHOTS}/shared-board-desktop.png` });
  // Members see a count, not who it is.
  await expect(page.getByText('1 anonymous viewer')).toBeVisible();
  await expect(page.getByRole('list', { name: /On this board: 1 person/ })).toBeVisible();
  // A live edit reaches the visitor without a reload; the visitor cannot add anything.
  await addNote(page, 'Add brass accents');
  await expect(item(anon, /^Note: Add brass accents/)).toBeVisible();
  await expect(anon.getByRole('button', { name: /Add a note/ })).toHaveCount(0);
  await expect(anon.getByText(/Robin Example/)).toHaveCount(0);
  await page.setViewportSize({ width: 375, height: 812 });
  await expect(page.getByText('1 anonymous viewer')).toBeVisible();
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/board-anonymous-viewer-375.png` });
  await page.setViewportSize({ width: 1280, height: 720 });

  // The visitor reports a note, without an account; the report names the link, not a person.
  await item(anon, /^Note: Add brass accents/).click();
  await anon.getByRole('toolbar', { name: 'Board view' }).getByRole('button', { name: 'Report…' }).click();
  const report = anon.getByRole('dialog', { name: 'Report this note' });
  await report.getByRole('radio', { name: 'Spam or scam' }).check();
  await report.getByRole('button', { name: 'Send report' }).click();
  await expect(anon.getByRole('dialog').getByRole('heading', { name: 'Report sent' })).toBeFocused();
  await anon.keyboard.press('Escape');
  await expect
    .poll(async () => (await sql<{ via: string; reporter_id: string | null; excerpt: string }>("select via, reporter_id, excerpt from report where excerpt = 'Add brass accents'", [])).rows)
    .toEqual([{ via: 'link', reporter_id: null, excerpt: 'Add brass accents' }]);

  // Revoked: the visitor is sent away at once, and the link stays dead on reload.
  await page.getByRole('button', { name: 'Share…' }).click();
  await dialog.getByRole('button', { name: 'Revoke the link “Client review”' }).click();
  await expect(row).toContainText('Revoked');
  await expect(anon.getByRole('heading', { name: 'This link is no longer valid' })).toBeVisible({ timeout: 5_000 });
  await expect(page.getByText(/anonymous viewer/)).toHaveCount(0);
  if (SHOTS) await anon.screenshot({ path: `${SHOTS}/link-invalid-desktop.png` });
  await anon.reload();
  await expect(anon.getByRole('heading', { name: 'This link is no longer valid' })).toBeVisible();
  await expect(anon.getByText('Warm palette')).toHaveCount(0);
  await anonCtx.close();
});
