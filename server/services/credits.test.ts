import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectSocket, signUp, startTestServer, trpcClient, trpcErrorCode, waitForEvent, type TestServer, type TestUser } from '../testing/harness.js';
import { balanceOf } from './credits.js';
import { addMember } from '../testing/teams.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'), { env: { SIGNUP_CREDITS: '100', TEAM_STARTING_CREDITS: '40' } });
});
afterAll(async () => {
  await server?.stop();
});

const api = (u: TestUser) => trpcClient(server, u);
const personal = async (u: TestUser) => (await api(u).me.get.query())!.workspaces.find((w) => w.kind === 'personal')!.id;
const ledgerRows = async () => (await server.deps.db.selectFrom('credit_ledger').select(['workspace_id', 'delta', 'reason', 'ref']).execute()).length;

describe('team workspace credits with billing off', () => {
  it('a new team starts with TEAM_STARTING_CREDITS, so a board generation works on a fresh install', async () => {
    const owner = await signUp(server);
    const team = await api(owner).workspace.create.mutate({ name: 'Fresh team' });
    expect((await api(owner).credits.balance.query({ workspaceId: team.id })).balance).toBe(40);
    const gen = await api(owner).generation.create.mutate({ prompt: 'a team picture', workspaceId: team.id });
    expect(gen.id).toBeTruthy();
    const grants = await server.deps.db.selectFrom('credit_ledger').selectAll().where('workspace_id', '=', team.id).where('reason', '=', 'team_grant').execute();
    expect(grants).toHaveLength(1);
  });

  it('an owner moves credits from their personal workspace to the team: both ledgers once, both balances pushed live', async () => {
    const owner = await signUp(server);
    const team = await api(owner).workspace.create.mutate({ name: 'Funded team' });
    const mine = await personal(owner);
    const socket = await connectSocket(server, owner);
    const transferId = randomUUID();
    const r = await api(owner).credits.transfer.mutate({ transferId, toWorkspaceId: team.id, amount: 30 });
    expect(r).toMatchObject({ fromWorkspaceId: mine, toWorkspaceId: team.id, amount: 30, balance: 70 });
    await waitForEvent(socket, 'credits:changed', (e) => e.workspaceId === team.id && e.balance === 70);
    await waitForEvent(socket, 'credits:changed', (e) => e.workspaceId === mine && e.balance === 70);
    // The same transfer sent again (a retry, a double click) moves nothing more.
    const again = await api(owner).credits.transfer.mutate({ transferId, toWorkspaceId: team.id, amount: 30 });
    expect(again.balance).toBe(70);
    expect(await balanceOf(server.deps.db, mine)).toBe(70);
    expect(await balanceOf(server.deps.db, team.id)).toBe(70);
    const rows = await server.deps.db.selectFrom('credit_ledger').select(['workspace_id', 'delta', 'reason']).where('ref', '=', `${owner.id}:${transferId}`).orderBy('delta').execute();
    expect(rows).toEqual([
      { workspace_id: mine, delta: -30, reason: 'transfer.out' },
      { workspace_id: team.id, delta: 30, reason: 'transfer.in' },
    ]);
    socket.close();
  });

  it('concurrent transfers never take more than the personal balance', async () => {
    const owner = await signUp(server);
    const team = await api(owner).workspace.create.mutate({ name: 'Raced team' });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => api(owner).credits.transfer.mutate({ transferId: randomUUID(), toWorkspaceId: team.id, amount: 30 })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(await balanceOf(server.deps.db, await personal(owner))).toBe(10);
    expect(await balanceOf(server.deps.db, team.id)).toBe(40 + 90);
  });

  it('refuses transfers that are not the owner’s or admin’s to make, and changes nothing', async () => {
    const owner = await signUp(server);
    const editor = await signUp(server);
    const outsider = await signUp(server);
    const team = await api(owner).workspace.create.mutate({ name: 'Guarded team' });
    await addMember(server.deps.db, team.id, editor.id, 'editor');
    const before = await ledgerRows();
    const attempt = (u: TestUser, input: Partial<{ toWorkspaceId: string; amount: number; transferId: string }>) =>
      api(u)
        .credits.transfer.mutate({ transferId: randomUUID(), toWorkspaceId: team.id, amount: 10, ...input } as never)
        .then(() => null, trpcErrorCode);
    expect(await attempt(outsider, {})).toMatchObject({ appCode: 'NOT_FOUND' });
    expect(await attempt(editor, {})).toMatchObject({ appCode: 'FORBIDDEN' });
    expect(await attempt(owner, { amount: 101 })).toMatchObject({ appCode: 'INSUFFICIENT_CREDITS', message: expect.stringContaining('has 100 credits') });
    expect(await attempt(owner, { amount: 0 })).toMatchObject({ httpStatus: 400 });
    expect(await attempt(owner, { amount: 2.5 })).toMatchObject({ httpStatus: 400 });
    expect(await attempt(owner, { toWorkspaceId: await personal(owner) })).toMatchObject({ appCode: 'INVALID_INPUT' });
    expect(await attempt(owner, { transferId: 'not-a-uuid' })).toMatchObject({ httpStatus: 400 });
    // A transfer id reused with other details is refused, not applied again.
    const id = randomUUID();
    await api(owner).credits.transfer.mutate({ transferId: id, toWorkspaceId: team.id, amount: 5 });
    const afterOne = await ledgerRows();
    expect(await attempt(owner, { transferId: id, amount: 6 })).toMatchObject({ appCode: 'CONFLICT' });
    expect(await ledgerRows()).toBe(afterOne);
    expect(afterOne).toBe(before + 2);
  });
});

describe('team workspace credits with billing on', () => {
  it('a new team starts at 0 credits (teams buy credits)', async () => {
    const billed = await startTestServer(inject('pgAdminUrl'), { env: { STRIPE_SECRET_KEY: 'sk_test_fake', TEAM_STARTING_CREDITS: '40' } });
    try {
      const owner = await signUp(billed);
      const team = await trpcClient(billed, owner).workspace.create.mutate({ name: 'Billed team' });
      expect((await trpcClient(billed, owner).credits.balance.query({ workspaceId: team.id })).balance).toBe(0);
    } finally {
      await billed.stop();
    }
  });
});
