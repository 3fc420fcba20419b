import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signUp, startTestServer, trpcClient, trpcErrorCode, type TestServer, type TestUser } from '../testing/harness.js';
import { addMember, verify } from '../testing/teams.js';

let server: TestServer;
const users: Record<'owner' | 'admin' | 'editor' | 'viewer' | 'outsider' | 'target', TestUser> = {} as never;

beforeAll(async () => {
  // The role matrix sends one invitation per case, far more than a person may send in an hour.
  server = await startTestServer(inject('pgAdminUrl'), { env: { INVITATIONS_PER_SENDER_PER_HOUR: '1000', INVITATIONS_PER_WORKSPACE_PER_HOUR: '1000' } });
  for (const k of ['owner', 'admin', 'editor', 'viewer', 'outsider', 'target'] as const) {
    users[k] = await signUp(server, k[0]!.toUpperCase() + k.slice(1));
    await verify(server.deps.db, users[k].id);
  }
});
afterAll(async () => {
  await server?.stop();
});

type Role = 'viewer' | 'editor' | 'admin' | 'owner';
const api = (u: TestUser) => trpcClient(server, u);

/** A fresh team workspace with one member of each role, a board, a pending invitation and a target member. */
async function fixture() {
  const ws = await api(users.owner).workspace.create.mutate({ name: 'Matrix team' });
  for (const r of ['admin', 'editor', 'viewer'] as const) await addMember(server.deps.db, ws.id, users[r].id, r);
  await addMember(server.deps.db, ws.id, users.target.id, 'viewer');
  const board = await api(users.owner).board.create.mutate({ workspaceId: ws.id, name: 'Moodboard' });
  const inv = await api(users.owner).workspace.invite.mutate({ workspaceId: ws.id, email: `inv-${Math.random().toString(36).slice(2)}@example.test`, role: 'editor' });
  return { ws: ws.id, board: board.id, inv: inv.id };
}

type F = Awaited<ReturnType<typeof fixture>>;
const ACTIONS: { name: string; min: Role; run: (u: TestUser, f: F) => Promise<unknown> }[] = [
  { name: 'see the workspace', min: 'viewer', run: (u, f) => api(u).workspace.get.query({ workspaceId: f.ws }) },
  { name: 'list members', min: 'viewer', run: (u, f) => api(u).workspace.members.query({ workspaceId: f.ws }) },
  { name: 'list boards', min: 'viewer', run: (u, f) => api(u).board.list.query({ workspaceId: f.ws }) },
  { name: 'open a board', min: 'viewer', run: (u, f) => api(u).board.get.query({ boardId: f.board }) },
  { name: 'create a board', min: 'editor', run: (u, f) => api(u).board.create.mutate({ workspaceId: f.ws, name: 'New' }) },
  { name: 'rename a board', min: 'editor', run: (u, f) => api(u).board.rename.mutate({ boardId: f.board, name: 'Renamed' }) },
  { name: 'delete a board', min: 'admin', run: (u, f) => api(u).board.delete.mutate({ boardId: f.board }) },
  { name: 'list invitations', min: 'admin', run: (u, f) => api(u).workspace.invitations.query({ workspaceId: f.ws }) },
  { name: 'invite', min: 'admin', run: (u, f) => api(u).workspace.invite.mutate({ workspaceId: f.ws, email: `x-${Math.random().toString(36).slice(2)}@example.test`, role: 'viewer' }) },
  { name: 'revoke an invitation', min: 'admin', run: (u, f) => api(u).workspace.revokeInvitation.mutate({ invitationId: f.inv }) },
  { name: 'resend an invitation', min: 'admin', run: (u, f) => api(u).workspace.resendInvitation.mutate({ invitationId: f.inv }) },
  { name: 'change a role', min: 'admin', run: (u, f) => api(u).workspace.setRole.mutate({ workspaceId: f.ws, userId: users.target.id, role: 'editor' }) },
  { name: 'remove a member', min: 'admin', run: (u, f) => api(u).workspace.removeMember.mutate({ workspaceId: f.ws, userId: users.target.id }) },
  { name: 'rename the workspace', min: 'owner', run: (u, f) => api(u).workspace.rename.mutate({ workspaceId: f.ws, name: 'Renamed team' }) },
  { name: 'transfer ownership', min: 'owner', run: (u, f) => api(u).workspace.transferOwnership.mutate({ workspaceId: f.ws, userId: users.target.id }) },
  { name: 'delete the workspace', min: 'owner', run: (u, f) => api(u).workspace.delete.mutate({ workspaceId: f.ws, confirmName: 'Matrix team' }) },
];
const RANK: Record<Role, number> = { viewer: 1, editor: 2, admin: 3, owner: 4 };

