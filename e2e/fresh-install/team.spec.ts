/**
 * A team on a fresh install: the product started exactly like `npm start` with no configuration
 * (production mode, embedded PostgreSQL, billing off, no SMTP; ./server.ts), walked in Chromium by
 * three people in their own browser contexts, the way they would: Ana signs up and confirms her
 * address with the link from the server log, creates a team, sees its starting credits and moves
 * some from her personal workspace; she invites Ben (editor) and Vic (viewer) by email (links from
 * the log), who create their accounts from the invitation; Ben's studio and board follow Ana's jobs
 * live; undo is per person, @mentions reach Ben, the keyboard resizes; Vic is offered nothing he may
 * not do, and told why; the outbox page answers this machine only; signing in during the deletion
 * grace period says so. The tests run in order and share the three people.
 */
import fs from 'node:fs';
import type { Browser, BrowserContext, Locator, Page } from '@playwright/test';
import { expect, expectAccessible, newUser, test, type E2EUser } from '../fixtures.js';
import { freshServer, linkFromLog, logLines, mailLines, sql } from './server-log.js';

test.describe.configure({ mode: 'serial' });

type Person = { ctx: BrowserContext; page: Page; user: E2EUser };
let ana: Person;
let ben: Person;
let vic: Person;
let teamId = '';
let boardUrl = '';

