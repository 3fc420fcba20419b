/**
 * Issue 18 in the browser: lineage on an output's page (run again identically, variations, use as
 * a reference; a removed ancestor), the queue (reorder by keyboard and by dragging, with the worker
 * taking the jobs in the new order; cancel all), recent prompts, style presets and the negative prompt.
 */
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { expect, expectAccessible, test } from './fixtures.js';
import { e2eServer, sql } from './server-data.js';

test('an output’s lineage: run again identically, make variations, use it for an edit; a deleted step reads as removed', async ({ signedIn: page }) => {
  await page.goto('/studio');
  await page.getByLabel('Prompt').fill('A brass compass on an old map');
  await page.getByLabel('Leave out').fill('rust');
  await page.getByRole('radio', { name: '16:9' }).check({ force: true });
  await page.getByRole('button', { name: /^Generate/ }).click();
  const first = page.getByRole('article', { name: /A brass compass/ }).first();
  await expect(first.getByTestId('generation-status')).toHaveText('Done');
  const seed = (await first.getByText(/seed \d+/).textContent())!.match(/seed (\d+)/)![1]!;
  await first.getByRole('link', { name: 'Open output 1' }).click();

  await expect(page.getByRole('heading', { name: 'Lineage' })).toBeVisible();
  await expect(page.getByText('Made from its own prompt.')).toBeVisible();
  await expect(page.getByText('rust', { exact: true })).toBeVisible(); // the negative prompt among its settings
  const firstUrl = page.url();
  await expectAccessible(page);

  // One click: the same again, everything identical.
  await page.getByRole('button', { name: 'Run again, identical · 1 credit' }).click();
  await expect(page).toHaveURL(/\/studio$/);
  const cards = page.getByRole('article', { name: /A brass compass/ });
  await expect(cards).toHaveCount(2);
  const again = cards.first();
  await expect(again.getByTestId('generation-status')).toHaveText('Done');
  await expect(again.getByText(`16:9 · seed ${seed}`)).toBeVisible();
  const rows = await sql<{ lineage: string; params: { negativePrompt?: string; aspectRatio: string; seed: number } }>(
    `select g.lineage, g.params from generation g join asset a on a.generation_id = g.id where a.id = $1`,
    [(await again.getByRole('link', { name: 'Open output 1' }).getAttribute('href'))!.split('/').pop()],
  );
  expect(rows.rows[0]).toMatchObject({ lineage: 'rerun', params: { negativePrompt: 'rust', aspectRatio: '16:9', seed: Number(seed) } });

  // The first output now shows its child; the re-run's page shows its parent.
  await page.goto(firstUrl);
  const children = page.getByRole('list', { name: 'Made from this' });
  await expect(children.getByRole('link', { name: /^Re-run: A brass compass/ })).toHaveCount(1);
  await children.getByRole('link', { name: /^Re-run: A brass compass/ }).click();
  await expect(page.getByRole('list', { name: 'Made from' }).getByRole('link', { name: /^First prompt: A brass compass/ })).toBeVisible();
  const rerunUrl = page.url();

  // Variations of the re-run: same prompt, new seeds, four outputs.
  await page.getByRole('button', { name: 'Make 4 variations · 4 credits' }).click();
  await expect(page).toHaveURL(/\/studio$/);
  const vary = page.getByRole('article', { name: /A brass compass/ }).first();
  await expect(vary.getByTestId('generation-status')).toHaveText('Done');
  // Four outputs (one the image classifier flags on the placeholder may be shown blurred, behind a "Show" button).
  await expect(vary.locator('figure')).toHaveCount(4);
  await page.goto((await vary.getByRole('link', { name: /Open output/ }).first().getAttribute('href'))!);
  const chain = page.getByRole('list', { name: 'Made from' });
  await expect(chain.getByRole('link')).toHaveCount(2);
  const variationUrl = page.url();

  // The middle step is deleted: the chain keeps it, as removed, and still starts at the first prompt.
  await page.goto(rerunUrl);
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  await expect(page).toHaveURL(/\/library$/);
  await page.goto(variationUrl);
  await expect(chain.getByRole('img', { name: /^Re-run: removed/ })).toBeVisible();
  await expect(chain.getByRole('link', { name: /^First prompt: A brass compass/ })).toBeVisible();

  // Use it as the reference of an edit: the studio opens with it as a reference.
  await page.getByRole('link', { name: 'Use as reference for an edit' }).click();
  await expect(page).toHaveURL(/\/studio\?reference=/);
  await expect(page.getByRole('img', { name: 'Reference: From the library' })).toBeVisible();
  await page.getByLabel('Prompt').fill('The compass, now silver');
  await page.getByRole('button', { name: /^Generate/ }).click();
  await expect(page.getByRole('article', { name: /The compass, now silver/ }).getByTestId('generation-status')).toHaveText('Done');
  const edit = await sql<{ lineage: string }>(`select lineage from generation where prompt = $1`, ['The compass, now silver']);
  expect(edit.rows.map((r) => r.lineage)).toEqual(['edit']);
});

