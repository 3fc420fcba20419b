import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { csvField, LEDGER_CSV_HEADER, ledgerCsvLine, type LedgerRowView } from '../shared/ledger.js';
import { eventually, signUp, startTestServer, trpcClient, trpcErrorCode, type TestServer, type TestUser } from '../testing/harness.js';
import { addMember } from '../testing/teams.js';
import { balanceOf, recordCredit } from './ledger.js';

let server: TestServer;
let busy: Awaited<ReturnType<typeof busyTeam>>;
beforeAll(async () => {
  // Slow enough steps that a job can be canceled while it runs (its credits are then returned).
  server = await startTestServer(inject('pgAdminUrl'), { env: { SIGNUP_CREDITS: '100', TEAM_STARTING_CREDITS: '40', LOCAL_PROVIDER_STEP_MS: '150' } });
  busy = await busyTeam();
});
afterAll(async () => {
  await server?.stop();
});

const api = (u: TestUser) => trpcClient(server, u);
const today = () => new Date().toISOString().slice(0, 10);
const dayOffset = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/** Every entry of the workspace through the page's procedure, page by page (newest first). */
async function allEntries(u: TestUser, workspaceId: string, filter: Record<string, unknown> = {}, limit = 3): Promise<LedgerRowView[]> {
  const rows: LedgerRowView[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: LedgerRowView[]; nextCursor: string | null } = await api(u).credits.ledger.query({ filter: { workspaceId, ...filter }, cursor, limit });
    rows.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return rows;
}

async function done(u: TestUser, id: string, status: string) {
  await eventually(async () => (await api(u).generation.get.query({ id })).status === status, 20_000);
}

/** A team with an owner and an editor: a grant, a transfer in, a purchase, a plan grant, a refund, two finished jobs and a canceled one. */
async function busyTeam() {
  const n = randomUUID().slice(0, 8);
  const owner = await signUp(server, 'Olive Owner');
  const editor = await signUp(server, 'Eddie Editor');
  const team = await api(owner).workspace.create.mutate({ name: 'Ledger team' });
  await addMember(server.deps.db, team.id, editor.id, 'editor');
  await api(owner).credits.transfer.mutate({ transferId: randomUUID(), toWorkspaceId: team.id, amount: 25 });
  // Payments as the billing webhook records them (server/services/billing.ts): keyed by the processor's ids.
  await recordCredit(server.deps.db, { workspaceId: team.id, delta: 200, reason: 'purchase', ref: `cs_test_${n}` });
  await recordCredit(server.deps.db, { workspaceId: team.id, delta: 500, reason: 'plan_grant', ref: `in_test_${n}` });
  await recordCredit(server.deps.db, { workspaceId: team.id, delta: -200, reason: 'refund', ref: `ch_test_${n}:200` });
  const a = await api(owner).generation.create.mutate({ workspaceId: team.id, prompt: 'owner picture', count: 2 });
  const b = await api(editor).generation.create.mutate({ workspaceId: team.id, prompt: 'editor picture', count: 3 });
  const c = await api(editor).generation.create.mutate({ workspaceId: team.id, prompt: 'editor canceled', count: 4 });
  await api(editor).generation.cancel.mutate({ id: c.id });
  await Promise.all([done(owner, a.id, 'succeeded'), done(editor, b.id, 'succeeded'), done(editor, c.id, 'canceled')]);
  return { owner, editor, team, n, jobs: { a, b, c } };
}