const TEAM = 'Atelier Nord';
const VIEWER_REASON = 'Only editors, admins and the owner can generate. You are a viewer in this workspace.';
const inviteLink = (to: string) => linkFromLog(to, /invited you to/, /\/invite\//);
const item = (page: Page, name: RegExp) => page.getByRole('listbox', { name: 'Items on the board' }).getByRole('option', { name });
const credits = (page: Page) => page.getByTestId('credits-balance');
const px = (l: Locator, prop: 'left' | 'top' | 'width' | 'height') => l.evaluate((el, p) => parseFloat((el as HTMLElement).style[p]), prop);

/** A browser context of its own, as a person who has never been here (no cookies at all). */
async function newPerson(browser: Browser, baseURL: string, name: string, prefix: string): Promise<Person> {
  const ctx = await browser.newContext({ baseURL });
  return { ctx, page: await ctx.newPage(), user: { ...newUser(prefix), name } };
}

/** The first visit's cookie banner: the person rejects the optional categories. */
async function rejectOptionalCookies(page: Page) {
  const banner = page.getByRole('region', { name: /cookie/i });
  await banner.getByRole('button', { name: 'Reject all' }).click();
  await expect(banner).toHaveCount(0);
}

/** Fills the sign-up form the page is on. */
async function fillSignUp(page: Page, user: E2EUser, emailPrefilled = false) {
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await page.getByLabel('Name').fill(user.name);
  if (emailPrefilled) await expect(page.getByLabel('Email')).toHaveValue(user.email);
  else await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/** Opens the invitation from the emailed link signed out, creates the account from there, and joins. */
async function joinFromInvitation(who: Person) {
  const p = who.page;
  await p.goto(await inviteLink(who.user.email));
  await expect(p.getByRole('heading', { name: `Join ${TEAM}` })).toBeVisible();
  // Creating the account (or signing in) comes back to this invitation.
  for (const name of ['Create an account', 'Sign in']) await expect(p.getByRole('main').getByRole('link', { name, exact: true })).toHaveAttribute('href', new RegExp(`next=${encodeURIComponent(new URL(p.url()).pathname)}(&|$)`));
  await rejectOptionalCookies(p);
  await expect(p.getByText(`Sign in or create an account with ${who.user.email} to accept.`)).toBeVisible();
  await p.getByRole('link', { name: 'Create an account' }).click();
  await fillSignUp(p, who.user, true);
  // Back on the invitation, now signed in with the invited address.
  await expect(p).toHaveURL(/\/invite\//);
  await p.getByRole('button', { name: `Accept and join ${TEAM}` }).click();
  await expect(p).toHaveURL(/\/boards$/);
  await expect(p.getByRole('button', { name: `Current workspace: ${TEAM}` })).toBeVisible();
}

async function addNote(page: Page, text: string) {
  await page.getByRole('button', { name: /Add a note/ }).click();
  const note = item(page, /^Note: empty/).last();
  await expect(note).toBeFocused();
  await note.press('Enter');
  await page.getByLabel(/Note text/).fill(text);
  await page.getByLabel(/Note text/).press('Control+Enter');
  const saved = item(page, new RegExp(`^Note: ${text}`));
  await expect(saved).toBeFocused();
  return saved;
}

/** Records every text a generation card's status shows on this page from now on (to see a job followed live). */
async function recordStatuses(page: Page) {
  await page.evaluate(() => {
    const w = window as unknown as { __statuses: string[]; __sameDocument: boolean };
    w.__statuses = [];
    w.__sameDocument = true; // gone if the page reloads
    const note = () => {
      for (const el of document.querySelectorAll('[data-testid="generation-status"]')) {
        const t = el.textContent ?? '';
        if (w.__statuses[w.__statuses.length - 1] !== t) w.__statuses.push(t);
      }
    };
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}
const statuses = (page: Page) => page.evaluate(() => (window as unknown as { __statuses?: string[] }).__statuses ?? null);
const sameDocument = (page: Page) => page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true);

// On a failure the server's log goes with the report (it is a throwaway server's).
test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('server.log', { body: fs.readFileSync(freshServer().logFile, 'utf8'), contentType: 'text/plain' });
});

test.afterAll(async () => {
  for (const p of [ana, ben, vic]) await p?.ctx.close();
});

test('Ana signs up on a fresh install and confirms her address with the link from the server log', async ({ browser, baseURL }) => {
  ana = await newPerson(browser, baseURL!, 'Ana Owner', 'ana');
  const a = ana.page;
  await a.goto('/');
  await rejectOptionalCookies(a);
  await a.getByRole('link', { name: 'Create a free account' }).click();
  await fillSignUp(a, ana.user);
  await expect(a).toHaveURL(/\/studio$/);
  await expect(a.getByRole('region', { name: 'Email confirmation' })).toContainText(`we sent a link to ${ana.user.email}`);
  // Billing is off: the personal workspace has its sign-up grant, and nothing is for sale.
  await expect(credits(a)).toContainText('100');
  await a.goto('/pricing');
  await expect(a.getByRole('status').filter({ hasText: 'Billing is not set up on this server, so nothing can be bought here.' })).toBeVisible();

  // The message is in the log: subject, recipient and the link, nothing else needed.
  const line = mailLines().find((m) => m.to === ana.user.email);
  expect(line?.subject).toBe('Confirm your email address for Flux Klein');
  expect(line?.links).toEqual([expect.stringMatching(new RegExp(`^${baseURL}/api/auth/verify-email\\?token=`))]);
  await a.goto(line!.links[0]!);
  await expect(a.getByRole('status').filter({ hasText: `Your email address ${ana.user.email} is confirmed.` })).toBeVisible();
  await expect(a.getByRole('region', { name: 'Email confirmation' })).toHaveCount(0);
  await expectAccessible(a);
});

test('the outbox page shows the mail to this machine only', async ({ baseURL }) => {
  const a = ana.page;
  await a.goto('/dev/outbox');
  const message = a.getByRole('article', { name: 'Confirm your email address for Flux Klein' }).filter({ hasText: `To ${ana.user.email}` });
  await expect(message).toBeVisible();
  await expect(message.getByRole('link', { name: /\/api\/auth\/verify-email\?token=/ })).toBeVisible();
  await expectAccessible(a);
  // The same server asked through this machine's network address (not loopback): no such page.
  const { networkInterfaces } = await import('node:os');
  const outside = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal);
  if (outside) {
    const res = await fetch(`http://${outside.address}:${new URL(baseURL!).port}/dev/outbox`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain(ana.user.email);
  }
  // Nor through a proxy on this machine (a forwarding header): to us, the proxy is the one asking.
  const proxied = await a.request.get('/dev/outbox', { headers: { 'x-forwarded-for': '203.0.113.9' } });
  expect(proxied.status()).toBe(404);
  // The server said at start where mail goes, and a link's token is in its mail line and nowhere else in the log.
  const lines = logLines();
  expect(lines).toContainEqual(expect.objectContaining({ msg: expect.stringMatching(/^No SMTP_URL: mail is not sent/), outbox: `${baseURL}/dev/outbox` }));
  const token = new URL(mailLines().find((m) => m.to === ana.user.email)!.links[0]!).searchParams.get('token')!;
  expect(lines.filter((l) => JSON.stringify(l).includes(token))).toEqual([expect.objectContaining({ msg: 'mail written to the local outbox', to: ana.user.email })]);
});

test('a team starts with its starting credits, and credits move from the personal workspace exactly once', async ({ baseURL }) => {
  const a = ana.page;
  await a.goto('/workspaces');
  await a.getByLabel('Workspace name').fill(TEAM);
  await a.getByRole('button', { name: 'Create workspace' }).click();
  await expect(a.getByRole('heading', { name: TEAM, level: 1 })).toBeVisible();
  teamId = a.url().split('/workspaces/')[1]!;
  await expect(a.getByRole('button', { name: `Current workspace: ${TEAM}` })).toBeVisible();
  // TEAM_STARTING_CREDITS (100) with billing off.
  const panel = a.getByRole('region', { name: 'Credits' });
  await expect(panel).toContainText('This workspace has 100 credits.');
  await expect(credits(a)).toContainText('100');

  const form = a.getByRole('form', { name: 'Move credits from your personal workspace' });
  await expect(form.getByText('Move from your personal workspace (100 available)')).toBeVisible();
  const transferId = await form.locator('input[name="transferId"]').inputValue();
  await form.getByRole('spinbutton').fill('25');
  await form.getByRole('button', { name: 'Move credits' }).click();
  await expect(panel.getByRole('status')).toHaveText('Moved 25 credits from your personal workspace. This workspace now has 125.');
  await expect(panel).toContainText('This workspace has 125 credits.');
  await expect(credits(a)).toContainText('125');
  await expect(form.getByText('(75 available)')).toBeVisible();

  // The same form sent again (a retry, a second click that got through): nothing moves twice.
  const again = await a.request.post(`/workspaces/${teamId}`, { form: { intent: 'credits', transferId, amount: '25' }, headers: { origin: baseURL! } });
  // It reached the form's action, which answered as for the first time (the transfer is keyed by its id).
  expect(again.status()).toBe(200);
  expect(await again.text()).toContain('Moved 25 credits from your personal workspace. This workspace now has 125.');
  await a.reload();
  await expect(panel).toContainText('This workspace has 125 credits.');
  await expect(form.getByText('(75 available)')).toBeVisible();
  const { rows } = await sql<{ reason: string; delta: number; kind: string }>(
    `select l.reason, l.delta, w.kind from credit_ledger l join workspace w on w.id = l.workspace_id where l.ref like '%' || $1 order by l.delta`,
    [transferId],
  );
  expect(rows).toEqual([
    { reason: 'transfer.out', delta: -25, kind: 'personal' },
    { reason: 'transfer.in', delta: 25, kind: 'team' },
  ]);
  // The team's ledger: its starting grant and the transfer in, once each.
  const team = await sql<{ reason: string; delta: number }>('select reason, delta from credit_ledger where workspace_id = $1 order by created_at', [teamId]);
  expect(team.rows).toEqual([
    { reason: 'team_grant', delta: 100 },
    { reason: 'transfer.in', delta: 25 },
  ]);
});

test('Ana invites Ben and Vic by email; they create their accounts from the link and join', async ({ browser, baseURL }) => {
  test.setTimeout(90_000);
  ben = await newPerson(browser, baseURL!, 'Ben Editor', 'ben');
  vic = await newPerson(browser, baseURL!, 'Vic Viewer', 'vic');
  const a = ana.page;
  await a.goto(`/workspaces/${teamId}`);
  for (const [who, role] of [
    [ben, 'editor'],
    [vic, 'viewer'],
  ] as const) {
    await a.getByLabel('Email address').fill(who.user.email);
    await a.getByLabel('Role', { exact: true }).selectOption(role);
    await a.getByRole('button', { name: 'Send invitation' }).click();
    await expect(a.getByRole('status').filter({ hasText: `Invitation sent to ${who.user.email}` })).toBeVisible();
  }
  await joinFromInvitation(ben);
  await joinFromInvitation(vic);
  // Ana's page lists them, live.
  const members = a.getByRole('list', { name: 'Members' });
  await expect(members).toContainText('Ben Editor');
  await expect(members).toContainText('Vic Viewer');
});

test('Ana generates in the team studio: Ben’s studio follows the job live to the image; only Ana is told', async () => {
  test.setTimeout(90_000);
  const a = ana.page;
  const b = ben.page;
  // Each has a second tab open on the library.
  await a.goto('/studio');
  await expect(a.getByRole('button', { name: `Current workspace: ${TEAM}` })).toBeVisible();
  const anaLibrary = await ana.ctx.newPage();
  await anaLibrary.goto('/library');
  const benLibrary = await ben.ctx.newPage();
  await benLibrary.goto('/library');

  await b.goto('/studio');
  await expect(b.getByRole('button', { name: `Current workspace: ${TEAM}` })).toBeVisible();
  await expect(b.getByRole('heading', { name: 'Nothing here yet' })).toBeVisible();
  await recordStatuses(b);
  await expect(credits(b)).toContainText('125');

  await a.getByLabel('Prompt').fill('A lighthouse in the fog, seen from the sea');
  await a.getByRole('button', { name: /^Generate/ }).click();

  const card = b.getByRole('article', { name: /A lighthouse in the fog/ });
  await expect(card.getByTestId('generation-status')).toHaveText('Done', { timeout: 30_000 });
  const img = card.getByRole('img', { name: 'A lighthouse in the fog, seen from the sea' });
  await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBeGreaterThan(0);
  // Followed, not reloaded: the card went through its states on the same page.
  expect(await sameDocument(b)).toBe(true);
  const seen = (await statuses(b))!;
  expect(seen[seen.length - 1]).toBe('Done');
  expect(seen.some((s) => /^(Queued|Running)/.test(s))).toBe(true);
  // The team's balance went down for both of them.
  await expect(a.getByRole('article', { name: /A lighthouse in the fog/ }).getByTestId('generation-status')).toHaveText('Done');
  await expect(credits(a)).not.toContainText('125');
  const after = (await credits(a).innerText()).replace(/\D/g, '');
  await expect(credits(b)).toContainText(after);

  // Only the author's tabs toast; notifications stay personal.
  await expect(anaLibrary.getByRole('status').filter({ hasText: 'Image ready' })).toContainText('A lighthouse in the fog');
  await expect(benLibrary.getByRole('status').filter({ hasText: 'Image ready' })).toHaveCount(0);
  await expect(a.getByRole('button', { name: /^Notifications, \d+ unread$/ })).toBeVisible();
  await benLibrary.goto('/notifications');
  await expect(benLibrary.getByRole('heading', { name: 'Notifications', level: 1 })).toBeVisible();
  await expect(benLibrary.getByRole('link', { name: 'Your image is ready' })).toHaveCount(0);
  await anaLibrary.goto('/notifications');
  await expect(anaLibrary.getByRole('link', { name: 'Your image is ready' })).toBeVisible();
  await anaLibrary.close();
  await benLibrary.close();
});

test('on a team board: Ana’s generation lands for Ben, undo is per person, @Ben is told, the keyboard resizes', async () => {
  test.setTimeout(120_000);
  const a = ana.page;
  const b = ben.page;
  await a.goto('/boards');
  await a.getByLabel('Board name').fill('Spring campaign');
  await a.getByRole('button', { name: 'Create board' }).click();
  await expect(a.getByRole('heading', { name: 'Spring campaign', level: 1 })).toBeVisible();
  await expect(a.getByTestId('board-status')).toHaveText('All changes saved');
  boardUrl = a.url();
  await b.goto(boardUrl);
  await expect(b.getByTestId('board-status')).toHaveText('All changes saved');
  await expect(a.getByRole('list', { name: /On this board: 2 people/ })).toBeVisible();

  // Ana generates onto the board; the placeholder, then the image, appear on Ben's screen.
  await a.getByLabel('Generate onto the board').fill('A teal kite over dunes');
  await a.getByRole('button', { name: 'Generate', exact: true }).click();
  await expect(item(b, /A teal kite over dunes/)).toBeVisible();
  const image = item(b, /^Image: A teal kite over dunes/);
  await expect(image).toBeVisible({ timeout: 30_000 });
  await expect.poll(() => image.locator('img').evaluate((el: HTMLImageElement) => el.naturalWidth)).toBeGreaterThan(0);

  // Undo is per person: Ben's Ctrl+Z takes back his note's move, not Ana's.
  const anaNote = await addNote(a, 'Palette sand and teal');
  const benNote = await addNote(b, 'Copy due Friday');
  for (const p of [a, b]) for (const n of [/^Note: Palette sand and teal/, /^Note: Copy due Friday/]) await expect(item(p, n)).toBeVisible();
  const anaX = await px(anaNote, 'left');
  const benY = await px(benNote, 'top');
  await anaNote.press('Shift+ArrowRight');
  await benNote.press('Shift+ArrowDown');
  for (const p of [a, b]) {
    await expect.poll(() => px(item(p, /^Note: Palette sand and teal/), 'left')).toBe(anaX + 50);
    await expect.poll(() => px(item(p, /^Note: Copy due Friday/), 'top')).toBe(benY + 50);
  }
  await b.keyboard.press('ControlOrMeta+z');
  for (const p of [a, b]) {
    await expect.poll(() => px(item(p, /^Note: Copy due Friday/), 'top')).toBe(benY);
    await expect.poll(() => px(item(p, /^Note: Palette sand and teal/), 'left')).toBe(anaX + 50);
  }

  // Resizing from the keyboard: Alt+→ twice and Shift+Alt+↓ on Ana's note; Ben sees the new size.
  const w0 = await px(anaNote, 'width');
  const h0 = await px(anaNote, 'height');
  await anaNote.focus();
  await anaNote.press('Alt+ArrowRight');
  await anaNote.press('Alt+ArrowRight');
  await anaNote.press('Shift+Alt+ArrowDown');
  await expect(a.getByTestId('board-announcer')).toHaveText(`Resized to ${w0 + 20} × ${h0 + 1}`);
  await expect(a).toHaveURL(boardUrl);
  await expect.poll(() => px(item(b, /^Note: Palette sand and teal/), 'width')).toBe(w0 + 20);
  await expect.poll(() => px(item(b, /^Note: Palette sand and teal/), 'height')).toBe(h0 + 1);

  // A mention: Ben is told, live, with a link to the board; Ana is not.
  await addNote(a, 'Ready for review, @Ben.');
  await expect(a.getByTestId('board-status')).toHaveText('All changes saved');
  const bell = b.getByRole('button', { name: /^Notifications, \d+ unread$/ });
  await expect(bell).toBeVisible();
  await bell.click();
  const mention = b.getByRole('region', { name: 'Notifications' }).getByRole('link', { name: /Ana Owner mentioned you on “Spring campaign”/ });
  await expect(mention).toBeVisible();
  await a.goto('/notifications');
  await expect(a.getByRole('heading', { name: 'Notifications', level: 1 })).toBeVisible();
  await expect(a.getByText(/mentioned you/)).toHaveCount(0);

  // Stored: after a reload Ben sees the image, Ana's move and size, and his own note back in place.
  await b.goto(boardUrl);
  await expect(b.getByTestId('board-status')).toHaveText('All changes saved');
  await expect(item(b, /^Image: A teal kite over dunes/)).toBeVisible();
  expect(await px(item(b, /^Note: Palette sand and teal/), 'left')).toBe(anaX + 50);
  expect(await px(item(b, /^Note: Palette sand and teal/), 'width')).toBe(w0 + 20);
  expect(await px(item(b, /^Note: Copy due Friday/), 'top')).toBe(benY);
});

test('Vic, a viewer, is offered nothing he cannot do, and told why', async () => {
  test.setTimeout(90_000);
  const v = vic.page;
  await v.goto('/studio');
  await expect(v.getByRole('button', { name: `Current workspace: ${TEAM}` })).toBeVisible();
  // The team's generations are there for him to see.
  await expect(v.getByRole('article', { name: /A lighthouse in the fog/ }).getByTestId('generation-status')).toHaveText('Done');
  const generate = v.getByRole('button', { name: /^Generate/ });
  await expect(generate).toHaveAttribute('aria-disabled', 'true');
  await expect(generate).toHaveAttribute('title', VIEWER_REASON); // on hover
  await generate.focus(); // it can be reached from the keyboard, and says why
  await expect(generate).toBeFocused();
  await expect(generate).toHaveAccessibleDescription(VIEWER_REASON);
  await expect(v.getByText(VIEWER_REASON)).toBeVisible();
  await v.getByLabel('Prompt').fill('Not allowed here');
  await generate.click({ force: true });
  await expect(v.getByRole('article', { name: /Not allowed here/ })).toHaveCount(0);
  for (const name of ['Keep', 'Re-run', 'Vary', 'Use as reference']) await expect(v.getByRole('button', { name, exact: true })).toHaveCount(0);
  await expectAccessible(v);

  // The library: no favourite toggle, selecting offers a download but no delete.
  await v.goto('/library');
  const tile = v.getByRole('listitem').filter({ has: v.getByRole('link', { name: /A lighthouse in the fog/ }) });
  await expect(tile).toBeVisible();
  await expect(tile.getByRole('button', { name: /favourites/ })).toHaveCount(0);
  await tile.getByRole('checkbox').check();
  await expect(v.getByRole('link', { name: 'Download ZIP' })).toBeVisible();
  await expect(v.getByRole('button', { name: /Delete/ })).toHaveCount(0);
  await tile.getByRole('link', { name: /A lighthouse in the fog/ }).click();
  const fav = v.getByRole('button', { name: /Favourite/ });
  await expect(fav).toHaveAttribute('aria-disabled', 'true');
  await expect(fav).toHaveAccessibleDescription(/Only editors, admins and the owner can favourite, keep or tag items/);
  await expect(v.getByRole('button', { name: 'Delete' })).toHaveCount(0);

  // The board: view only, with the reason; nothing to add, rename or delete, and keys change nothing.
  await v.goto(boardUrl);
  await expect(v.getByTestId('board-status')).toHaveText('All changes saved');
  await expect(v.getByText('View only')).toHaveAttribute('title', /You are a viewer in this workspace/);
  await expect(v.getByText(/Ask a workspace admin for editor access to generate here or change the board\./)).toBeVisible();
  for (const name of [/Add a note/, /^Rename board$/, /^Delete board$/]) await expect(v.getByRole('button', { name })).toHaveCount(0);
  await expect(v.getByLabel('Generate onto the board')).toHaveCount(0);
  const note = item(v, /^Note: Palette sand and teal/);
  await note.click();
  await v.keyboard.press('Delete');
  await v.keyboard.press('n');
  await v.reload();
  await expect(v.getByTestId('board-status')).toHaveText('All changes saved');
  await expect(item(v, /^Note: Palette sand and teal/)).toBeVisible();
  await expect(item(v, /^Note: /)).toHaveCount(3);
});

test('signing in during the deletion grace period cancels it and says so, with a way to ask again', async () => {
  test.setTimeout(90_000);
  const v = vic.page;
  const day = (ms: number) => new Date(ms).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  const from = day(Date.now() + 30 * 86_400_000);
  await v.goto('/settings/privacy');
  await v.getByRole('button', { name: 'Delete my account…' }).click();
  await v.getByLabel('Your password, to confirm').fill(vic.user.password);
  await v.getByRole('button', { name: 'Delete my account', exact: true }).click();
  await expect(v.getByText('Your account is scheduled for deletion')).toBeVisible();
  const to = day(Date.now() + 30 * 86_400_000);

  await v.goto('/studio');
  await expect(v).toHaveURL(/\/sign-in/);
  await v.getByLabel('Email').fill(vic.user.email);
  await v.getByLabel('Password').fill(vic.user.password);
  await v.getByRole('button', { name: 'Sign in' }).click();
  await expect(v).toHaveURL(/\/studio$/);
  const notice = v.getByRole('status', { name: 'Account deletion cancelled' });
  await expect(notice).toContainText(new RegExp(`Your account was going to be deleted on (${from}|${to}); signing in cancelled it\\.`));
  await expectAccessible(v);
  // Still a member of the team, still a viewer.
  await expect(v.getByRole('button', { name: `Current workspace: ${TEAM}` })).toBeVisible();
  // Told once: a reload does not bring it back; the link leads to asking again.
  await notice.getByRole('link', { name: 'ask again on the privacy page' }).click();
  await expect(v).toHaveURL(/\/settings\/privacy#delete-account$/);
  await expect(v.getByRole('button', { name: 'Delete my account…' })).toBeVisible();
  await v.reload();
  await expect(v.getByRole('status', { name: 'Account deletion cancelled' })).toHaveCount(0);
});
