/**
 * What a viewer in a team workspace is offered: the studio's Generate button is disabled and says
 * why (on hover, to assistive technology, and in a visible hint), nothing can be deleted or
 * favourited, and a teammate's job still shows up live in the viewer's studio.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from '@playwright/test';
import { CONSENT_COOKIE, encodeConsentCookie } from '../server/shared/consent.js';
import { expect, expectAccessible, newUser, test } from './fixtures.js';
import { sql } from './server-data.js';

const REASON = 'Only editors, admins and the owner can generate. You are a viewer in this workspace.';

async function person(browser: Browser, baseURL: string, name: string, prefix: string) {
  const ctx = await browser.newContext({ baseURL });
  await ctx.addCookies([{ name: CONSENT_COOKIE, value: encodeConsentCookie({ preferences: false, analytics: false }, new Date()), url: baseURL }]);
  const page = await ctx.newPage();
  const user = { ...newUser(prefix), name };
  expect((await page.request.post('/api/auth/sign-up/email', { data: user, headers: { origin: baseURL } })).ok()).toBe(true);
  expect((await page.request.post('/api/auth/sign-in/email', { data: { email: user.email, password: user.password }, headers: { origin: baseURL } })).ok()).toBe(true);
  const { rows } = await sql<{ id: string }>('update "user" set "emailVerified" = true where email = $1 returning id', [user.email]);
  return { ctx, page, user, id: rows[0]!.id };
}

/** A tRPC mutation over HTTP, as the browser's client sends it (superjson envelope). */
async function mutate<T>(page: Page, baseURL: string, path: string, input: unknown): Promise<T> {
  const res = await page.request.post(`/trpc/${path}`, { data: { json: input }, headers: { origin: baseURL } });
  expect(res.ok(), await res.text()).toBe(true);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

test('a viewer sees Generate disabled with the reason, and no Delete or Favourite', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const ana = await person(browser, baseURL!, 'Ana Owner', 'ana');
  const vic = await person(browser, baseURL!, 'Vic Viewer', 'vic');
  const ws = await mutate<{ id: string }>(ana.page, baseURL!, 'workspace.create', { name: 'Atelier Nord' });
  // Billing is on in the e2e server: a team starts with no credits, so Ana moves some in.
  await mutate(ana.page, baseURL!, 'credits.transfer', { transferId: randomUUID(), toWorkspaceId: ws.id, amount: 10 });
  await sql('insert into membership (workspace_id, user_id, role) values ($1, $2, $3)', [ws.id, vic.id, 'viewer']);
  // Vic looks at the team workspace (the remembered current workspace).
  await vic.ctx.addCookies([{ name: 'fk_ws', value: ws.id, url: baseURL! }]);

  const v = vic.page;
  await v.goto('/studio');
  const generate = v.getByRole('button', { name: /^Generate/ });
  await expect(generate).toBeVisible();
  await expect(generate).toBeDisabled();
  await expect(generate).toHaveAttribute('title', REASON);
  await expect(generate).toHaveAccessibleDescription(REASON);
  await expect(v.getByText(REASON)).toBeVisible();
  // Pressing it (or Ctrl+Enter) starts nothing.
  await v.getByLabel('Prompt').fill('Not allowed here');
  await generate.click({ force: true });
  await v.getByLabel('Prompt').press('Control+Enter');
  await expect(v.getByRole('article', { name: /Not allowed here/ })).toHaveCount(0);
  expect((await sql('select 1 from generation where workspace_id = $1', [ws.id])).rowCount).toBe(0);
  await expectAccessible(v);

  // Ana's job in the workspace shows up in Vic's studio as it runs, without the actions Vic cannot take.
  await mutate(ana.page, baseURL!, 'generation.create', { workspaceId: ws.id, prompt: 'A blue door in a white wall' });
  const card = v.getByRole('article', { name: /A blue door in a white wall/ });
  await expect(card.getByTestId('generation-status')).toHaveText('Done', { timeout: 30_000 });
  for (const name of ['Keep', 'Re-run', 'Vary', 'Use as reference', 'Cancel']) await expect(card.getByRole('button', { name, exact: true })).toHaveCount(0);

  // The library: no favourite toggle, and selecting offers download but no delete.
  await v.goto('/library');
  const tile = v.getByRole('listitem').filter({ has: v.getByRole('link', { name: /A blue door/ }) });
  await expect(tile).toBeVisible();
  await expect(tile.getByRole('button', { name: /favourites/ })).toHaveCount(0);
  await tile.getByRole('checkbox').check();
  await expect(v.getByRole('link', { name: 'Download ZIP' })).toBeVisible();
  await expect(v.getByRole('button', { name: /Delete/ })).toHaveCount(0);
  await expectAccessible(v);

  // The item: Favourite is disabled with its reason, and there is no Delete.
  await tile.getByRole('link', { name: /A blue door/ }).click();
  const fav = v.getByRole('button', { name: /Favourite/ });
  await expect(fav).toBeDisabled();
  await expect(fav).toHaveAccessibleDescription(/Only editors, admins and the owner can favourite, keep or tag items/);
  await expect(v.getByRole('button', { name: 'Delete' })).toHaveCount(0);
  await expect(v.getByRole('link', { name: 'Download' })).toBeVisible();
  await expectAccessible(v);

  // Ana, the owner, is offered all of it.
  await ana.ctx.addCookies([{ name: 'fk_ws', value: ws.id, url: baseURL! }]);
  await ana.page.goto('/studio');
  await expect(ana.page.getByRole('button', { name: /^Generate/ })).toBeEnabled();
  await expect(ana.page.getByText(REASON)).toHaveCount(0);
  await ana.page.goto(v.url());
  await expect(ana.page.getByRole('button', { name: 'Delete' })).toBeVisible();
  for (const p of [ana, vic]) await p.ctx.close();
});