describe('role matrix: each action for each role (and a non-member)', () => {
  for (const action of ACTIONS) {
    for (const who of ['outsider', 'viewer', 'editor', 'admin', 'owner'] as const) {
      const allowed = who !== 'outsider' && RANK[who] >= RANK[action.min];
      it(`${who} ${allowed ? 'may' : 'may not'} ${action.name}`, async () => {
        const f = await fixture();
        const result = await action.run(users[who], f).then(
          () => 'ok',
          (e: unknown) => trpcErrorCode(e).appCode,
        );
        expect(result).toBe(allowed ? 'ok' : who === 'outsider' ? 'NOT_FOUND' : 'FORBIDDEN');
      });
    }
  }

  it('everyone but the owner may leave; the owner is told to transfer first', async () => {
    for (const who of ['viewer', 'editor', 'admin'] as const) {
      const f = await fixture();
      await api(users[who]).workspace.leave.mutate({ workspaceId: f.ws });
      expect(trpcErrorCode(await api(users[who]).workspace.get.query({ workspaceId: f.ws }).catch((e: unknown) => e)).appCode).toBe('NOT_FOUND');
    }
    const f = await fixture();
    expect(trpcErrorCode(await api(users.owner).workspace.leave.mutate({ workspaceId: f.ws }).catch((e: unknown) => e)).appCode).toBe('FORBIDDEN');
  });

  it('nobody removes or demotes the owner, not even an admin', async () => {
    const f = await fixture();
    for (const call of [
      () => api(users.admin).workspace.removeMember.mutate({ workspaceId: f.ws, userId: users.owner.id }),
      () => api(users.admin).workspace.setRole.mutate({ workspaceId: f.ws, userId: users.owner.id, role: 'viewer' }),
    ]) {
      expect(trpcErrorCode(await call().catch((e: unknown) => e)).appCode).toBe('FORBIDDEN');
    }
    const members = await api(users.owner).workspace.members.query({ workspaceId: f.ws });
    expect(members.find((m) => m.userId === users.owner.id)?.role).toBe('owner');
  });

  it('transfer makes the new owner owner and the old one admin; delete needs the exact name', async () => {
    const f = await fixture();
    await api(users.owner).workspace.transferOwnership.mutate({ workspaceId: f.ws, userId: users.editor.id });
    const roles = Object.fromEntries((await api(users.editor).workspace.members.query({ workspaceId: f.ws })).map((m) => [m.userId, m.role]));
    expect(roles[users.editor.id]).toBe('owner');
    expect(roles[users.owner.id]).toBe('admin');
    // Role changes are in the audit log.
    await api(users.editor).workspace.setRole.mutate({ workspaceId: f.ws, userId: users.owner.id, role: 'viewer' });
    const audits = await server.deps.db.selectFrom('audit_log').select(['user_id', 'detail']).where('action', '=', 'role.changed').execute();
    expect(audits).toEqual(
      expect.arrayContaining([
        { user_id: users.owner.id, detail: expect.objectContaining({ workspaceId: f.ws, memberId: users.editor.id, to: 'owner' }) },
        { user_id: users.editor.id, detail: expect.objectContaining({ workspaceId: f.ws, memberId: users.owner.id, from: 'admin', to: 'viewer' }) },
      ]),
    );
    expect(trpcErrorCode(await api(users.editor).workspace.delete.mutate({ workspaceId: f.ws, confirmName: 'wrong' }).catch((e: unknown) => e)).appCode).toBe('INVALID_INPUT');
    await api(users.editor).workspace.delete.mutate({ workspaceId: f.ws, confirmName: 'Matrix team' });
    expect(await server.deps.db.selectFrom('workspace').select('id').where('id', '=', f.ws).executeTakeFirst()).toBeUndefined();
  });

  it('the personal workspace cannot be deleted or left', async () => {
    const me = await api(users.outsider).me.get.query();
    const personal = me!.workspaces.find((w) => w.kind === 'personal')!;
    expect(trpcErrorCode(await api(users.outsider).workspace.delete.mutate({ workspaceId: personal.id, confirmName: personal.name }).catch((e: unknown) => e)).appCode).toBe('INVALID_INPUT');
    expect(trpcErrorCode(await api(users.outsider).workspace.leave.mutate({ workspaceId: personal.id }).catch((e: unknown) => e)).appCode).toBe('INVALID_INPUT');
  });

  it('lists members with roles and last activity', async () => {
    const f = await fixture();
    const members = await api(users.viewer).workspace.members.query({ workspaceId: f.ws });
    expect(members.map((m) => m.role)).toEqual(['owner', 'admin', 'editor', 'viewer', 'viewer']);
    expect(members[0]!.lastActiveAt).toBeInstanceOf(Date);
  });
});
