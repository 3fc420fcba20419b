/**
 * The socket handshake's session check (server/auth/socket-session.ts): one statement reads the
 * session, its user and their workspaces; a cookie better-auth would refuse is refused here too.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { cookieValue, verifySignedToken } from '../auth/socket-session.js';
import { connectSocket, signUp, startTestServer, trpcClient, type TestServer, type TestUser } from '../testing/harness.js';
import { addMember } from '../testing/teams.js';
import { rooms } from '../shared/realtime.js';

let server: TestServer;
let ann: TestUser;
let ben: TestUser;
let team: string;

beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'));
  ann = await signUp(server, 'Ann Handshake');
  ben = await signUp(server, 'Ben Handshake');
  team = (await trpcClient(server, ann).workspace.create.mutate({ name: 'Handshake team' })).id;
  await addMember(server.deps.db, team, ben.id, 'viewer');
});
afterAll(async () => {
  await server?.stop();
});

/** The session cookie's `name=value`, and the value's token and signature. */
function sessionCookie(user: TestUser) {
  const pair = user.cookie.split('; ').find((c) => c.includes('session_token='))!;
  const [name, raw] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
  const value = decodeURIComponent(raw);
  const dot = value.lastIndexOf('.');
  return { name, value, token: value.slice(0, dot), signature: value.slice(dot + 1) };
}
const withSession = (user: TestUser, value: string): TestUser => ({ ...user, cookie: `${sessionCookie(user).name}=${encodeURIComponent(value)}` });

describe('socket handshake', () => {
  it("joins the user's own, session and workspace rooms, and names the user for presence", async () => {
    const socket = await connectSocket(server, ben);
    try {
      const held = server.io.of('/').sockets.get(socket.id!)!;
      const personal = await server.deps.db.selectFrom('membership').select('workspace_id').where('user_id', '=', ben.id).execute();
      expect(personal.length).toBe(2); // personal workspace and the team
      for (const m of personal) expect(held.rooms.has(rooms.workspace(m.workspace_id))).toBe(true);
      expect(held.rooms.has(rooms.user(ben.id))).toBe(true);
      expect([...held.rooms].some((r) => r === rooms.session(held.data.sessionId as string))).toBe(true);
      expect(held.data).toMatchObject({ userId: ben.id, name: 'Ben Handshake' });
      // The team's rooms really deliver: a board made in it is announced to the viewer.
      const changed = new Promise((resolve) => socket.once('workspace:changed', resolve));
      await trpcClient(server, ann).board.create.mutate({ workspaceId: team, name: 'Seen by Ben' });
      await expect(changed).resolves.toEqual({ workspaceId: team, what: 'boards' });
    } finally {
      socket.close();
    }
  });

  it('refuses a cookie whose signature does not match, an unsigned token, another cookie name and no cookie', async () => {
    const { token, signature, name } = sessionCookie(ann);
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    await expect(connectSocket(server, withSession(ann, `${token}.${flipped}`))).rejects.toThrow(/UNAUTHORIZED/);
    await expect(connectSocket(server, withSession(ann, token))).rejects.toThrow(/UNAUTHORIZED/);
    // Ben's valid signature on Ann's token.
    await expect(connectSocket(server, withSession(ann, `${token}.${sessionCookie(ben).signature}`))).rejects.toThrow(/UNAUTHORIZED/);
    await expect(connectSocket(server, { ...ann, cookie: `x-${name}=${encodeURIComponent(sessionCookie(ann).value)}` })).rejects.toThrow(/UNAUTHORIZED/);
    await expect(connectSocket(server)).rejects.toThrow(/UNAUTHORIZED/);
  });

  it('refuses an expired session and a deleted one', async () => {
    const carl = await signUp(server, 'Carl Expired');
    const socket = await connectSocket(server, carl);
    socket.close();
    const { token } = sessionCookie(carl);
    await server.deps.db.updateTable('session').set({ expiresAt: sql`now() - interval '1 second'` }).where('token', '=', token).execute();
    await expect(connectSocket(server, carl)).rejects.toThrow(/UNAUTHORIZED/);
    await server.deps.db.updateTable('session').set({ expiresAt: sql`now() + interval '1 day'` }).where('token', '=', token).execute();
    (await connectSocket(server, carl)).close();
    await server.deps.db.deleteFrom('session').where('token', '=', token).execute();
    await expect(connectSocket(server, carl)).rejects.toThrow(/UNAUTHORIZED/);
  });
});

describe('session cookie parsing', () => {
  it('reads the first cookie of the name, decoded, quoted or not', () => {
    expect(cookieValue('a=1; better-auth.session_token=t%2Eok.sig; better-auth.session_token=second', 'better-auth.session_token')).toBe('t.ok.sig');
    expect(cookieValue('better-auth.session_token="abc"', 'better-auth.session_token')).toBe('abc');
    expect(cookieValue('xbetter-auth.session_token=abc', 'better-auth.session_token')).toBeNull();
    expect(cookieValue(null, 'n')).toBeNull();
  });

  it('accepts only an HMAC-SHA256 signature of the token under the secret', async () => {
    const { createHmac } = await import('node:crypto');
    const sign = (token: string, secret: string) => `${token}.${createHmac('sha256', secret).update(token).digest('base64')}`;
    const secret = 'a-secret-of-at-least-thirty-two-chars!';
    expect(verifySignedToken(sign('tok', secret), secret)).toBe('tok');
    expect(verifySignedToken(sign('tok', 'another-secret-of-thirty-two-chars!!'), secret)).toBeNull();
    expect(verifySignedToken('tok', secret)).toBeNull();
    expect(verifySignedToken('.abc', secret)).toBeNull();
    expect(verifySignedToken(`tok.${'A'.repeat(43)}=`, secret)).toBeNull();
  });
});