test('recent prompts, shared style presets (an over-long one refused, one changed) and the negative prompt', async ({ signedIn: page }) => {
  await page.goto('/studio');
  await page.getByLabel('Prompt').fill('Lanterns over a night market');
  await page.getByRole('button', { name: /^Generate/ }).click();
  await expect(page.getByRole('article', { name: /Lanterns over a night market/ }).getByTestId('generation-status')).toHaveText('Done');
  await page.getByLabel('Prompt').fill('');

  await page.getByText('Recent prompts').click();
  await page.getByLabel('Search your history').fill('lantern');
  await page.getByRole('button', { name: 'Use again: Lanterns over a night market' }).click();
  await expect(page.getByLabel('Prompt')).toHaveValue('Lanterns over a night market');
  await page.getByLabel('Search your history').fill('no such thing');
  await expect(page.getByText('No recent prompt matches.')).toBeVisible();

  // A preset whose style text is too long is refused, with the reason, and not saved.
  await page.getByRole('button', { name: 'New preset…' }).click();
  await page.getByLabel('Preset name').fill('Noir');
  await page.getByLabel('Style text to add').fill('x'.repeat(501));
  await page.getByRole('button', { name: 'Save preset' }).click();
  await expect(page.getByText('Keep the style text under 500 characters.')).toBeVisible();
  await expect(page.getByText('No presets in this workspace yet.')).toBeVisible();
  await page.getByLabel('Style text to add').fill('black and white, hard shadows');
  await page.getByLabel('Leave out (optional)').fill('colour');
  await page.getByRole('button', { name: 'Save preset' }).click();
  await page.getByRole('button', { name: 'Apply style Noir' }).click();
  await expect(page.getByLabel('Prompt')).toHaveValue('Lanterns over a night market, black and white, hard shadows');
  await expect(page.getByLabel('Leave out', { exact: true })).toHaveValue('colour');
  await page.getByRole('button', { name: /^Generate/ }).click();
  await expect(page.getByRole('article', { name: /black and white, hard shadows/ }).getByTestId('generation-status')).toHaveText('Done');
  const stored = await sql<{ params: { negativePrompt?: string } }>(`select params from generation where prompt = $1`, ['Lanterns over a night market, black and white, hard shadows']);
  expect(stored.rows[0]!.params.negativePrompt).toBe('colour');

  // Changing the preset: the form opens filled in; a bad change is refused and changes nothing;
  // Escape closes without saving; a good one is saved for everyone and applied from then on.
  await page.getByRole('button', { name: 'Change preset Noir' }).click();
  const edit = page.getByRole('group', { name: 'Change preset Noir' });
  await expect(edit.getByLabel('Style text to add')).toHaveValue('black and white, hard shadows');
  await expect(edit.getByLabel('Preset name')).toBeFocused();
  await edit.getByLabel('Preset name').fill('   ');
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await expect(edit.getByText('Name the preset.')).toBeVisible();
  await edit.getByLabel('Preset name').press('Escape');
  await expect(edit).toHaveCount(0);
  await page.getByRole('button', { name: 'Change preset Noir' }).click();
  await expect(edit.getByLabel('Preset name')).toHaveValue('Noir');
  await edit.getByLabel('Preset name').fill('Noir film');
  await edit.getByLabel('Style text to add').fill('grainy black and white');
  await edit.getByLabel('Leave out (optional)').fill('');
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('Everyone in the workspace now gets the new “Noir film”.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Apply style Noir', exact: true })).toHaveCount(0);
  const preset = await sql<{ name: string; prompt_suffix: string; negative_prompt: string | null }>(`select name, prompt_suffix, negative_prompt from style_preset where name = $1`, ['Noir film']);
  expect(preset.rows).toEqual([{ name: 'Noir film', prompt_suffix: 'grainy black and white', negative_prompt: null }]);
  await page.getByLabel('Prompt').fill('Harbour at night');
  await page.getByRole('button', { name: 'Apply style Noir film' }).click();
  await expect(page.getByLabel('Prompt')).toHaveValue('Harbour at night, grainy black and white');

  // The video model here takes no negative prompt: the field is not offered.
  await page.getByText('Video', { exact: true }).click();
  await expect(page.getByLabel('Leave out', { exact: true })).toHaveCount(0);
  await expectAccessible(page);
});

