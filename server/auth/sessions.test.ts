import type { LoaderFunctionArgs } from '@remix-run/node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loader as securityLoader } from '../../app/routes/settings.security.js';
import { publicConfig } from '../public-config.js';
import { signUp, startTestServer, trpcClient, trpcErrorCode, type TestServer, type TestUser } from '../testing/harness.js';
import { createContext } from '../trpc/init.js';
import { createCaller } from '../trpc/router.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'));
});
afterAll(async () => {
  await server?.stop();
});

/** A second device of the same person: a fresh sign-in, with its own session cookie. */
async function signInAgain(user: TestUser): Promise<TestUser> {
  const res = await fetch(`${server.url}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.config.baseUrl, 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Safari/605.1.15' },
    body: JSON.stringify({ email: user.email, password: 'correct horse battery' }),
  });
  expect(res.status).toBe(200);
  return { ...user, cookie: res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') };
}

const sessionsOf = (userId: string) => server.deps.db.selectFrom('session').select(['id', 'token']).where('userId', '=', userId).orderBy('id').execute();
const signedIn = async (u: TestUser) => Boolean(await trpcClient(server, u).me.get.query());

/** The security page's loader, run with the load context server/index.ts builds for a request with this cookie. */
async function securityPageData(u: TestUser) {
  const headers = new Headers({ cookie: u.cookie });
  const context = { trpc: async () => createCaller(await createContext(server.deps, server.auth, headers)), auth: server.auth, publicConfig: publicConfig(server.config) };
  return securityLoader({ request: new Request(`${server.url}/settings/security`, { headers }), params: {}, context } as unknown as LoaderFunctionArgs);
}

describe('sessions on the security page', () => {
  it('are listed by session id; no session token of any session is in the data sent to the page', async () => {
    const user = await signUp(server, 'Tess');
    await signInAgain(user);
    const stored = await sessionsOf(user.id);
    expect(stored).toHaveLength(2);

    const listed = await trpcClient(server, user).account.sessions.query();
    expect(listed.map((s) => s.id).sort()).toEqual(stored.map((s) => s.id).sort());
    expect(listed.filter((s) => s.current)).toHaveLength(1);
    expect(listed[0]).toMatchObject({ current: true, network: '127.0.0.0/24' });

    const page = JSON.stringify(await securityPageData(user));
    const allTokens = (await server.deps.db.selectFrom('session').select('token').execute()).map((s) => s.token);
    for (const token of allTokens) expect(page).not.toContain(token);
    for (const s of stored) expect(page).toContain(s.id);
    expect(page).not.toContain('"token"');
  });

  it('signs out one of your own other devices by session id', async () => {
    const user = await signUp(server);
    const phone = await signInAgain(user);
    const phoneSession = (await trpcClient(server, phone).account.sessions.query()).find((s) => s.current)!;
    await trpcClient(server, user).account.revokeSession.mutate({ sessionId: phoneSession.id });
    expect(await signedIn(phone)).toBe(false);
    expect(await signedIn(user)).toBe(true);
    expect((await sessionsOf(user.id)).map((s) => s.id)).not.toContain(phoneSession.id);
  });

  it("refuses to sign out another person's session (NOT_FOUND, like an id that does not exist), and changes nothing", async () => {
    const victim = await signUp(server, 'Victim');
    const attacker = await signUp(server, 'Attacker');
    const [victimSession] = await sessionsOf(victim.id);
    const before = await server.deps.db.selectFrom('session').select(['id', 'token', 'expiresAt', 'updatedAt']).orderBy('id').execute();

    const refused = await trpcClient(server, attacker).account.revokeSession.mutate({ sessionId: victimSession!.id }).catch((e: unknown) => trpcErrorCode(e));
    const unknown = await trpcClient(server, attacker).account.revokeSession.mutate({ sessionId: 'no-such-session-id' }).catch((e: unknown) => trpcErrorCode(e));
    expect(refused).toMatchObject({ httpStatus: 404, appCode: 'NOT_FOUND' });
    expect(unknown).toEqual(refused);

    expect(await signedIn(victim)).toBe(true);
    expect(await server.deps.db.selectFrom('session').select(['id', 'token', 'expiresAt', 'updatedAt']).orderBy('id').execute()).toEqual(before);
  });
});
