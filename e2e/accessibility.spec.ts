/**
 * axe (WCAG 2.x A and AA rules, best practices and the experimental rules, @axe-core/playwright) finds no serious or critical issue on any page of the
 * product: signed out, signed in with content on every page (a finished image, a board with a
 * note and the image, a team), and the operator console. One list of every route below; a route
 * added to app/routes/ without an entry here fails the first test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from '@playwright/test';
import { CONSENT_COOKIE, encodeConsentCookie } from '../server/shared/consent.js';
import { expect, newUser, test } from './fixtures.js';
import { E2E_OPERATOR_EMAIL, sql } from './server-data.js';

/** Routes that are not pages a person reads (redirects, downloads, the OAuth hand-off). */
const NOT_PAGES = new Set(['sign-out', 'workspaces.switch', 'auth.social', 'billing.ledger[.csv]', 'admin']);

/** Route file → the URL visited (`:asset`, `:board`, `:team`, `:invitation` filled in below). */
const PAGES: Record<string, string> = {
  _index: '/',
  'sign-in': '/sign-in',
  'sign-up': '/sign-up',
  'sign-in_.two-factor': '/sign-in/two-factor',
  'forgot-password': '/forgot-password',
  'reset-password': '/reset-password?token=not-a-real-token',
  'verify-email': '/verify-email',
  pricing: '/pricing',
  privacy: '/privacy',
  terms: '/terms',
  cookies: '/cookies',
  subprocessors: '/subprocessors',
  'invite.$token': '/invite/not-a-real-token',
  studio: '/studio',
  'library._index': '/library',
  'library.$assetId': '/library/:asset',
  'boards._index': '/boards',
  'boards.$boardId': '/boards/:board',
  'billing._index': '/billing',
  'billing.ledger': '/billing/ledger',
  'billing.success': '/billing/success',
  notifications: '/notifications',
  'settings.account': '/settings/account',
  'settings.privacy': '/settings/privacy',
  'settings.security': '/settings/security',
  'settings.api': '/settings/api',
  queue: '/queue',
  's.$token': '/s/:share',
  'workspaces._index': '/workspaces',
  'workspaces.$workspaceId': '/workspaces/:team',
  'invitations.$invitationId': '/invitations/:invitation',
  'dev.outbox': '/dev/outbox',
  'admin._index': '/admin',
  'admin.reports': '/admin/reports',
  'admin.users': '/admin/users',
  'admin.jobs': '/admin/jobs',
  'admin.moderation': '/admin/moderation',
  'admin.privacy-requests': '/admin/privacy-requests',
};
const SIGNED_OUT = ['_index', 'sign-in', 'sign-up', 'sign-in_.two-factor', 'forgot-password', 'reset-password', 'verify-email', 'pricing', 'privacy', 'terms', 'cookies', 'subprocessors', 'invite.$token'];

/** Every WCAG 2.x A/AA rule, best practices, and axe's experimental rules (label-content-name-mismatch is one). */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice', 'experimental'];

async function violations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${new URL(page.url()).pathname}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Visits each URL, waits for the page to settle (hydrated, images and live data loaded) and collects axe's serious and critical findings. */
async function audit(page: Page, urls: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const url of urls) {
    const res = await page.goto(url);
    expect(res?.status(), `${url} answers`).toBeLessThan(500);
    await page.waitForLoadState('networkidle');
    found.push(...(await violations(page)));
  }
  return found;
}

async function signedInContext(browser: Browser, baseURL: string, email?: string) {
  const ctx = await browser.newContext({ baseURL });
  await ctx.addCookies([{ name: CONSENT_COOKIE, value: encodeConsentCookie({ preferences: false, analytics: false }, new Date()), url: baseURL }]);
  const page = await ctx.newPage();
  const user = { ...newUser('a11y'), ...(email ? { email } : {}) };
  // The operator's account may exist already (another spec of this run made it).
  await page.request.post('/api/auth/sign-up/email', { data: user, headers: { origin: baseURL } });
  expect((await page.request.post('/api/auth/sign-in/email', { data: { email: user.email, password: user.password }, headers: { origin: baseURL } })).ok()).toBe(true);
  const { rows } = await sql<{ id: string }>('update "user" set "emailVerified" = true where email = $1 returning id', [user.email]);
  return { ctx, page, user, id: rows[0]!.id };
}

