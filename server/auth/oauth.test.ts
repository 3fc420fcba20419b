import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFakeGithub, type FakeOAuth } from '../testing/fake-oauth.js';
import { signUp, startTestServer, trpcClient, type TestServer } from '../testing/harness.js';

let github: FakeOAuth;
let server: TestServer;
beforeAll(async () => {
  github = await startFakeGithub();
  server = await startTestServer(inject('pgAdminUrl'), {
    env: { GITHUB_CLIENT_ID: 'gh-client', GITHUB_CLIENT_SECRET: 'gh-secret', GITHUB_OAUTH_URL: github.url, GITHUB_API_URL: github.url },
  });
});
afterAll(async () => {
  await server?.stop();
  await github?.close();
});

const cookiesOf = (res: Response, prior = '') => {
  const split = (pair: string) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)] as [string, string];
  const jar = new Map(prior ? prior.split('; ').map(split) : []);
  for (const c of res.headers.getSetCookie()) {
    const [k, v] = split(c.split(';')[0]!);
    jar.set(k, v);
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
};

/** Follows the OAuth dance as a browser would: our sign-in → provider → our callback. */
async function oauthSignIn(path: '/sign-in/social' | '/link-social', cookie = '') {
  const start = await fetch(`${server.url}/api/auth${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.config.baseUrl, ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ provider: 'github', callbackURL: '/studio' }),
  });
  expect(start.status).toBe(200);
  let jar = cookiesOf(start, cookie);
  const { url } = (await start.json()) as { url: string };
  const atProvider = await fetch(url, { redirect: 'manual' });
  const callback = atProvider.headers.get('location')!.replace(server.config.baseUrl, server.url);
  const back = await fetch(callback, { headers: { cookie: jar }, redirect: 'manual' });
  expect(back.status).toBe(302);
  jar = cookiesOf(back, jar);
  return { jar, location: back.headers.get('location') };
}

describe('providers', () => {
  it('are offered only when configured (the sign-in pages show a button per configured one)', async () => {
    expect(Object.keys(server.config.oauth)).toEqual(['github']);
    const bare = await startTestServer(inject('pgAdminUrl'));
    try {
      expect(bare.config.oauth).toEqual({});
      // better-auth knows no provider either: starting one is refused.
      const res = await fetch(`${bare.url}/api/auth/sign-in/social`, { method: 'POST', headers: { 'content-type': 'application/json', origin: bare.config.baseUrl }, body: JSON.stringify({ provider: 'github', callbackURL: '/studio' }) });
      expect(res.ok).toBe(false);
    } finally {
      await bare.stop();
    }
  });
});

describe('sign in with GitHub', () => {
  it('refuses a banned account: back to the sign-in page with error=ACCOUNT_BANNED, and no session', async () => {
    github.nextUser = { id: 777009, login: 'banned', name: 'Ban Ned', email: 'banned-oauth@example.test' };
    const first = await oauthSignIn('/sign-in/social');
    expect(first.location).toBe('/studio');
    const userId = (await server.deps.db.selectFrom('user').select('id').where('email', '=', 'banned-oauth@example.test').executeTakeFirstOrThrow()).id;
    await server.deps.db.deleteFrom('session').where('userId', '=', userId).execute();
    await server.deps.db.insertInto('account_standing').values({ user_id: userId, status: 'banned', reason: 'spam', note: null, decided_by: null }).execute();
    github.nextUser = { id: 777009, login: 'banned', name: 'Ban Ned', email: 'banned-oauth@example.test' };
    const again = await oauthSignIn('/sign-in/social');
    expect(new URL(again.location!, server.config.baseUrl).searchParams.getAll('error')).toContain('ACCOUNT_BANNED');
    expect(await server.deps.db.selectFrom('session').select('id').where('userId', '=', userId).execute()).toEqual([]);
  });

  it('creates an account with the provider account id and a personal workspace', async () => {
    github.nextUser = { id: 777001, login: 'mona', name: 'Mona Lisa', email: 'mona@example.test' };
    const { jar, location } = await oauthSignIn('/sign-in/social');
    expect(location).toBe('/studio');
    const me = (await (await fetch(`${server.url}/api/auth/get-session`, { headers: { cookie: jar } })).json()) as { user: { id: string; email: string; name: string } };
    expect(me.user).toMatchObject({ email: 'mona@example.test', name: 'Mona Lisa' });
    const accounts = await server.deps.db.selectFrom('account').select(['providerId', 'accountId', 'password']).where('userId', '=', me.user.id).execute();
    expect(accounts).toEqual([{ providerId: 'github', accountId: '777001', password: null }]);
    expect(github.tokenRequests.at(-1)).toMatchObject({ client_id: 'gh-client', grant_type: 'authorization_code' });
    const ws = await server.deps.db.selectFrom('membership').select('role').where('user_id', '=', me.user.id).execute();
    expect(ws).toEqual([{ role: 'owner' }]);
    // The account page's view: GitHub with its account id, the only method, so not removable.
    const methods = await trpcClient(server, { id: me.user.id, email: me.user.email, cookie: jar }).account.methods.query();
    expect(methods.methods.map((m) => ({ providerId: m.providerId, accountId: m.accountId }))).toEqual([{ providerId: 'github', accountId: '777001' }]);
    expect(methods.canRemove).toBe(false);
    expect(methods.available).toEqual([]);
    // The only way to sign in cannot be unlinked.
    const unlink = await fetch(`${server.url}/api/auth/unlink-account`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.config.baseUrl, cookie: jar },
      body: JSON.stringify({ accountId: (await server.deps.db.selectFrom('account').select('id').where('userId', '=', me.user.id).executeTakeFirstOrThrow()).id }),
    });
    expect(unlink.status).toBe(400);
    expect(((await unlink.json()) as { code: string }).code).toBe('FAILED_TO_UNLINK_LAST_ACCOUNT');
    expect(await server.deps.db.selectFrom('account').select('id').where('userId', '=', me.user.id).execute()).toHaveLength(1);
  });

  it('links GitHub to a password account, and then unlinks it', async () => {
    const user = await signUp(server);
    github.nextUser = { id: 777002, login: 'linker', name: 'Link Er', email: null };
    expect(await trpcClient(server, user).account.methods.query()).toMatchObject({ available: ['github'], canRemove: false });
    await oauthSignIn('/link-social', user.cookie);
    expect(await trpcClient(server, user).account.methods.query()).toMatchObject({ available: [], canRemove: true });
    const accounts = await server.deps.db.selectFrom('account').select(['providerId', 'accountId']).where('userId', '=', user.id).orderBy('providerId').execute();
    expect(accounts).toEqual([
      { providerId: 'credential', accountId: user.id },
      { providerId: 'github', accountId: '777002' },
    ]);
    const unlink = await fetch(`${server.url}/api/auth/unlink-account`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.config.baseUrl, cookie: user.cookie },
      body: JSON.stringify({ accountId: (await server.deps.db.selectFrom('account').select('id').where('userId', '=', user.id).where('providerId', '=', 'github').executeTakeFirstOrThrow()).id }),
    });
    expect(unlink.status).toBe(200);
    expect(await server.deps.db.selectFrom('account').select('providerId').where('userId', '=', user.id).execute()).toEqual([{ providerId: 'credential' }]);
  });
});
