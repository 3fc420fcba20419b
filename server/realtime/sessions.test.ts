import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { linkIn, startTestSmtp, type TestSmtp } from '../testing/smtp.js';
import { connectSocket, createTestDatabase, signUp, startTestServer, trpcClient, waitForEvent, type TestServer, type TestSocket, type TestUser } from '../testing/harness.js';
import { addMember, openBoard } from '../testing/teams.js';

let smtp: TestSmtp;
let server: TestServer;
let bystander: TestUser;

beforeAll(async () => {
  smtp = await startTestSmtp();
  server = await startTestServer(inject('pgAdminUrl'), { env: { SMTP_URL: smtp.url } });
  bystander = await signUp(server, 'Bea Bystander');
});
afterAll(async () => {
  await server?.stop();
  await smtp?.close();
});

type Srv = { url: string; config: TestServer['config'] };
const post = (srv: Srv, path: string, body: unknown, cookie?: string) =>
  fetch(`${srv.url}/api/auth${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: srv.config.baseUrl, ...(cookie ? { cookie } : {}) }, body: JSON.stringify(body) });

/** A second session of the same user (another device). */
async function signInAgain(srv: Srv, user: TestUser): Promise<TestUser> {
  const res = await post(srv, '/sign-in/email', { email: user.email, password: 'correct horse battery' });
  if (!res.ok) throw new Error(`sign-in failed: ${res.status}`);
  return { ...user, cookie: res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') };
}

/** The session token in a better-auth cookie (`better-auth.session_token=<token>.<signature>`). */
const tokenOf = (user: TestUser) => decodeURIComponent(/session_token=([^;]+)/.exec(user.cookie)![1]!).split('.')[0]!;

/**
 * Watches for the server disconnecting a socket. `within(ms)`, called once the session-ending request
 * answered, resolves if the socket was disconnected by then or is within `ms` after.
 */
function watchDisconnect(socket: TestSocket) {
  let at: number | null = null;
  const done = new Promise<void>((resolve) => socket.once('disconnect', () => ((at = Date.now()), resolve())));
  return {
    within(ms: number): Promise<void> {
      const answered = Date.now();
      if (at !== null) return Promise.resolve();
      return Promise.race([done, new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`socket still connected ${ms} ms after the answer`)), ms))]).then(() => {
        expect(at! - answered).toBeLessThanOrEqual(ms);
      });
    },
  };
}
const disconnectedWithin = (socket: TestSocket, ms: number) => watchDisconnect(socket).within(ms);
const allWithin = (w: ReturnType<typeof watchDisconnect> | ReturnType<typeof watchDisconnect>[], ms: number) => Promise.all((Array.isArray(w) ? w : [w]).map((g) => g.within(ms)));

/** Proves the socket still works: the server answers an event (a join of an unknown board). */
async function stillServed(socket: TestSocket) {
  expect(socket.connected).toBe(true);
  const r = await new Promise<{ ok: boolean }>((resolve) => socket.emit('board:join', '00000000-0000-4000-8000-000000000000', resolve));
  expect(r).toMatchObject({ ok: false });
}

describe('sockets end with their session', () => {
  it('sign-out disconnects the sockets of that session within a second; another session of the same user stays', async () => {
    const a = await signUp(server, 'Sam Signout');
    const b = await signInAgain(server, a);
    const [sa, sb, other] = await Promise.all([connectSocket(server, a), connectSocket(server, b), connectSocket(server, bystander)]);
    const gone = watchDisconnect(sa);
    expect((await post(server, '/sign-out', {}, a.cookie)).status).toBe(200);
    await allWithin(gone, 1000);
    await stillServed(sb);
    await stillServed(other);
    sb.close();
    other.close();
  });

  it('"sign out other devices" disconnects the other sessions\' sockets; this one stays', async () => {
    const a = await signUp(server, 'Rita Revoke-others');
    const b = await signInAgain(server, a);
    const c = await signInAgain(server, a);
    const [sa, sb, sc] = await Promise.all([connectSocket(server, a), connectSocket(server, b), connectSocket(server, c)]);
    const gone = [watchDisconnect(sb), watchDisconnect(sc)];
    expect((await post(server, '/revoke-other-sessions', {}, a.cookie)).status).toBe(200);
    await allWithin(gone, 1000);
    await stillServed(sa);
    sa.close();
  });

  it('revoking one session disconnects its sockets only', async () => {
    const a = await signUp(server, 'Otto One');
    const b = await signInAgain(server, a);
    const c = await signInAgain(server, a);
    const [sa, sb, sc] = await Promise.all([connectSocket(server, a), connectSocket(server, b), connectSocket(server, c)]);
    const gone = watchDisconnect(sb);
    expect((await post(server, '/revoke-session', { token: tokenOf(b) }, a.cookie)).status).toBe(200);
    await allWithin(gone, 1000);
    await stillServed(sa);
    await stillServed(sc);
    sa.close();
    sc.close();
  });

  it('a password reset disconnects every socket of the user; other users stay', async () => {
    const a = await signUp(server, 'Paula Reset');
    const b = await signInAgain(server, a);
    const [sa, sb, other] = await Promise.all([connectSocket(server, a), connectSocket(server, b), connectSocket(server, bystander)]);
    expect((await post(server, '/request-password-reset', { email: a.email, redirectTo: '/reset-password' })).status).toBe(200);
    const mail = await smtp.waitFor(a.email, /Reset your Flux Klein password/);
    const token = new URL(linkIn(mail, `${server.config.baseUrl}/api/auth/reset-password/`)).pathname.split('/').pop()!;
    const gone = [watchDisconnect(sa), watchDisconnect(sb)];
    expect((await post(server, '/reset-password', { newPassword: 'a brand new passphrase', token })).status).toBe(200);
    await allWithin(gone, 1000);
    await stillServed(other);
    other.close();
  });

  it('the deletion request disconnects every socket of the user; other users stay', async () => {
    const a = await signUp(server, 'Dora Delete');
    const b = await signInAgain(server, a);
    const [sa, sb, other] = await Promise.all([connectSocket(server, a), connectSocket(server, b), connectSocket(server, bystander)]);
    const gone = [watchDisconnect(sa), watchDisconnect(sb)];
    await trpcClient(server, a).privacy.requestDeletion.mutate({ password: 'correct horse battery' });
    await allWithin(gone, 1000);
    await stillServed(other);
    // And the ended session cannot connect again.
    await expect(connectSocket(server, a)).rejects.toThrow(/UNAUTHORIZED/);
    other.close();
  });

  it('a session ended while the channel was reconnecting is caught by the re-check after it', async () => {
    const a = await signUp(server, 'Mia Missed');
    const b = await signInAgain(server, a);
    const [sa, sb] = await Promise.all([connectSocket(server, a), connectSocket(server, b)]);
    // The listener goes away first; the session is then deleted with nobody listening.
    const pid = async () => (await sql<{ pid: number }>`select pid from pg_stat_activity where query = 'listen fk_session_end' and datname = current_database()`.execute(server.deps.db)).rows.map((r) => r.pid);
    const before = await pid();
    expect(before).toHaveLength(1);
    await sql`select pg_terminate_backend(${before[0]!}::int)`.execute(server.deps.db);
    for (let i = 0; i < 100 && (await pid()).includes(before[0]!); i++) await new Promise((r) => setTimeout(r, 10));
    await server.deps.db.deleteFrom('session').where('token', '=', tokenOf(a)).execute();
    await disconnectedWithin(sa, 5000);
    await stillServed(sb);
    sb.close();
  });
});

describe('across processes', () => {
  it('signing out through one server disconnects the session\'s socket on another within a second', async () => {
    const databaseUrl = await createTestDatabase(inject('pgAdminUrl'));
    const one = await startTestServer(inject('pgAdminUrl'), { databaseUrl });
    const two = await startTestServer(inject('pgAdminUrl'), { databaseUrl });
    try {
      const a = await signUp(one, 'Xena Cross');
      const b = await signInAgain(one, a);
      const [sa, sb] = await Promise.all([connectSocket(two, a), connectSocket(two, b)]);
      const gone = watchDisconnect(sa);
      expect((await post(one, '/sign-out', {}, a.cookie)).status).toBe(200);
      await allWithin(gone, 1000);
      await stillServed(sb);
      sb.close();
    } finally {
      await one.stop();
      await two.stop();
    }
  });
});

describe('membership after the board channel reconnects', () => {
  it('a member removed while the channel was down leaves the board and the workspace room when it is back', async () => {
    const owner = await signUp(server, 'Owen Owner');
    const member = await signUp(server, 'Max Member');
    const workspaceId = (await trpcClient(server, owner).workspace.create.mutate({ name: 'Reconnect team' })).id;
    await addMember(server.deps.db, workspaceId, member.id, 'editor');
    const boardId = (await trpcClient(server, owner).board.create.mutate({ workspaceId, name: 'B' })).id;
    const m = await openBoard(server, member, boardId);
    const pid = async () => (await sql<{ pid: number }>`select pid from pg_stat_activity where query = 'listen fk_board' and datname = current_database()`.execute(server.deps.db)).rows.map((r) => r.pid);
    const before = await pid();
    expect(before).toHaveLength(1);
    await sql`select pg_terminate_backend(${before[0]!}::int)`.execute(server.deps.db);
    for (let i = 0; i < 100 && (await pid()).includes(before[0]!); i++) await new Promise((r) => setTimeout(r, 10));
    // Removed with nobody listening: the kick announcement is lost.
    await trpcClient(server, owner).workspace.removeMember.mutate({ workspaceId, userId: member.id });
    await waitForEvent(m.socket, 'board:error', (e) => e.boardId === boardId && e.code === 'BOARD_ACCESS_REVOKED', 5000);
    expect(m.client.state.status).toBe('closed');
    // No longer in the workspace room: a change there is not sent to them.
    let told = false;
    m.socket.on('workspace:changed', () => (told = true));
    await trpcClient(server, owner).board.create.mutate({ workspaceId, name: 'After' });
    const watcher = await connectSocket(server, owner);
    await trpcClient(server, owner).board.create.mutate({ workspaceId, name: 'After 2' });
    await waitForEvent(watcher, 'workspace:changed', (e) => e.workspaceId === workspaceId);
    expect(told).toBe(false);
    watcher.close();
    m.close();
  });
});
