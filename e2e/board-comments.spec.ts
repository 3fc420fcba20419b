import type { Browser, BrowserContext, Page } from '@playwright/test';
import { expect, expectAccessible, item, person, shot, shots, test } from './fixtures.js';
import { sql } from './server-data.js';

test('comments: B sees A’s comment and the replies live, with a count badge on the item; resolving takes the thread out of the open list and the badge away for both', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const ana = await person(browser, baseURL!, 'Ana Owner', 'ana');
  const ben = await person(browser, baseURL!, 'Ben Editor', 'ben');
  const a = ana.page;
  const b = ben.page;
  await a.goto('/workspaces');
  await a.getByLabel('Workspace name').fill('Team Comments');
  await a.getByRole('button', { name: 'Create workspace' }).click();
  await expect(a.getByRole('heading', { name: 'Team Comments', level: 1 })).toBeVisible();
  const workspaceId = a.url().split('/workspaces/')[1]!;
  await sql(`insert into membership (workspace_id, user_id, role) values ($1, $2, 'editor')`, [workspaceId, ben.user.id]);
  await a.goto('/boards');
  await a.getByLabel('Board name').fill('Poster review');
  await a.getByRole('button', { name: 'Create board' }).click();
  await expect(a.getByRole('heading', { name: 'Poster review' })).toBeVisible();
  await expect(a.getByTestId('board-status')).toHaveText('All changes saved');
  const boardUrl = a.url();

  // A note to talk about.
  await a.getByRole('button', { name: /Add a note/ }).click();
  await item(a, /^Note: /).press('Enter');
  await a.getByLabel(/Note text/).fill('Headline: Summer sale');
  await a.getByLabel(/Note text/).press('Control+Enter');
  await expect(a.getByTestId('board-status')).toHaveText('All changes saved');

  // Ben has the board and its comments open, empty.
  await b.goto(boardUrl);
  await expect(b.getByTestId('board-status')).toHaveText('All changes saved');
  await b.getByRole('button', { name: /^Comments/ }).click();
  const bPanel = b.getByTestId('board-comments');
  await expect(bPanel.getByTestId('comments-empty')).toHaveText(/No open comments/);

  // Ana comments on the selected note, by keyboard: C on the note opens the composer for it.
  await item(a, /Note: Headline: Summer sale/).click();
  await item(a, /Note: Headline: Summer sale/).press('c');
  const aPanel = a.getByTestId('board-comments');
  await expect(a.getByLabel(/New comment/)).toBeFocused();
  await expect(aPanel.getByTestId('comment-target')).toHaveText('On note: Headline: Summer sale');
  await a.getByLabel(/New comment/).fill('Can the headline be bolder, @Ben?');
  await a.getByLabel(/New comment/).press('Control+Enter');
  await expect(aPanel.getByRole('article')).toHaveCount(1);

  // Ben sees it without reloading: in his panel, and as a badge on the note.
  const bThread = bPanel.getByRole('article', { name: /Thread: Can the headline be bolder/ });
  await expect(bThread).toContainText('Ana Owner');
  await expect(bThread).toContainText('Can the headline be bolder, @Ben?');
  await expect(item(b, /Note: Headline: Summer sale \(1 comment\)/)).toBeVisible();
  await expect(item(b, /Note: Headline: Summer sale/).getByTestId('comment-badge')).toHaveText('1');
  await expect(b.getByRole('button', { name: /^Comments/ })).toContainText('1');

  // Ben answers; Ana sees the reply live, and both badges count two.
  await bThread.getByLabel('Reply to this thread').fill('Yes, and larger too.');
  await bThread.getByRole('button', { name: 'Reply' }).click();
  const aThread = aPanel.getByRole('article', { name: /Thread: Can the headline be bolder/ });
  await expect(aThread).toContainText('Ben Editor');
  await expect(aThread).toContainText('Yes, and larger too.');
  // Ana answers back; Ben sees it.
  await aThread.getByLabel('Reply to this thread').fill('Done, have a look.');
  await aThread.getByLabel('Reply to this thread').press('Control+Enter');
  await expect(bThread).toContainText('Done, have a look.');
  for (const p of [a, b]) await expect(item(p, /Note: Headline: Summer sale/).getByTestId('comment-badge')).toHaveText('3');

  // Ben edits his reply; Ana sees the new words, marked edited.
  await bThread.getByRole('button', { name: 'Edit your comment' }).click();
  await b.getByLabel('Edit your comment').fill('Yes, and 20% larger too.');
  await b.getByLabel('Edit your comment').press('Control+Enter');
  await expect(aThread).toContainText('Yes, and 20% larger too.');
  await expect(aThread).toContainText('edited');
  // Ana may not edit Ben's words: only her own comments have Edit.
  await expect(aThread.getByRole('button', { name: 'Edit your comment' })).toHaveCount(2);

  await expectAccessible(b);
  if (shots) await shot(b, `${shots}/comments-desktop.png`);

  // Ana resolves the thread: it leaves both open lists, the badges go, and it is under Resolved.
  await aThread.getByRole('button', { name: 'Resolve' }).click();
  await expect(bPanel.getByRole('article')).toHaveCount(0);
  await expect(bPanel.getByTestId('comments-empty')).toHaveText(/No open comments/);
  for (const p of [a, b]) {
    await expect(item(p, /Note: Headline: Summer sale/).getByTestId('comment-badge')).toHaveCount(0);
    await expect(item(p, /^Note: Headline: Summer sale$/)).toBeVisible();
  }
  await bPanel.getByRole('button', { name: /^Resolved/ }).click();
  await expect(bPanel.getByRole('article', { name: /Thread: Can the headline be bolder/ })).toContainText('Resolved by Ana Owner');

  // A comment pinned to a spot on the canvas (Ben picks it), shown to Ana as a pin; opening it shows the thread.
  await bPanel.getByRole('button', { name: /^Open/ }).click();
  await b.getByRole('listbox', { name: 'Items on the board' }).press('Escape');
  await bPanel.getByRole('button', { name: 'Pick a spot' }).click();
  const box = (await b.getByTestId('board-canvas').boundingBox())!;
  // Near the canvas's top-right corner: empty, and on screen whatever the bar above it holds (its bottom may be below the fold).
  await b.mouse.click(box.x + box.width - 60, box.y + 60);
  await expect(bPanel.getByTestId('comment-target')).toHaveText('At the spot you picked on the canvas');
  await b.getByLabel(/New comment/).fill('Room for the logo here?');
  await bPanel.getByRole('button', { name: 'Comment', exact: true }).click();
  const pin = a.getByRole('button', { name: /Comment: Room for the logo here\? \(1 comment\)/ });
  await expect(pin).toBeVisible();
  await pin.click();
  await expect(aPanel.getByRole('article', { name: /Thread: Room for the logo here/ })).toBeFocused();

  // Ben's mention reached his notifications; its link opens the board with the thread shown (it is
  // resolved now, so under Resolved). Everything was stored: a fresh page load shows it all.
  await b.goto('/notifications');
  const row = b.getByRole('list', { name: 'Notifications' }).getByRole('listitem').filter({ hasText: 'Ana Owner mentioned you in a comment on “Poster review”' });
  await expect(row).toContainText('Can the headline be bolder, @Ben?');
  await row.getByRole('link', { name: /mentioned you in a comment/ }).click();
  await expect(b).toHaveURL(/\/boards\/[0-9a-f-]+\?thread=/);
  await expect(bPanel.getByRole('article', { name: /Thread: Can the headline be bolder/ })).toBeFocused();
  await expect(bPanel.getByRole('button', { name: /^Resolved/ })).toHaveAttribute('aria-pressed', 'true');
  await bPanel.getByRole('button', { name: /^Open/ }).click();
  await expect(bPanel.getByRole('article')).toHaveCount(1);
  await bPanel.getByRole('button', { name: /^Resolved/ }).click();
  await expect(bPanel.getByRole('article')).toHaveCount(1);
  await bPanel.getByRole('button', { name: /^Open/ }).click();
  if (shots) {
    await b.setViewportSize({ width: 375, height: 812 });
    await bPanel.scrollIntoViewIfNeeded();
    await shot(b, `${shots}/comments-375.png`, true);
    // No sideways scrolling at 375 px.
    expect(await b.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    // "On the canvas" brings the thread's pin into view on the narrow canvas.
    await bPanel.getByRole('button', { name: 'On the canvas' }).click();
    await expect(b.getByRole('button', { name: /Comment: Room for the logo here\?/ })).toBeInViewport();
    await shot(b, `${shots}/comments-375-pin.png`);
  }
  for (const p of [ana, ben]) await p.ctx.close();
});

