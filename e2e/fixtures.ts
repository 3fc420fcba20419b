import { randomBytes } from 'node:crypto';
import AxeBuilder from '@axe-core/playwright';
import { expect, test as base, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { CONSENT_COOKIE, encodeConsentCookie } from '../server/shared/consent.js';

export interface E2EUser {
  name: string;
  email: string;
  password: string;
}

export function newUser(prefix = 'e2e'): E2EUser {
  return { name: 'Robin Example', email: `${prefix}-${randomBytes(5).toString('hex')}@example.test`, password: 'correct horse battery' };
}

/**
 * `signedIn`: a page whose context carries a session made through better-auth's HTTP API (the
 * specs that are not about the sign-up form skip it).
 */
export const test = base.extend<{ user: E2EUser; signedIn: Page }>({
  // Every page starts with a cookie choice already made (rejecting the optional categories), so
  // the banner does not cover what a spec is testing; the consent spec opens its own context.
  page: async ({ page, baseURL }, use) => {
    await page.context().addCookies([{ name: CONSENT_COOKIE, value: encodeConsentCookie({ preferences: false, analytics: false }, new Date()), url: baseURL! }]);
    await use(page);
  },
  user: async ({}, use) => {
    await use(newUser());
  },
  signedIn: async ({ page, user, baseURL }, use) => {
    const res = await page.request.post('/api/auth/sign-up/email', {
      data: { name: user.name, email: user.email, password: user.password },
      headers: { origin: baseURL! },
    });
    expect(res.ok()).toBe(true);
    const signIn = await page.request.post('/api/auth/sign-in/email', { data: { email: user.email, password: user.password }, headers: { origin: baseURL! } });
    expect(signIn.ok()).toBe(true);
    await use(page);
  },
});

export { expect };

/** No serious or critical accessibility violations on the current page. */
export async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
}

// ---- two-person board specs (board-comments, board-history-feed) ----

/** A browser context signed in as a new user (through better-auth's HTTP API). */
export async function person(browser: Browser, baseURL: string, name: string, prefix: string): Promise<{ ctx: BrowserContext; page: Page; user: E2EUser & { id: string } }> {
  const ctx = await browser.newContext({ baseURL });
  const page = await ctx.newPage();
  const user = { ...newUser(prefix), name };
  expect((await page.request.post('/api/auth/sign-up/email', { data: user, headers: { origin: baseURL } })).ok()).toBe(true);
  const signIn = await page.request.post('/api/auth/sign-in/email', { data: { email: user.email, password: user.password }, headers: { origin: baseURL } });
  expect(signIn.ok()).toBe(true);
  const id = ((await signIn.json()) as { user: { id: string } }).user.id;
  return { ctx, page, user: { ...user, id } };
}

export const item = (page: Page, name: RegExp) => page.getByRole('listbox', { name: 'Items on the board' }).getByRole('option', { name });
export const shots = process.env.E2E_SHOTS_DIR;
/** Screenshots (E2E_SHOTS_DIR set) are taken without the cookie banner in front. */
export async function shot(page: Page, path: string, fullPage = false) {
  const reject = page.getByRole('button', { name: 'Reject all' });
  if (await reject.isVisible()) {
    await reject.click();
    await expect(reject).toBeHidden();
  }
  await page.screenshot({ path, fullPage });
}
