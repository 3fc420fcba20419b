import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TOTP } from 'otpauth';
import { expect, expectAccessible, test, type E2EUser } from './fixtures.js';

/** The e2e server has no SMTP: mail lands in its development outbox, which the specs read. */
function outboxDir() {
  const port = Number(process.env.E2E_PORT ?? 3211);
  const { dataDir } = JSON.parse(fs.readFileSync(path.join(os.tmpdir(), `flux-klein-e2e-${port}.json`), 'utf8')) as { dataDir: string };
  return path.join(dataDir, 'outbox');
}
async function linkFromMail(to: string, subject: RegExp): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const files = fs.existsSync(outboxDir()) ? fs.readdirSync(outboxDir()) : [];
    for (const f of files) {
      const m = JSON.parse(fs.readFileSync(path.join(outboxDir(), f), 'utf8')) as { to: string; subject: string; text: string };
      if (m.to === to && subject.test(m.subject)) return m.text.match(/https?:\/\/\S+/)![0];
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${to}`);
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

test('the confirmation reminder goes away once the emailed link is followed', async ({ signedIn: page, user }) => {
  await page.goto('/studio');
  const banner = page.getByRole('region', { name: 'Email confirmation' });
  await expect(banner).toContainText(user.email);
  await page.goto(await linkFromMail(user.email, /Confirm your email address/));
  await page.goto('/settings/account');
  await expect(page.getByText('Confirmed')).toBeVisible();
  await expect(banner).toHaveCount(0);
  await expectAccessible(page);
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
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Remove GitHub' }).click();
  await expect(page.getByRole('alert')).toHaveText('This is your only way to sign in, so it cannot be removed. Add another one first.');
  await expect(methods).toContainText('GitHub');
});