/**
 * The e2e server's worker runs jobs as soon as they arrive; to have jobs waiting, this spec keeps
 * the worker's four slots busy: four generations of another account whose rows it holds locked
 * (the worker waits on them), so the person's own jobs queue behind them for real. Each slot is
 * freed on its own: with one free slot the waiting jobs run one after another, in queue order.
 */
async function occupyWorker(ownerEmail: string, slots = 4) {
  const { databaseUrl } = e2eServer();
  const { rows } = await sql<{ user_id: string; workspace_id: string }>(
    `select m.user_id, m.workspace_id from membership m join "user" u on u.id = m.user_id where u.email = $1 and m.role = 'owner'`,
    [ownerEmail],
  );
  const { user_id, workspace_id } = rows[0]!;
  const ids: string[] = [];
  const locks: pg.Client[] = [];
  for (let i = 0; i < slots; i++) {
    const r = await sql<{ id: string }>(
      `insert into generation (workspace_id, user_id, kind, mode, prompt, params, provider, credit_cost) values ($1, $2, 'image', 'text', $3, $4, 'local', 0) returning id`,
      [workspace_id, user_id, `Blocker ${i + 1}`, JSON.stringify({ model: 'offline-preview', aspectRatio: '1:1', width: 64, height: 64, seed: i, count: 1 })],
    );
    ids.push(r.rows[0]!.id);
    const lock = new pg.Client({ connectionString: databaseUrl });
    await lock.connect();
    await lock.query('begin');
    await lock.query('select id from generation where id = $1 for update', [r.rows[0]!.id]);
    locks.push(lock);
  }
  const boss = new PgBoss({ connectionString: databaseUrl });
  boss.on('error', () => {});
  await boss.start();
  for (const id of ids) await boss.send('generation', { generationId: id }, { group: { id: 'local', tier: 'local' } });
  // Wait until the worker has taken all of them (each waits on its lock).
  await expect
    // Number(): count(*) is a bigint, which pg hands back as a string or a number depending on the
    // type parsers another module of this worker may have installed.
    .poll(async () => Number((await sql<{ n: string | number }>(`select count(*) as n from pgboss.job where name = 'generation' and state = 'active' and data->>'generationId' = any($1::text[])`, [ids])).rows[0]!.n), { timeout: 30_000 })
    .toBe(slots);
  const free = async (i: number) => {
    await locks[i]!.query('rollback').catch(() => {});
    await locks[i]!.end().catch(() => {});
  };
  return {
    free,
    async release() {
      for (let i = 0; i < slots; i++) await free(i);
      await boss.stop({ graceful: false }).catch(() => {});
    },
  };
}

