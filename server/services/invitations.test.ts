import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectSocket, signUp, startTestServer, trpcClient, trpcErrorCode, waitForEvent, type TestServer, type TestUser } from '../testing/harness.js';
import { linkIn, startTestSmtp, type TestSmtp } from '../testing/smtp.js';
import { randomEmail, signUpAs, verify } from '../testing/teams.js';

let server: TestServer;
let smtp: TestSmtp;
let owner: TestUser;
let workspaceId: string;

beforeAll(async () => {
  smtp = await startTestSmtp();
  server = await startTestServer(inject('pgAdminUrl'), { env: { SMTP_URL: smtp.url } });
  owner = await signUp(server, 'Olivia Owner');
  await verify(server.deps.db, owner.id);
  workspaceId = (await trpcClient(server, owner).workspace.create.mutate({ name: 'Studio Nord' })).id;
});
afterAll(async () => {
  await server?.stop();
  await smtp?.close();
});

const api = (u?: TestUser) => trpcClient(server, u);
const code = (e: unknown) => trpcErrorCode(e).appCode;

/** Invites `email` and returns the token from the message the SMTP server received. */
async function inviteAndRead(email: string, role: 'admin' | 'editor' | 'viewer' = 'editor') {
  const before = smtp.messages.length;
  const inv = await api(owner).workspace.invite.mutate({ workspaceId, email, role });
  const mail = await smtp.waitFor(email, /invited you to the workspace “Studio Nord”/);
  expect(smtp.messages.length).toBe(before + 1);
  const link = linkIn(mail, `${server.config.baseUrl}/invite/`);
  return { inv, token: link.split('/invite/')[1]!, mail };
}

