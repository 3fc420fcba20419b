/** Credit history: from the billing page to every entry with its balance, a filter, and the CSV of the same entries. */
import { expect, test } from './fixtures.js';

test('the credit history lists the sign-up grant and a generation’s reserve and charge, filters by kind, and downloads as CSV', async ({ signedIn: page, baseURL }) => {
  await page.goto('/studio');
  await page.getByLabel('Prompt').fill('A ledger of paper boats');
  await page.getByRole('radiogroup', { name: 'Number of outputs' }).getByText('3', { exact: true }).click();
  await page.getByRole('button', { name: 'Generate · 3 credits' }).click();
  await expect(page.getByTestId('studio-announcer')).toHaveText('Generation done: 3 images.', { timeout: 30_000 });

  await page.goto('/billing');
  await page.getByRole('link', { name: 'Credit history' }).click();
  await expect(page).toHaveURL(/\/billing\/ledger$/);
  await expect(page.getByTestId('ledger-balance')).toHaveText('97');
  const rows = page.getByRole('table').getByRole('row');
  // Header + grant + reserve + capture, newest first.
  await expect(rows).toHaveCount(4);
  await expect(rows.nth(1)).toContainText('Generation done: reservation kept');
  await expect(rows.nth(2)).toContainText('Reserved for a generation');
  await expect(rows.nth(2)).toContainText('−3');
  await expect(rows.nth(2)).toContainText('97');
  await expect(rows.nth(2).getByRole('link', { name: 'A ledger of paper boats' })).toHaveAttribute('href', /\/library\/[0-9a-f-]{36}$/);
  await expect(rows.nth(3)).toContainText('Sign-up credits');
  await expect(rows.nth(3)).toContainText('+100');

  // Only grants.
  await page.getByRole('group', { name: 'Kinds' }).getByText('Grant', { exact: true }).click();
  await expect(page.getByRole('checkbox', { name: 'Grant' })).toBeChecked();
  await page.getByRole('button', { name: 'Apply filter' }).click();
  await expect(page).toHaveURL(/kind=grant/);
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(1)).toContainText('Sign-up credits');

  // The CSV of the same filter; and of everything.
  const href = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
  expect(href).toBe('/billing/ledger.csv?kind=grant');
  const grants = await page.request.get(href!);
  expect(grants.headers()['content-type']).toMatch(/^text\/csv/);
  expect(grants.headers()['content-disposition']).toMatch(/^attachment; filename="credit-history-\d{4}-\d{2}-\d{2}\.csv"$/);
  const lines = (await grants.text()).trim().split('\r\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toBe('time (UTC),kind,entry,credits,balance,by,for,reference');
  expect(lines[1]).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z,grant,Sign-up credits,100,100,Robin Example,,$/);
  const all = (await (await page.request.get(`${baseURL}/billing/ledger.csv`)).text()).trim().split('\r\n');
  expect(all).toHaveLength(4);
  expect(all[2]).toMatch(/,reserve,Reserved for a generation,-3,97,Robin Example,generation: A ledger of paper boats,[0-9a-f-]{36}$/);

  // A filter that makes no sense is explained, not applied.
  await page.goto('/billing/ledger?from=2026-12-31&to=2026-01-01');
  await expect(page.getByText('The start date is after the end date.')).toBeVisible();
  expect((await page.request.get('/billing/ledger.csv?from=2026-12-31&to=2026-01-01')).status()).toBe(400);
});