describe('the credit ledger page', () => {
  it('lists every entry with a running balance that ends at the balance, and the entries sum to it', async () => {
    const { owner, team, jobs, n } = busy;
    const rows = await allEntries(owner, team.id);
    const balance = await balanceOf(server.deps.db, team.id);
    expect(balance).toBe(40 + 25 + 200 + 500 - 200 - 2 - 3);
    expect(rows.reduce((s, r) => s + r.delta, 0)).toBe(balance);
    expect(rows[0]!.balance).toBe(balance);
    // Oldest first, each balance is the one before plus this entry.
    const oldestFirst = [...rows].reverse();
    oldestFirst.forEach((r, i) => expect(r.balance).toBe((i === 0 ? 0 : oldestFirst[i - 1]!.balance) + r.delta));
    expect(new Set(rows.map((r) => r.kind))).toEqual(new Set(['grant', 'transfer', 'purchase', 'refund', 'reserve', 'capture', 'release']));
    // Each entry says what it was for: the job (with its prompt and first output), or the payment.
    const reserveA = rows.find((r) => r.reason === 'generation.reserve' && r.subject?.id === jobs.a.id)!;
    expect(reserveA).toMatchObject({ delta: -2, user: { name: 'Olive Owner' }, subject: { type: 'generation', prompt: 'owner picture' } });
    expect(reserveA.subject).toHaveProperty('assetId', expect.any(String));
    expect(rows.find((r) => r.reason === 'generation.release')).toMatchObject({ delta: 4, user: { name: 'Eddie Editor' }, subject: { id: jobs.c.id } });
    expect(rows.find((r) => r.reason === 'plan_grant')?.subject).toEqual({ type: 'invoice', id: `in_test_${n}` });
    expect(rows.find((r) => r.reason === 'purchase')?.subject).toEqual({ type: 'checkout', id: `cs_test_${n}` });
    expect(rows.find((r) => r.reason === 'refund')?.subject).toEqual({ type: 'charge', id: `ch_test_${n}` });
  });

  it('filters by kind and by day, keeping each entry’s true running balance', async () => {
    const { owner, team } = busy;
    const all = await allEntries(owner, team.id);
    const byId = new Map(all.map((r) => [r.id, r]));
    const jobRows = await allEntries(owner, team.id, { kinds: ['reserve', 'release'] });
    expect(jobRows.map((r) => r.reason).sort()).toEqual(['generation.release', 'generation.reserve', 'generation.reserve', 'generation.reserve']);
    for (const r of jobRows) expect(r.balance).toBe(byId.get(r.id)!.balance);
    expect(await allEntries(owner, team.id, { kinds: ['purchase', 'refund'] })).toHaveLength(2);
    expect(await allEntries(owner, team.id, { from: today(), to: today() })).toHaveLength(all.length);
    expect(await allEntries(owner, team.id, { from: dayOffset(1) })).toHaveLength(0);
    expect(await allEntries(owner, team.id, { to: dayOffset(-1) })).toHaveLength(0);
    const err = await api(owner).credits.ledger.query({ filter: { workspaceId: team.id, from: today(), to: dayOffset(-1) } }).catch((e: unknown) => e);
    expect(trpcErrorCode(err)).toMatchObject({ httpStatus: 400 });
  });

  it('shows a team who spent what: reserved minus returned, per member', async () => {
    const { owner, editor, team } = busy;
    const { spenders, team: isTeam } = await api(editor).credits.ledger.query({ filter: { workspaceId: team.id } });
    expect(isTeam).toBe(true);
    expect(spenders).toEqual([
      { userId: editor.id, name: 'Eddie Editor', spent: 3, generations: 2 },
      { userId: owner.id, name: 'Olive Owner', spent: 2, generations: 1 },
    ]);
  });

  it('exports the same entries as CSV lines, formulas neutralised', async () => {
    const { owner, team, n } = busy;
    const all = await allEntries(owner, team.id);
    const { rows } = await api(owner).credits.ledgerExport.query({ workspaceId: team.id });
    expect(rows.map((r) => [r.id, r.balance])).toEqual(all.map((r) => [r.id, r.balance]));
    const csv = [LEDGER_CSV_HEADER.join(','), ...rows.map(ledgerCsvLine)];
    expect(csv).toHaveLength(all.length + 1);
    expect(csv.find((l) => l.includes('Monthly plan credits'))).toMatch(new RegExp(`,grant,Monthly plan credits,500,\\d+,,invoice,in_test_${n}$`));
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField(-5)).toBe('-5');
  });

  it('is the workspace’s members’ only: anyone else gets NOT_FOUND and sees nothing', async () => {
    const { team } = busy;
    const stranger = await signUp(server);
    for (const call of [
      () => api(stranger).credits.ledger.query({ filter: { workspaceId: team.id } }),
      () => api(stranger).credits.ledgerExport.query({ workspaceId: team.id }),
    ]) {
      const err = await call().catch((e: unknown) => e);
      expect(trpcErrorCode(err)).toMatchObject({ appCode: 'NOT_FOUND' });
    }
    const viewer = await signUp(server);
    await addMember(server.deps.db, team.id, viewer.id, 'viewer');
    expect((await api(viewer).credits.ledger.query({ filter: { workspaceId: team.id } })).items.length).toBeGreaterThan(0);
  });
});
