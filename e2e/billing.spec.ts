import { expect, expectAccessible, test } from './fixtures.js';

test('pricing → checkout → credits appear live on the success page → portal', async ({ signedIn: page }) => {
  await page.goto('/pricing');
  await expect(page.getByRole('heading', { name: 'Pricing' })).toBeVisible();
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Buy 100 credits' }).click();
  // The (local) hosted checkout page.
  await expect(page.getByRole('heading', { name: 'Test checkout' })).toBeVisible();
  await page.getByRole('button', { name: 'Pay' }).click();
  await expect(page).toHaveURL(/\/billing\/success\?session_id=cs_test_/);
  // Stripe's webhook lands after the redirect: the page waits for it, then updates live.
  await expect(page.getByRole('heading', { name: 'Thanks! Confirming your payment…' })).toBeVisible();
  await expect(page.getByTestId('success-balance')).toHaveText('200');
  await expect(page.getByRole('heading', { name: 'Payment confirmed' })).toBeVisible();
  await expect(page.getByTestId('credits-balance')).toContainText('200');
  await expectAccessible(page);
  await page.getByRole('link', { name: 'Billing', exact: true }).first().click();
  await expect(page.getByTestId('billing-balance')).toHaveText('200');
  await page.getByRole('button', { name: 'Manage subscription and card' }).click();
  await expect(page.getByRole('heading', { name: 'Customer portal (test)' })).toBeVisible();
});

test('subscribing to a plan shows the plan, renewal and invoice', async ({ signedIn: page }) => {
  await page.goto('/pricing');
  await page.getByRole('button', { name: 'Subscribe to Creator' }).click();
  await page.getByRole('button', { name: 'Pay' }).click();
  await expect(page.getByTestId('success-balance')).toHaveText('1,100');
  await page.goto('/billing');
  await expect(page.getByText('Creator (active)')).toBeVisible();
  await expect(page.getByText('Renews on')).toBeVisible();
  await expect(page.getByRole('link', { name: 'View invoice' })).toHaveCount(1);
  await expectAccessible(page);
});
