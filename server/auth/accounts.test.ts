import http from 'node:http';
import { TOTP } from 'otpauth';
import { accountThrottleKey } from '../http/security.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { linkIn, startTestSmtp, type TestSmtp } from '../testing/smtp.js';
import { signUp, startTestServer, trpcClient, type TestServer, type TestUser } from '../testing/harness.js';

let smtp: TestSmtp;
let server: TestServer;
beforeAll(async () => {
  smtp = await startTestSmtp();
  // better-auth's own password hashing: sign-up, sign-in and reset are under test here, and the
  // timing tests below compare its paths (other files use the harness's cheaper hasher).
  server = await startTestServer(inject('pgAdminUrl'), { env: { SMTP_URL: smtp.url }, passwords: 'real' });
});
afterAll(async () => {
  await server?.stop();
  await smtp?.close();
});

const PASSWORD = 'correct horse battery';
const post = (path: string, body: unknown, cookie?: string) =>
  fetch(`${server.url}/api/auth${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.config.baseUrl, ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
    redirect: 'manual',
  });
const cookiesOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
const session = async (cookie: string) => (await (await fetch(`${server.url}/api/auth/get-session`, { headers: { cookie } })).json()) as { user?: { email: string; emailVerified: boolean } } | null;
const signIn = (email: string, password = PASSWORD) => post('/sign-in/email', { email, password });

describe('email verification', () => {
  it('sends a plain, accessible message whose link verifies the address', async () => {
    const user = await signUp(server, 'Vera');
    const mail = await smtp.waitFor(user.email, /Confirm your email address/);
    expect(mail.text).toContain('Flux Klein');
    expect(mail.text).toMatch(/You got this message because/);
    expect(mail.html).toContain('<h1');
    expect((await session(user.cookie))?.user?.emailVerified).toBe(false);
    const link = linkIn(mail, `${server.config.baseUrl}/api/auth/verify-email`);
    const res = await fetch(link.replace(server.config.baseUrl, server.url), { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/verify-email');
    // Following a link is not signing in (it would skip the password and two-factor).
    expect(res.headers.getSetCookie().filter((c) => c.includes('session_token='))).toEqual([]);
    const row = await server.deps.db.selectFrom('user').select('emailVerified').where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.emailVerified).toBe(true);
    expect((await session(user.cookie))?.user?.emailVerified).toBe(true);
  });

  it('sends a link that is not valid back to /verify-email with an error, changing nothing', async () => {
    const user = await signUp(server);
    const res = await fetch(`${server.url}/api/auth/verify-email?token=forged.token.value&callbackURL=%2Fverify-email`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(/^\/verify-email\?error=[A-Z_]+$/);
    const row = await server.deps.db.selectFrom('user').select('emailVerified').where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.emailVerified).toBe(false);
  });
});

describe('password reset', () => {
  it('resets the password from the emailed link, signs out old sessions, and answers the same for unknown addresses', async () => {
    const user = await signUp(server);
    const known = await post('/request-password-reset', { email: user.email, redirectTo: '/reset-password' });
    const unknown = await post('/request-password-reset', { email: `nobody-${Date.now()}@example.test`, redirectTo: '/reset-password' });
    expect(known.status).toBe(unknown.status);
    expect(await known.text()).toBe(await unknown.text());
    const mail = await smtp.waitFor(user.email, /Reset your Flux Klein password/);
    const link = linkIn(mail, `${server.config.baseUrl}/api/auth/reset-password/`);
    const token = new URL(link).pathname.split('/').pop()!;
    const reset = await post('/reset-password', { newPassword: 'a brand new passphrase', token });
    expect(reset.status).toBe(200);
    expect(await session(user.cookie)).toBeNull(); // the old session was revoked
    expect((await signIn(user.email)).status).toBe(401);
    expect((await signIn(user.email, 'a brand new passphrase')).status).toBe(200);
    // The link works once.
    expect((await post('/reset-password', { newPassword: 'another one here', token })).status).toBe(400);
  });

  it('changes the password while signed in, optionally signing out other devices', async () => {
    const user = await signUp(server);
    const other = cookiesOf(await signIn(user.email));
    const res = await post('/change-password', { currentPassword: PASSWORD, newPassword: 'changed passphrase', revokeOtherSessions: true }, user.cookie);
    expect(res.status).toBe(200);
    expect(await session(other)).toBeNull();
    expect((await signIn(user.email, 'changed passphrase')).status).toBe(200);
    const wrong = await post('/change-password', { currentPassword: 'not it', newPassword: 'whatever else, plum orbit' }, cookiesOf(await signIn(user.email, 'changed passphrase')));
    expect(wrong.status).toBe(400);
  });
});

describe('password policy', () => {
  const WEAK = (email: string) => ['password', '123456789012', email, `${email.split('@')[0]} 2026!`];
  const refusedWithAdvice = async (res: Response) => {
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe('PASSWORD_TOO_WEAK');
    expect(body.message).toMatch(/a few unrelated words/);
  };

  it('refuses common passwords and the address itself at sign-up, creating nothing; accepts a passphrase', async () => {
    const email = `policy-${Date.now()}@example.test`;
    for (const password of WEAK(email)) await refusedWithAdvice(await post('/sign-up/email', { email, password, name: 'Pat Policy' }));
    await refusedWithAdvice(await post('/sign-up/email', { email, password: 'pat policy rules', name: 'Pat Policy' })); // the name
    expect(await server.deps.db.selectFrom('user').select('id').where('email', '=', email).executeTakeFirst()).toBeUndefined();
    expect((await post('/sign-up/email', { email, password: 'violet tundra sailing kettle', name: 'Pat Policy' })).status).toBe(200);
    expect((await signIn(email, 'violet tundra sailing kettle')).status).toBe(200);
  });

  it('refuses them when resetting by the emailed link, which keeps working for a good one', async () => {
    const user = await signUp(server);
    await post('/request-password-reset', { email: user.email, redirectTo: '/reset-password' });
    const token = new URL(linkIn(await smtp.waitFor(user.email, /Reset your Flux Klein password/), `${server.config.baseUrl}/api/auth/reset-password/`)).pathname.split('/').pop()!;
    for (const newPassword of WEAK(user.email)) await refusedWithAdvice(await post('/reset-password', { newPassword, token }));
    expect((await signIn(user.email)).status).toBe(200); // unchanged
    expect((await post('/reset-password', { newPassword: 'violet tundra sailing kettle', token })).status).toBe(200);
    expect((await signIn(user.email, 'violet tundra sailing kettle')).status).toBe(200);
  });

  it('refuses them when changing the password while signed in', async () => {
    const user = await signUp(server);
    for (const newPassword of WEAK(user.email)) await refusedWithAdvice(await post('/change-password', { currentPassword: PASSWORD, newPassword }, user.cookie));
    await refusedWithAdvice(await post('/change-password', { currentPassword: PASSWORD, newPassword: 'test user forever' }, user.cookie)); // the name
    expect((await signIn(user.email)).status).toBe(200); // unchanged
    expect((await post('/change-password', { currentPassword: PASSWORD, newPassword: 'violet tundra sailing kettle' }, user.cookie)).status).toBe(200);
    expect((await signIn(user.email, 'violet tundra sailing kettle')).status).toBe(200);
  });
});

describe('two-factor authentication', () => {
  async function enable(user: TestUser) {
    const res = await post('/two-factor/enable', { password: PASSWORD }, user.cookie);
    expect(res.status).toBe(200);
    const { totpURI, backupCodes } = (await res.json()) as { totpURI: string; backupCodes: string[] };
    const secret = new URL(totpURI).searchParams.get('secret')!;
    const totp = new TOTP({ secret, digits: 6, period: 30 });
    const cookie = user.cookie + (res.headers.getSetCookie().length ? `; ${cookiesOf(res)}` : '');
    const verify = await post('/two-factor/verify-totp', { code: totp.generate() }, cookie);
    expect(verify.status).toBe(200);
    return { totp, backupCodes };
  }

  it('asks for a TOTP code at sign-in once enabled', async () => {
    const user = await signUp(server);
    const { totp } = await enable(user);
    const row = await server.deps.db.selectFrom('user').select('twoFactorEnabled').where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.twoFactorEnabled).toBe(true);
    const first = await signIn(user.email);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ twoFactorRedirect: true });
    const pending = cookiesOf(first);
    expect(await session(pending)).toBeNull(); // not signed in yet
    expect((await post('/two-factor/verify-totp', { code: '000000' }, pending)).status).toBe(401);
    const ok = await post('/two-factor/verify-totp', { code: totp.generate() }, pending);
    expect(ok.status).toBe(200);
    expect((await session(cookiesOf(ok)))?.user?.email).toBe(user.email);
  });

  it('accepts a backup code once', async () => {
    const user = await signUp(server);
    const { backupCodes } = await enable(user);
    expect(backupCodes).toHaveLength(8);
    const pending = cookiesOf(await signIn(user.email));
    const ok = await post('/two-factor/verify-backup-code', { code: backupCodes[0] }, pending);
    expect(ok.status).toBe(200);
    const again = cookiesOf(await signIn(user.email));
    expect((await post('/two-factor/verify-backup-code', { code: backupCodes[0] }, again)).status).toBe(401);
  });
});

describe('brute force', () => {
  it('refuses the 11th sign-in attempt on an account within a minute, right password or wrong; other accounts are unaffected', async () => {
    const limited = await startTestServer(inject('pgAdminUrl'), { env: { AUTH_RATE_LIMIT: 'true' } });
    try {
      const victim = await signUp(limited);
      const bystander = await signUp(limited);
      const attempt = (email: string, password: string) =>
        fetch(`${limited.url}/api/auth/sign-in/email`, { method: 'POST', headers: { 'content-type': 'application/json', origin: limited.config.baseUrl }, body: JSON.stringify({ email, password }) });
      // signUp() signed in once: that was attempt 1 of 10.
      for (let i = 0; i < 9; i++) expect((await attempt(victim.email, `wrong ${i}`)).status).toBe(401);
      expect((await attempt(victim.email, 'still wrong')).status).toBe(429);
      expect((await attempt(victim.email, PASSWORD)).status).toBe(429);
      expect((await attempt(bystander.email, PASSWORD)).status).toBe(200);
      // Unknown accounts answer like known ones.
      const a = await attempt(victim.email.replace('u-', 'nobody-'), 'x');
      const b = await attempt(bystander.email, 'wrong');
      expect(a.status).toBe(b.status);
      expect(await a.json()).toEqual(await b.json());
      // Password-reset requests are limited too (per client address).
      const reset = () => fetch(`${limited.url}/api/auth/request-password-reset`, { method: 'POST', headers: { 'content-type': 'application/json', origin: limited.config.baseUrl }, body: JSON.stringify({ email: bystander.email, redirectTo: '/reset-password' }) });
      for (let i = 0; i < 5; i++) expect((await reset()).status).toBe(200);
      expect((await reset()).status).toBe(429);
    } finally {
      await limited.stop();
    }
  });

  it('refuses sign-in from one address after SIGN_IN_ADDRESS_MAX attempts across accounts, right password or wrong; another address is unaffected', async () => {
    const limited = await startTestServer(inject('pgAdminUrl'), { env: { AUTH_RATE_LIMIT: 'true', SIGN_IN_ADDRESS_MAX: '5' } });
    try {
      // Sign-in from a chosen loopback address (the server sees it as the client address).
      const attempt = (email: string, password: string, from = '127.0.0.1') =>
        new Promise<{ status: number; setCookie: string[] }>((resolve, reject) => {
          const body = JSON.stringify({ email, password });
          const req = http.request(`${limited.url}/api/auth/sign-in/email`, { method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), origin: limited.config.baseUrl } }, (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: ([] as string[]).concat(res.headers['set-cookie'] ?? []) }));
          });
          req.on('error', reject);
          req.end(body);
        });
      const emails = Array.from({ length: 7 }, (_, i) => `spray-${i}-${Date.now()}@example.test`);
      for (const email of emails) {
        const res = await fetch(`${limited.url}/api/auth/sign-up/email`, { method: 'POST', headers: { 'content-type': 'application/json', origin: limited.config.baseUrl }, body: JSON.stringify({ email, password: PASSWORD, name: 'S' }) });
        expect(res.status).toBe(200);
      }
      // One wrong password on each of five accounts: each account is far below its own limit.
      for (const email of emails.slice(0, 5)) expect((await attempt(email, 'Summer2026!')).status).toBe(401);
      const refused = await attempt(emails[5]!, PASSWORD);
      expect(refused.status).toBe(429);
      expect(refused.setCookie.filter((c) => c.includes('session_token='))).toEqual([]);
      const user5 = await limited.deps.db.selectFrom('user').select('id').where('email', '=', emails[5]!).executeTakeFirstOrThrow();
      expect(await limited.deps.db.selectFrom('session').select('id').where('userId', '=', user5.id).execute()).toEqual([]);
      // Another address still signs in.
      expect((await attempt(emails[6]!, PASSWORD, '127.0.0.2')).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });

  it('lets the owner of an account whose sign-in limit is tripped reset the password and sign in at once', async () => {
    const limited = await startTestServer(inject('pgAdminUrl'), { env: { AUTH_RATE_LIMIT: 'true', SMTP_URL: smtp.url } });
    try {
      const victim = await signUp(limited);
      const call = (path: string, body: unknown) => fetch(`${limited.url}/api/auth${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: limited.config.baseUrl }, body: JSON.stringify(body) });
      for (let i = 0; i < 9; i++) expect((await call('/sign-in/email', { email: victim.email, password: `wrong ${i}` })).status).toBe(401);
      expect((await call('/sign-in/email', { email: victim.email, password: PASSWORD })).status).toBe(429);
      expect(await limited.deps.db.selectFrom('rateLimit').select('count').where('key', '=', accountThrottleKey(victim.email)).executeTakeFirst()).toMatchObject({ count: 10 });
      // The reset link is still sent and still works while the account is limited...
      expect((await call('/request-password-reset', { email: victim.email, redirectTo: '/reset-password' })).status).toBe(200);
      const token = new URL(linkIn(await smtp.waitFor(victim.email, /Reset your Flux Klein password/), `${limited.config.baseUrl}/api/auth/reset-password/`)).pathname.split('/').pop()!;
      expect((await call('/reset-password', { newPassword: 'violet tundra sailing kettle', token })).status).toBe(200);
      // ...and once it is used, the owner signs in at once.
      expect((await call('/sign-in/email', { email: victim.email, password: 'violet tundra sailing kettle' })).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });

  it('limits sign-up and verification requests per client address', async () => {
    const limited = await startTestServer(inject('pgAdminUrl'), { env: { AUTH_RATE_LIMIT: 'true' } });
    try {
      const call = (path: string, body: unknown) =>
        fetch(`${limited.url}/api/auth${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: limited.config.baseUrl }, body: JSON.stringify(body) });
      const email = (i: number) => `burst-${i}-${Date.now()}@example.test`;
      for (let i = 0; i < 10; i++) expect((await call('/sign-up/email', { email: email(i), password: PASSWORD, name: 'B' })).status).toBe(200);
      const refused = await call('/sign-up/email', { email: email(10), password: PASSWORD, name: 'B' });
      expect(refused.status).toBe(429);
      expect(await limited.deps.db.selectFrom('user').select('id').where('email', '=', email(10)).executeTakeFirst()).toBeUndefined();
      for (let i = 0; i < 5; i++) expect((await call('/send-verification-email', { email: email(i), callbackURL: '/verify-email' })).status).toBe(200);
      expect((await call('/send-verification-email', { email: email(0), callbackURL: '/verify-email' })).status).toBe(429);
      // The counters are rows in Postgres (shared by every process), not process memory.
      const keys = await limited.deps.db.selectFrom('rateLimit').select('key').execute();
      expect(keys.map((k) => k.key)).toEqual(expect.arrayContaining([expect.stringContaining('/sign-up/email'), expect.stringContaining('/send-verification-email')]));
    } finally {
      await limited.stop();
    }
  });

  it('takes about as long for an unknown address as for a wrong password', async () => {
    const known = await signUp(server);
    const time = async (email: string) => {
      const t = performance.now();
      await signIn(email, 'definitely wrong');
      return performance.now() - t;
    };
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 7; i++) {
      a.push(await time(known.email));
      b.push(await time(`ghost-${i}-${Date.now()}@example.test`));
    }
    const ratio = median(a) / median(b);
    expect(ratio).toBeGreaterThan(0.33);
    expect(ratio).toBeLessThan(3);
  });
});

describe('enumeration', () => {
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  async function timeBoth(known: (i: number) => Promise<Response>, unknown: (i: number) => Promise<Response>) {
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 7; i++) {
      let t = performance.now();
      await known(i);
      a.push(performance.now() - t);
      t = performance.now();
      await unknown(i);
      b.push(performance.now() - t);
    }
    return median(a) / median(b);
  }

  it('answers a reset request alike, and about as fast, for a known and an unknown address', async () => {
    const known = await signUp(server);
    const reset = (email: string) => post('/request-password-reset', { email, redirectTo: '/reset-password' });
    const a = await reset(known.email);
    const b = await reset(`ghost-${Date.now()}@example.test`);
    expect(a.status).toBe(b.status);
    expect(await a.text()).toBe(await b.text());
    // The message goes out after the answer, so sending it does not show in the timing.
    const ratio = await timeBoth(
      () => reset(known.email),
      (i) => reset(`ghost-${i}-${Date.now()}@example.test`),
    );
    expect(ratio).toBeGreaterThan(0.33);
    expect(ratio).toBeLessThan(3);
    await smtp.waitFor(known.email, /Reset your Flux Klein password/);
  });

  it('answers sign-up about as fast for an existing address as for a new one', async () => {
    const existing = await signUp(server);
    const ratio = await timeBoth(
      () => post('/sign-up/email', { email: existing.email, password: 'some password 1', name: 'X' }),
      (i) => post('/sign-up/email', { email: `fresh-${i}-${Date.now()}@example.test`, password: 'some password 1', name: 'X' }),
    );
    expect(ratio).toBeGreaterThan(0.33);
    expect(ratio).toBeLessThan(3);
  });

  it('answers sign-up alike for a new and an existing address, and tells the owner', async () => {
    const existing = await signUp(server);
    const attempt = (email: string) => post('/sign-up/email', { email, password: 'some password 1', name: 'X' });
    const a = await attempt(existing.email);
    const b = await attempt(`fresh-${Date.now()}@example.test`);
    expect(a.status).toBe(b.status);
    const shape = (v: unknown): unknown => (v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'object' && x !== null ? shape(x) : typeof x])) : typeof v);
    expect(shape(await a.json())).toEqual(shape(await b.json()));
    expect(a.headers.getSetCookie()).toEqual([]);
    expect(b.headers.getSetCookie()).toEqual([]);
    await smtp.waitFor(existing.email, /Someone tried to create a Flux Klein account/);
  });
});

describe('session cookie', () => {
  it('is HttpOnly and SameSite=Lax, not Secure over plain http, with a 30-day expiry', async () => {
    const res = await signIn((await signUp(server)).email);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('better-auth.session_token='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/;\s*Secure/i);
    const maxAge = Number(/Max-Age=(\d+)/i.exec(cookie)?.[1]);
    expect(maxAge).toBe(60 * 60 * 24 * 30);
  });

  it('is Secure (and __Secure- prefixed) when BASE_URL is https', async () => {
    const secure = await startTestServer(inject('pgAdminUrl'), { env: { BASE_URL: 'https://flux.example.test' } });
    try {
      const user = await signUp(secure);
      expect(user.cookie).toMatch(/^__Secure-better-auth\.session_token=/);
      const res = await fetch(`${secure.url}/api/auth/sign-in/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'https://flux.example.test' },
        body: JSON.stringify({ email: user.email, password: PASSWORD }),
      });
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('__Secure-better-auth.session_token='))!;
      expect(cookie).toMatch(/;\s*Secure/i);
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Lax/i);
    } finally {
      await secure.stop();
    }
  });
});

