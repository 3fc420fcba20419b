import { newUser, test, expect } from './fixtures.js';
import type { Page } from '@playwright/test';

const XSS = `<img src=x onerror="window.__xss='img'"><script>window.__xss='script'</script><svg onload="window.__xss='svg'">`;

/** Collects CSP violations and script errors the page reports. */
function watch(page: Page) {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

test('every main page sends a strict CSP with a fresh nonce and the other security headers', async ({ signedIn: page }) => {
  const nonces = new Set<string>();
  for (const path of ['/', '/sign-in', '/studio', '/library', '/boards', '/workspaces', '/settings/account']) {
    const res = await page.request.get(path);
    expect(res.status(), path).toBeLessThan(400);
    const csp = res.headers()['content-security-policy'] ?? '';
    const nonce = /script-src 'nonce-([^']+)' 'strict-dynamic'/.exec(csp)?.[1];
    expect(nonce, `${path}: ${csp}`).toBeTruthy();
    nonces.add(nonce!);
    for (const d of ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "img-src 'self' data: blob:"]) expect(csp, path).toContain(d);
    expect(await res.text(), path).toContain(`nonce="${nonce}"`);
    expect(res.headers()['x-content-type-options']).toBe('nosniff');
    expect(res.headers()['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(res.headers()['cross-origin-opener-policy']).toBe('same-origin');
    // Served over plain http here: no HSTS (the unit test covers https).
    expect(res.headers()['strict-transport-security']).toBeUndefined();
  }
  expect(nonces.size).toBe(7);
});

test('markup stored in a prompt and a name does not run, and the pages report no CSP violation', async ({ page, baseURL }) => {
  const user = { ...newUser('xss'), name: `Robin ${XSS}` };
  expect((await page.request.post('/api/auth/sign-up/email', { data: user, headers: { origin: baseURL! } })).ok()).toBe(true);
  expect((await page.request.post('/api/auth/sign-in/email', { data: { email: user.email, password: user.password }, headers: { origin: baseURL! } })).ok()).toBe(true);
  const created = await page.request.post('/trpc/generation.create', { data: { json: { prompt: `A cat ${XSS}` } }, headers: { origin: baseURL! } });
  expect(created.ok()).toBe(true);
  const problems = watch(page);
  let socketOpened = false;
  page.on('websocket', (ws) => {
    if (ws.url().includes('/socket.io')) socketOpened = true;
  });

  await page.goto('/studio');
  // The stored prompt is shown (as text) in the studio's history.
  await expect(page.getByRole('article', { name: /A cat/ })).toBeVisible();
  await page.goto('/library');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await page.goto('/boards');
  await page.getByLabel('Board name').fill(`Board ${XSS}`);
  await page.getByRole('button', { name: 'Create board' }).click();
  await expect(page).toHaveURL(/\/boards\/[0-9a-f-]{36}/);
  await expect.poll(() => socketOpened).toBe(true);
  expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss)).toBeUndefined();
  expect(problems).toEqual([]);
});

test('injected markup with an inline handler or parser-inserted script does not run (blocked by the CSP)', async ({ signedIn: page }) => {
  const problems = watch(page);
  await page.goto('/studio');
  await page.evaluate(() => {
    // What an HTML injection would add: an inline event handler and a parser-inserted inline script.
    const div = document.createElement('div');
    div.innerHTML = `<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" onload="window.__xss='img'"><img src="/nope" onerror="window.__xss='err'">`;
    document.body.appendChild(div);
    const frame = document.createElement('iframe');
    frame.srcdoc = "<script>parent.__xss='frame'</script>";
    document.body.appendChild(frame);
  });
  await expect.poll(() => problems.some((p) => /Content Security Policy/.test(p))).toBe(true);
  expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss)).toBeUndefined();
});

test('signing in never sends you to another site, whatever `next` says', async ({ page, baseURL }) => {
  const user = newUser('redir');
  expect((await page.request.post('/api/auth/sign-up/email', { data: user, headers: { origin: baseURL! } })).ok()).toBe(true);
  await page.goto(`/sign-in?next=${encodeURIComponent('/\t/evil.example')}`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(`${baseURL}/studio`);
});

test('a cross-site form post to sign-in or to switch workspace is refused with a readable 403', async ({ signedIn: page, user }) => {
  const signIn = await page.request.post('/sign-in', { form: { email: user.email, password: user.password }, headers: { origin: 'https://evil.example' }, maxRedirects: 0 });
  expect(signIn.status()).toBe(403);
  expect(signIn.headers()['set-cookie']).toBeUndefined();
  const sw = await page.request.post('/workspaces/switch', { form: { workspaceId: '00000000-0000-4000-8000-000000000000', redirectTo: '/boards' }, headers: { origin: 'https://evil.example', accept: 'text/html' }, maxRedirects: 0 });
  expect(sw.status()).toBe(403);
  expect(await sw.text()).toContain('This request came from another site and was refused.');
});