test('comments: a viewer reads but cannot write until an admin lets viewers comment', async ({ browser, baseURL }) => {
  test.setTimeout(90_000);
  const ana = await person(browser, baseURL!, 'Ana Owner', 'ana');
  const vic = await person(browser, baseURL!, 'Vic Viewer', 'vic');
  const a = ana.page;
  const v = vic.page;
  await a.goto('/workspaces');
  await a.getByLabel('Workspace name').fill('Team Viewers');
  await a.getByRole('button', { name: 'Create workspace' }).click();
  await expect(a.getByRole('heading', { name: 'Team Viewers', level: 1 })).toBeVisible();
  const settingsUrl = a.url();
  const workspaceId = settingsUrl.split('/workspaces/')[1]!;
  await sql(`insert into membership (workspace_id, user_id, role) values ($1, $2, 'viewer')`, [workspaceId, vic.user.id]);
  await a.goto('/boards');
  await a.getByLabel('Board name').fill('Read only');
  await a.getByRole('button', { name: 'Create board' }).click();
  await expect(a.getByTestId('board-status')).toHaveText('All changes saved');
  const boardUrl = a.url();

  await v.goto(boardUrl);
  await v.getByRole('button', { name: /^Comments/ }).click();
  const panel = v.getByTestId('board-comments');
  await expect(panel).toContainText('Viewers cannot comment in this workspace');
  await expect(v.getByLabel(/New comment/)).toHaveCount(0);

  await a.goto(settingsUrl);
  await a.getByLabel('Let viewers comment').check();
  await a.getByRole('region', { name: 'Comments on boards' }).getByRole('button', { name: 'Save' }).click();
  await expect(a.getByText('Viewers can now comment on this workspace’s boards.')).toBeVisible();

  // Vic's open board follows the setting without a reload.
  await expect(v.getByLabel(/New comment/)).toBeVisible();
  await v.getByLabel(/New comment/).fill('Looks good to me.');
  await panel.getByRole('button', { name: 'Comment', exact: true }).click();
  await expect(panel.getByRole('article', { name: /Thread: Looks good to me/ })).toContainText('You');
  for (const p of [ana, vic]) await p.ctx.close();
});
