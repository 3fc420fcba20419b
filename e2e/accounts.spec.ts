import { TOTP } from 'otpauth';
import { expect, expectAccessible, test, type E2EUser } from './fixtures.js';
import { linkFromMail, sql } from './server-data.js';

/** Reads what the server stored (the assertion is on the database, not only on the page). */
async function query<T>(text: string, values: unknown[]): Promise<T[]> {
  return (await sql<T>(text, values)).rows;
}

test('forgot password: the emailed link sets a new one', async ({ signedIn: page, user }) => {
  await page.context().clearCookies({ name: 'better-auth.session_token' });
  await page.goto('/sign-in');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expectAccessible(page);
  await page.getByLabel('Email').fill(user.email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByText('If there is an account for that address')).toBeVisible();
  await page.goto(await linkFromMail(user.email, /Reset your Flux Klein password/));
  await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
  await page.getByLabel('New password').fill('a fresh passphrase');
  await page.getByRole('button', { name: 'Save the new password' }).click();
  await expect(page.getByText('Your password was changed.')).toBeVisible();
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill('a fresh passphrase');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/studio$/);
});

test('the confirmation reminder goes away once the link in the mail (development outbox) is followed', async ({ signedIn: page, user }) => {
  await page.goto('/studio');
  const banner = page.getByRole('region', { name: 'Email confirmation' });
  await expect(banner).toContainText(user.email);
  // The message, as listed on /dev/outbox: its link is clicked like in a mail client.
  await page.goto('/dev/outbox');
  await expect(page.getByRole('heading', { name: 'Development outbox' })).toBeVisible();
  const message = page.getByRole('article', { name: 'Confirm your email address for Flux Klein' }).filter({ hasText: user.email });
  await expect(message).toContainText('You got this message because');
  await expectAccessible(page);
  await message.getByRole('link', { name: /\/api\/auth\/verify-email\?token=/ }).click();
  await expect(page).toHaveURL(/\/verify-email$/);
  await expect(page.getByText(`Your email address ${user.email} is confirmed`)).toBeVisible();
  await expect(banner).toHaveCount(0);
  await expectAccessible(page);
  const [row] = await query<{ emailVerified: boolean }>('select "emailVerified" from "user" where email = $1', [user.email]);
  expect(row?.emailVerified).toBe(true);
  await page.goto('/settings/account');
  await expect(page.getByText('Confirmed')).toBeVisible();
  await expectAccessible(page);
});

test('a confirmation link that is not valid says so and offers a new one', async ({ signedIn: page, user }) => {
  await page.goto('/api/auth/verify-email?token=not-a-token&callbackURL=%2Fverify-email');
  await expect(page).toHaveURL(/\/verify-email\?error=/);
  await expect(page.getByRole('alert')).toHaveText('This confirmation link is not valid, or was already used.');
  await expectAccessible(page);
  await page.getByRole('button', { name: `Send a new link to ${user.email}` }).click();
  await expect(page.getByText(`We sent a new confirmation link to ${user.email}.`)).toBeVisible();
  const [row] = await query<{ emailVerified: boolean }>('select "emailVerified" from "user" where email = $1', [user.email]);
  expect(row?.emailVerified).toBe(false);
});

test('change of email address: approved from the current address, confirmed from the new one', async ({ signedIn: page, user }) => {
  await page.goto(await linkFromMail(user.email, /Confirm your email address/));
  await page.goto('/settings/account');
  await expect(page.getByText('Confirmed')).toBeVisible();
  const newEmail = user.email.replace('e2e-', 'moved-');
  await page.getByLabel('New address').fill(newEmail);
  await page.getByRole('button', { name: 'Change address' }).click();
  await expect(page.getByText(`We sent a link to ${user.email} to approve the change`)).toBeVisible();
  const stored = async () => (await query<{ email: string }>('select email from "user" where email in ($1, $2)', [user.email, newEmail])).map((r) => r.email);
  expect(await stored()).toEqual([user.email]);
  await page.goto(await linkFromMail(user.email, /Approve the new email address/));
  expect(await stored()).toEqual([user.email]);
  await page.goto(await linkFromMail(newEmail, /Confirm your email address/));
  await expect(page).toHaveURL(/\/settings\/account$/);
  await expect(page.getByText(`${newEmail} ·`)).toBeVisible();
  expect(await stored()).toEqual([newEmail]);
});

test('two-factor sign-in: set up with the key, then asked for a code at sign-in', async ({ signedIn: page, user }: { signedIn: import('@playwright/test').Page; user: E2EUser }) => {
  await page.goto('/settings/security');
  await expect(page.getByRole('list', { name: 'Sessions' })).toContainText('This device');
  await expectAccessible(page);
  await page.getByLabel('Your password').fill(user.password);
  await page.getByRole('button', { name: 'Set up' }).click();
  const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
  const totp = new TOTP({ secret, digits: 6, period: 30 });
  await expect(page.getByTestId('backup-codes').getByRole('listitem')).toHaveCount(8);
  await page.getByLabel('Code from the app').fill(totp.generate());
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByText('Two-factor sign-in is on.')).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Two-factor sign-in' })).toBeVisible();
  await page.getByLabel('Authentication code').fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('alert')).toContainText('That code is not right');
  await page.getByLabel('Authentication code').fill(totp.generate());
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/studio$/);
});

test('sign-up with an address that already has an account does not say so, and emails the owner', async ({ signedIn: page, user }) => {
  await page.context().clearCookies({ name: 'better-auth.session_token' });
  await page.goto('/sign-up');
  await page.getByLabel('Name').fill('Someone Else');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill('a different password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('alert')).toHaveText('Check your email: if this address already has an account, we sent you a message about signing in.');
  expect(await linkFromMail(user.email, /Someone tried to create a Flux Klein account/)).toContain('/sign-in');
});

test('sign in with GitHub: account created with the provider id; the only method cannot be removed', async ({ page }) => {
  await page.goto('/sign-in');
  await page.getByRole('button', { name: 'Continue with GitHub' }).click();
  await expect(page).toHaveURL(/\/studio$/);
  await page.goto('/settings/account');
  const methods = page.getByRole('list', { name: 'Sign-in methods' });
  await expect(methods).toContainText('GitHub');
  await expect(methods).toContainText('Account 4242');
  // Stored: the provider's account id, linked to the user the provider's address belongs to.
  const stored = await query<{ providerId: string; accountId: string; email: string }>('select a."providerId", a."accountId", u.email from account a join "user" u on u.id = a."userId" where u.email = $1', ['octo@example.test']);
  expect(stored).toEqual([{ providerId: 'github', accountId: '4242', email: 'octo@example.test' }]);
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Remove GitHub' }).click();
  await expect(page.getByRole('alert')).toHaveText('This is your only way to sign in, so it cannot be removed. Add another one first.');
  await expect(methods).toContainText('GitHub');
  expect(await query('select 1 from account a join "user" u on u.id = a."userId" where u.email = $1', ['octo@example.test'])).toHaveLength(1);
});