describe('sessions', () => {
  it('record the device and the real client address (not the sign-in throttle key)', async () => {
    const user = await signUp(server);
    const res = await fetch(`${server.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.config.baseUrl, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' },
      body: JSON.stringify({ email: user.email, password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    const row = await server.deps.db.selectFrom('session').select(['ipAddress', 'userAgent', 'expiresAt']).where('token', '=', token).executeTakeFirstOrThrow();
    expect(row.userAgent).toBe('Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0');
    expect(row.ipAddress).toBe('127.0.0.1');
    const days = (new Date(row.expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThanOrEqual(30);
  });
});

describe('changing the email address', () => {
  it('changes only once the new address confirms it', async () => {
    const user = await signUp(server);
    // Confirm the current address first (a confirmed account moves through the new address).
    const verify = linkIn(await smtp.waitFor(user.email, /Confirm your email address/), `${server.config.baseUrl}/api/auth/verify-email`);
    await fetch(verify.replace(server.config.baseUrl, server.url), { redirect: 'manual' });
    const newEmail = user.email.replace('u-', 'moved-');
    const res = await post('/change-email', { newEmail, callbackURL: '/settings/account' }, user.cookie);
    expect(res.status).toBe(200);
    const row = () => server.deps.db.selectFrom('user').select(['email']).where('id', '=', user.id).executeTakeFirstOrThrow();
    expect((await row()).email).toBe(user.email);
    // Step 1: the current address approves.
    const approve = linkIn(await smtp.waitFor(user.email, /Approve the new email address/), `${server.config.baseUrl}/api/auth/verify-email`);
    await fetch(approve.replace(server.config.baseUrl, server.url), { headers: { cookie: user.cookie }, redirect: 'manual' });
    expect((await row()).email).toBe(user.email);
    // Step 2: the new address confirms itself.
    const confirm = linkIn(await smtp.waitFor(newEmail, /Confirm your email address/), `${server.config.baseUrl}/api/auth/verify-email`);
    await fetch(confirm.replace(server.config.baseUrl, server.url), { headers: { cookie: user.cookie }, redirect: 'manual' });
    expect((await row()).email).toBe(newEmail);
  });
});

describe('unconfirmed accounts', () => {
  it('may not invite others until the address is confirmed', async () => {
    const { requireVerifiedEmail } = await import('../services/accounts.js');
    const user = await signUp(server);
    await expect(requireVerifiedEmail(server.deps.db, { userId: user.id })).rejects.toMatchObject({ code: 'FORBIDDEN', userMessage: expect.stringMatching(/^Verify your email address first/) });
    // What the pages read: me.get says the address is not confirmed yet.
    expect((await trpcClient(server, user).me.get.query())?.emailVerified).toBe(false);
    const link = linkIn(await smtp.waitFor(user.email, /Confirm your email address/), `${server.config.baseUrl}/api/auth/verify-email`);
    await fetch(link.replace(server.config.baseUrl, server.url), { redirect: 'manual' });
    await expect(requireVerifiedEmail(server.deps.db, { userId: user.id })).resolves.toBeUndefined();
    expect((await trpcClient(server, user).me.get.query())?.emailVerified).toBe(true);
  });
});