test('the queue: my waiting jobs reordered by keyboard and by dragging run in the new order; cancel all of mine', async ({ signedIn: page, user, playwright, baseURL }) => {
  // Another account, whose (locked) jobs keep the worker busy.
  const other = await playwright.request.newContext({ baseURL });
  const otherEmail = `e2e-blocker-${Date.now()}@example.test`;
  expect((await other.post('/api/auth/sign-up/email', { data: { name: 'Blocker', email: otherEmail, password: 'correct horse battery' }, headers: { origin: baseURL! } })).ok()).toBe(true);
  await other.dispose();
  await page.goto('/queue');
  await expect(page.getByRole('heading', { name: 'Queue', level: 1 })).toBeVisible();
  await expect(page.getByText('Nothing is waiting or running in this workspace.')).toBeVisible();
  const blockers = await occupyWorker(otherEmail);
  try {
    await page.goto('/studio');
    for (const p of ['Queue test one', 'Queue test two', 'Queue test three']) {
      await page.getByLabel('Prompt').fill(p);
      await page.getByRole('button', { name: /^Generate/ }).click();
      await expect(page.getByRole('article', { name: new RegExp(p) })).toBeVisible();
    }
    await page.goto('/queue');
    const list = page.getByRole('list', { name: 'Jobs in the queue' });
    const item = (p: string) => list.getByRole('listitem').filter({ hasText: p });
    await expect(item('Queue test one')).toHaveAccessibleName(/1st in line/);
    await expect(item('Queue test three')).toHaveAccessibleName(/3rd in line/);
    await expectAccessible(page);

    // Keyboard: focus the third and move it up twice.
    await item('Queue test three').focus();
    await page.keyboard.press('Alt+ArrowUp');
    await page.keyboard.press('Alt+ArrowUp');
    await expect(item('Queue test three')).toHaveAccessibleName(/1st in line/);
    await expect(item('Queue test three')).toBeFocused();
    // Drag: the second (now third) onto the first place's neighbour.
    await item('Queue test two').dragTo(item('Queue test one'));
    await expect(item('Queue test two')).toHaveAccessibleName(/2nd in line/);
    await expect(item('Queue test one')).toHaveAccessibleName(/3rd in line/);
    // The order survives a reload: it is the queue's, not the page's.
    await page.reload();
    await expect(item('Queue test three')).toHaveAccessibleName(/1st in line/);
    await expect(item('Queue test two')).toHaveAccessibleName(/2nd in line/);
    // One slot is freed: the waiting jobs run one after another, in the new order.
    await blockers.free(0);
    await expect(page.getByText('Nothing is waiting or running in this workspace.')).toBeVisible({ timeout: 30_000 });
  } finally {
    await blockers.release();
  }
  const started = await sql<{ prompt: string }>(`select prompt from generation where prompt like 'Queue test %' and user_id = (select id from "user" where email = $1) order by started_at`, [user.email]);
  expect(started.rows.map((r) => r.prompt)).toEqual(['Queue test three', 'Queue test two', 'Queue test one']);

  // Cancel all of mine: waiting jobs end as canceled, credits back.
  const more = await occupyWorker(otherEmail);
  try {
    await page.goto('/studio');
    for (const p of ['Cancel me one', 'Cancel me two']) {
      await page.getByLabel('Prompt').fill(p);
      await page.getByRole('button', { name: /^Generate/ }).click();
      await expect(page.getByRole('article', { name: new RegExp(p) })).toBeVisible();
    }
    const balance = page.getByTestId('credits-balance');
    await expect(balance).toContainText('95');
    await page.getByRole('button', { name: 'Cancel all mine' }).click();
    await page.getByRole('button', { name: 'Yes, cancel all mine' }).click();
    for (const p of ['Cancel me one', 'Cancel me two']) await expect(page.getByRole('article', { name: new RegExp(p) }).getByTestId('generation-status')).toHaveText('Canceled');
    await expect(balance).toContainText('97');
  } finally {
    await more.release();
  }
});