async function mutate<T>(page: Page, baseURL: string, p: string, input: unknown): Promise<T> {
  const res = await page.request.post(`/trpc/${p}`, { data: { json: input }, headers: { origin: baseURL } });
  expect(res.ok(), await res.text()).toBe(true);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

test('every page of app/routes is in this audit', () => {
  const routes = fs
    .readdirSync(path.join(import.meta.dirname, '..', 'app', 'routes'))
    .map((f) => f.replace(/\.tsx?$/, ''))
    .filter((r) => !NOT_PAGES.has(r));
  expect(routes.filter((r) => !(r in PAGES))).toEqual([]);
});

test('axe finds no serious or critical issue on any page, signed out, signed in with content, and as an operator', async ({ browser, baseURL }) => {
  test.setTimeout(300_000);
  // Signed out.
  const anon = await browser.newContext({ baseURL });
  await anon.addCookies([{ name: CONSENT_COOKIE, value: encodeConsentCookie({ preferences: false, analytics: false }, new Date()), url: baseURL! }]);
  const found = await audit(await anon.newPage(), SIGNED_OUT.map((r) => PAGES[r]!));
  await anon.close();

  // Signed in, with something on every page: a finished image, a team with a board showing it and a note, an invitation.
  const me = await signedInContext(browser, baseURL!);
  const inviter = await signedInContext(browser, baseURL!);
  const team = await mutate<{ id: string }>(me.page, baseURL!, 'workspace.create', { name: 'Axe team' });
  await mutate(me.page, baseURL!, 'credits.transfer', { transferId: randomUUID(), toWorkspaceId: team.id, amount: 10 });
  const board = await mutate<{ id: string }>(me.page, baseURL!, 'board.create', { workspaceId: team.id, name: 'Axe board' });
  await mutate(me.page, baseURL!, 'generation.create', { workspaceId: team.id, boardId: board.id, prompt: 'A lighthouse on a rock, morning light', count: 2 });
  await expect
    .poll(async () => (await sql<{ id: string }>("select a.id from asset a join generation g on g.id = a.generation_id where g.workspace_id = $1 and g.status = 'succeeded'", [team.id])).rows[0]?.id, { timeout: 30_000 })
    .toBeTruthy();
  const asset = (await sql<{ id: string }>("select id from asset where workspace_id = $1 and source = 'output' order by created_at limit 1", [team.id])).rows[0]!.id;
  const other = await mutate<{ id: string }>(inviter.page, baseURL!, 'workspace.create', { name: 'Inviting team' });
  await mutate(inviter.page, baseURL!, 'workspace.invite', { workspaceId: other.id, email: me.user.email, role: 'editor' });
  const invitation = (await sql<{ id: string }>('select id from invitation where workspace_id = $1', [other.id])).rows[0]!.id;
  await me.ctx.addCookies([{ name: 'fk_ws', value: team.id, url: baseURL! }]);
  const share = await mutate<{ path: string }>(me.page, baseURL!, 'share.create', { boardId: board.id, label: 'Axe link' });
  const fill = (u: string) => u.replace(':asset', asset).replace(':board', board.id).replace(':team', team.id).replace(':invitation', invitation).replace('/s/:share', share.path);
  const member = Object.keys(PAGES).filter((r) => !SIGNED_OUT.includes(r) && !r.startsWith('admin'));
  found.push(...(await audit(me.page, member.map((r) => fill(PAGES[r]!)))));

  // The operator console.
  const op = await signedInContext(browser, baseURL!, E2E_OPERATOR_EMAIL);
  found.push(...(await audit(op.page, Object.keys(PAGES).filter((r) => r.startsWith('admin')).map((r) => PAGES[r]!))));
  for (const c of [me, inviter, op]) await c.ctx.close();

  expect(found).toEqual([]);
});