describe('invitations', () => {
  it('invites by email through SMTP; the token is stored only as a hash; accepting makes a member once', async () => {
    const email = randomEmail('invitee');
    const invitee = await signUpAs(server, email, 'Ivo Invitee');
    const inviteeSocket = await connectSocket(server, invitee);
    const ownerSocket = await connectSocket(server, owner);
    const { token, mail } = await inviteAndRead(email, 'viewer');
    expect(mail.html).toContain('Accept the invitation');
    const row = await server.deps.db.selectFrom('invitation').select('token_hash').where('email', '=', email).executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(row.token_hash).not.toContain(token);
    // The invitee hears about it live, and it is stored.
    await waitForEvent(inviteeSocket, 'notification:new', (n) => n.kind === 'invitation_received');

    expect(await api().workspace.invitation.query({ token })).toMatchObject({ workspaceName: 'Studio Nord', status: 'pending', role: 'viewer' });
    const accepted = await api(invitee).workspace.acceptInvitation.mutate({ token });
    expect(accepted).toEqual({ workspaceId, role: 'viewer' });
    expect((await api(invitee).workspace.get.query({ workspaceId })).role).toBe('viewer');
    await waitForEvent(ownerSocket, 'notification:new', (n) => n.kind === 'invitation_accepted');
    expect((await api(owner).notification.list.query()).items.some((n) => n.kind === 'invitation_accepted')).toBe(true);

    // Reused: refused, nothing changes.
    expect(code(await api(invitee).workspace.acceptInvitation.mutate({ token }).catch((e: unknown) => e))).toBe('INVITATION_USED');
    expect(await api().workspace.invitation.query({ token })).toMatchObject({ status: 'used' });
    inviteeSocket.close();
    ownerSocket.close();
  });

  it('refuses an expired invitation', async () => {
    const email = randomEmail('late');
    const user = await signUpAs(server, email);
    const { inv, token } = await inviteAndRead(email);
    await server.deps.db.updateTable('invitation').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', inv.id).execute();
    expect(code(await api(user).workspace.acceptInvitation.mutate({ token }).catch((e: unknown) => e))).toBe('INVITATION_EXPIRED');
    expect(code(await api(user).workspace.get.query({ workspaceId }).catch((e: unknown) => e))).toBe('NOT_FOUND');
  });

  it('refuses a revoked invitation', async () => {
    const email = randomEmail('revoked');
    const user = await signUpAs(server, email);
    const { inv, token } = await inviteAndRead(email);
    await api(owner).workspace.revokeInvitation.mutate({ invitationId: inv.id });
    expect(code(await api(user).workspace.acceptInvitation.mutate({ token }).catch((e: unknown) => e))).toBe('INVITATION_REVOKED');
    expect((await api(owner).workspace.invitations.query({ workspaceId })).some((i) => i.id === inv.id)).toBe(false);
  });

  it('refuses the wrong account, and the invitation stays usable by the right one', async () => {
    const email = randomEmail('right');
    const { token } = await inviteAndRead(email);
    const wrong = await signUp(server, 'Someone Else');
    expect(code(await api(wrong).workspace.acceptInvitation.mutate({ token }).catch((e: unknown) => e))).toBe('INVITATION_WRONG_EMAIL');
    expect(code(await api(wrong).workspace.get.query({ workspaceId }).catch((e: unknown) => e))).toBe('NOT_FOUND');
    // Accept after sign-up: the invited address creates an account now, then accepts.
    const right = await signUpAs(server, email, 'Rita Right');
    expect(await api(right).workspace.acceptInvitation.mutate({ token })).toMatchObject({ workspaceId });
  });

  it('the invitee accepts from the notification, by id, with a confirmed address; nobody else can open or accept it', async () => {
    const email = randomEmail('bell');
    const invitee = await signUpAs(server, email, 'Bella Bell');
    const stranger = await signUpAs(server, randomEmail('stranger'), 'Sam Stranger');
    await verify(server.deps.db, stranger.id);
    const { inv } = await inviteAndRead(email, 'editor');
    const n = (await api(invitee).notification.list.query()).items.find((x) => x.kind === 'invitation_received')!;
    expect(n.link).toBe(`/invitations/${inv.id}`);
    // Someone else (even signed in, even confirmed) learns nothing and cannot accept.
    expect(await api(stranger).workspace.invitationById.query({ invitationId: inv.id })).toBeNull();
    expect(code(await api(stranger).workspace.acceptInvitationById.mutate({ invitationId: inv.id }).catch((e: unknown) => e))).toBe('NOT_FOUND');
    expect(code(await api().workspace.invitationById.query({ invitationId: inv.id }).catch((e: unknown) => e))).toBe('UNAUTHORIZED');
    // The invitee sees it; accepting needs the address confirmed (the emailed link proves it by itself).
    expect(await api(invitee).workspace.invitationById.query({ invitationId: inv.id })).toMatchObject({ workspaceName: 'Studio Nord', status: 'pending', role: 'editor' });
    expect(code(await api(invitee).workspace.acceptInvitationById.mutate({ invitationId: inv.id }).catch((e: unknown) => e))).toBe('FORBIDDEN');
    expect(await server.deps.db.selectFrom('membership').select('role').where('workspace_id', '=', workspaceId).where('user_id', '=', invitee.id).executeTakeFirst()).toBeUndefined();
    await verify(server.deps.db, invitee.id);
    expect(await api(invitee).workspace.acceptInvitationById.mutate({ invitationId: inv.id })).toEqual({ workspaceId, role: 'editor' });
    expect(code(await api(invitee).workspace.acceptInvitationById.mutate({ invitationId: inv.id }).catch((e: unknown) => e))).toBe('INVITATION_USED');
    expect(await api(invitee).workspace.invitationById.query({ invitationId: inv.id })).toMatchObject({ status: 'used' });
  });

  it('resending sends a new link; the old one stops working', async () => {
    const email = randomEmail('resend');
    const user = await signUpAs(server, email);
    const { inv, token: first } = await inviteAndRead(email);
    const before = smtp.messages.length;
    await api(owner).workspace.resendInvitation.mutate({ invitationId: inv.id });
    const deadline = Date.now() + 10_000;
    while (smtp.messages.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const second = linkIn(smtp.messages.at(-1)!, `${server.config.baseUrl}/invite/`).split('/invite/')[1]!;
    expect(second).not.toBe(first);
    expect(code(await api(user).workspace.acceptInvitation.mutate({ token: first }).catch((e: unknown) => e))).toBe('NOT_FOUND');
    expect(await api(user).workspace.acceptInvitation.mutate({ token: second })).toMatchObject({ workspaceId });
  });

  it('an unconfirmed email address cannot invite', async () => {
    const unverified = await signUp(server, 'Unverified');
    const ws = await api(unverified).workspace.create.mutate({ name: 'Mine' });
    const before = smtp.messages.length;
    expect(code(await api(unverified).workspace.invite.mutate({ workspaceId: ws.id, email: randomEmail(), role: 'editor' }).catch((e: unknown) => e))).toBe('FORBIDDEN');
    expect(smtp.messages.length).toBe(before);
    expect(await server.deps.db.selectFrom('invitation').select('id').where('workspace_id', '=', ws.id).execute()).toHaveLength(0);
  });

  it('tells the other members that someone joined', async () => {
    const member = await signUp(server, 'Mia Member');
    await server.deps.db.insertInto('membership').values({ workspace_id: workspaceId, user_id: member.id, role: 'editor' }).execute();
    const socket = await connectSocket(server, member);
    const email = randomEmail('joiner');
    const joiner = await signUpAs(server, email, 'Jo Joiner');
    const { token } = await inviteAndRead(email);
    await api(joiner).workspace.acceptInvitation.mutate({ token });
    const n = await waitForEvent(socket, 'notification:new', (x) => x.kind === 'member_joined');
    expect(n.title).toContain('Jo Joiner');
    const stored = await api(member).notification.list.query();
    expect(stored.unread).toBeGreaterThanOrEqual(1);
    await api(member).notification.markRead.mutate({ ids: 'all' });
    await waitForEvent(socket, 'notification:read', (e) => e.unread === 0);
    expect(await api(member).notification.unread.query()).toBe(0);
    socket.close();
  });
});

describe('invitation limits and names in mail', () => {
  it('refuses invitations and resends past the hourly limits per workspace and per sender, sending nothing; quotes and cleans names in the mail', async () => {
    const limited = await startTestServer(inject('pgAdminUrl'), { env: { SMTP_URL: smtp.url, INVITATIONS_PER_SENDER_PER_HOUR: '3', INVITATIONS_PER_WORKSPACE_PER_HOUR: '2' } });
    try {
      const boss = await signUp(limited, 'Eve\nYour account is suspended, visit evil.example');
      await verify(limited.deps.db, boss.id);
      const bossApi = trpcClient(limited, boss);
      const a = (await bossApi.workspace.create.mutate({ name: 'Acme.example' })).id;
      const b = (await bossApi.workspace.create.mutate({ name: 'Second' })).id;
      const first = randomEmail('lim');
      const inv = await bossApi.workspace.invite.mutate({ workspaceId: a, email: first });
      const mail = await smtp.waitFor(first, /invited you to the workspace/);
      expect(mail.subject).not.toMatch(/\n/);
      expect(mail.subject).toContain('“Eve Your account is suspended, visit evil.\u200bexample”');
      expect(mail.subject).toContain('“Acme.\u200bexample”');
      expect(mail.text).not.toContain('evil.example');
      await bossApi.workspace.resendInvitation.mutate({ invitationId: inv.id }); // a resend counts: 2 of 2 for the workspace
      const before = smtp.messages.length;
      const third = randomEmail('lim');
      expect(trpcErrorCode(await bossApi.workspace.invite.mutate({ workspaceId: a, email: third }).catch((e: unknown) => e))).toMatchObject({ httpStatus: 429, appCode: 'TOO_MANY_INVITATIONS' });
      expect(trpcErrorCode(await bossApi.workspace.resendInvitation.mutate({ invitationId: inv.id }).catch((e: unknown) => e))).toMatchObject({ appCode: 'TOO_MANY_INVITATIONS' });
      // The sender's own budget (3) is spent too, in any workspace.
      expect(trpcErrorCode(await bossApi.workspace.invite.mutate({ workspaceId: b, email: randomEmail('lim') }).catch((e: unknown) => e))).toMatchObject({ appCode: 'TOO_MANY_INVITATIONS' });
      expect(await limited.deps.db.selectFrom('invitation').select('id').where('email', '=', third).executeTakeFirst()).toBeUndefined();
      expect(smtp.messages.length).toBe(before);
    } finally {
      await limited.stop();
    }
  });
});
