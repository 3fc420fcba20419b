import { expect, test } from './fixtures.js';
import { sql } from './server-data.js';

test.describe('request ids on error pages', () => {
  test('a page that fails on our side shows the reference of its request, which the response names in X-Request-Id', async ({ signedIn: page }) => {
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && /hydrat|did not match/i.test(m.text())) errors.push(m.text());
    });
    // A real failure: the notifications page's table is gone for a moment.
    await sql('alter table notification rename to notification_away', []);
    try {
      const res = await page.goto('/notifications');
      expect(res?.status()).toBe(500);
      const id = res!.headers()['x-request-id']!;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      await expect(page.getByRole('heading', { name: 'Something went wrong' })).toBeVisible();
      await expect(page.getByText('If you contact support, please quote this reference:')).toBeVisible();
      // Still there once the page has hydrated, and the same id.
      await page.waitForLoadState('networkidle');
      await expect(page.locator('#support-reference')).toHaveText(id);
    } finally {
      await sql('alter table notification_away rename to notification', []);
    }
    expect(errors).toEqual([]);
    // The page works again once the cause is gone; a missing page is no failure and has no reference.
    await page.goto('/notifications');
    await expect(page.getByRole('heading', { name: 'Something went wrong' })).toHaveCount(0);
    await page.goto('/no-such-page-here');
    await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
    await expect(page.locator('#support-reference')).toHaveCount(0);
  });

  test('a failure on our side in the studio says so with the reference of the request', async ({ signedIn: page }) => {
    await page.goto('/studio');
    await page.getByLabel('Prompt').fill('A lighthouse at dusk');
    await sql('alter table generation rename to generation_away', []);
    try {
      const answer = page.waitForResponse((r) => r.url().includes('/trpc/generation.create'));
      await page.getByRole('button', { name: /^Generate/ }).click();
      const res = await answer;
      expect(res.status()).toBe(500);
      const id = (await res.allHeaders())['x-request-id']!;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      await expect(page.getByRole('alert').filter({ hasText: 'Something went wrong on our side' })).toContainText(`(reference: ${id})`);
    } finally {
      await sql('alter table generation_away rename to generation', []);
    }
  });
});
