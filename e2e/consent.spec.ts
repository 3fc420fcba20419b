import { expect, expectAccessible, test } from './fixtures.js';

test('consent banner: reject all stores nothing optional; accepting later turns analytics on', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await page.goto('/pricing');
  const banner = page.getByRole('region', { name: 'Cookie choices' });
  await expect(banner).toBeVisible();
  await expectAccessible(page);
  // Keyboard alone: the three choices are buttons in order.
  await banner.getByRole('button', { name: 'Reject all' }).focus();
  await page.keyboard.press('Enter');
  await expect(banner).toHaveCount(0);
  await page.goto('/');
  await page.goto('/pricing');
  const keys = await page.evaluate(() => Object.keys(window.localStorage));
  expect(keys.filter((k) => k.startsWith('fk:'))).toEqual([]);
  const cookies = (await context.cookies()).map((c) => c.name);
  expect(cookies.filter((n) => /analytics|_ga|fk_a/i.test(n))).toEqual([]);
  const rejected = await page.request.post('/api/analytics', { data: { name: 'page_view', path: '/x' }, headers: { origin: baseURL! } });
  expect(await rejected.json()).toEqual({ recorded: false });

  await page.goto('/cookies');
  await expectAccessible(page);
  await page.getByRole('checkbox', { name: /Analytics/ }).check();
  await page.getByRole('button', { name: 'Save my choice' }).click();
  await expect(page.getByText('Saved. It applies in all your open tabs.')).toBeVisible();
  expect(await page.evaluate(() => window.localStorage.getItem('fk:analytics-id'))).toMatch(/^[0-9a-f-]{36}$/);
  const accepted = await page.request.post('/api/analytics', { data: { name: 'page_view', path: '/y' }, headers: { origin: baseURL! } });
  expect(await accepted.json()).toEqual({ recorded: true });
  // Withdrawing deletes what it had stored.
  await page.getByRole('checkbox', { name: /Analytics/ }).uncheck();
  await page.getByRole('button', { name: 'Save my choice' }).click();
  await expect.poll(() => page.evaluate(() => window.localStorage.getItem('fk:analytics-id'))).toBeNull();
  await context.close();
});

test('policy pages are readable and accessible, linked from every page', async ({ page }) => {
  for (const [link, heading] of [
    ['Privacy', 'Privacy policy'],
    ['Terms', 'Terms of service'],
    ['Cookies', 'Cookies and local storage'],
    ['Subprocessors', 'Subprocessors'],
  ] as const) {
    await page.goto('/');
    await page.getByRole('navigation', { name: 'Policies' }).getByRole('link', { name: link }).click();
    await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
    await expect(page.getByText(/^Version \d{4}-\d{2}-\d{2}/)).toBeVisible();
    await expectAccessible(page);
  }
  await page.goto('/privacy');
  await expect(page.getByText('Usage log: 90 days.')).toBeVisible();
});

test('remembered studio settings need the preferences category, and go when it is withdrawn', async ({ signedIn: page }) => {
  await page.goto('/studio');
  await page.getByText('16:9').click();
  await page.reload();
  await expect(page.getByRole('radio', { name: '16:9' })).not.toBeChecked(); // not remembered without consent
  await page.goto('/cookies');
  await page.getByRole('checkbox', { name: /Preferences/ }).check();
  await page.getByRole('button', { name: 'Save my choice' }).click();
  await expect(page.getByText('Saved. It applies in all your open tabs.')).toBeVisible();
  await page.goto('/studio');
  await page.getByText('16:9').click();
  await expect.poll(() => page.evaluate(() => window.localStorage.getItem('fk:studio-settings'))).toContain('16:9');
  await page.reload();
  await expect(page.getByRole('radio', { name: '16:9' })).toBeChecked();
  await page.goto('/cookies');
  await page.getByRole('checkbox', { name: /Preferences/ }).uncheck();
  await page.getByRole('button', { name: 'Save my choice' }).click();
  await expect.poll(() => page.evaluate(() => window.localStorage.getItem('fk:studio-settings'))).toBeNull();
});
