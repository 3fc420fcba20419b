import { TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { linkIn, startTestSmtp, type TestSmtp } from '../testing/smtp.js';
import { signUp, startTestServer, trpcClient, trpcErrorCode, type TestServer, type TestUser } from '../testing/harness.js';
import { requireOperator } from './operators.js';

const PASSWORD = 'correct horse battery';
const stamp = Date.now();
const OPERATORS = { unconfirmed: `op-unconfirmed-${stamp}@example.test`, confirmed: `op-confirmed-${stamp}@example.test`, twoFactor: `op-2fa-${stamp}@example.test` };

let smtp: TestSmtp;
let server: TestServer;
beforeAll(async () => {
  smtp = await startTestSmtp();
  server = await startTestServer(inject('pgAdminUrl'), { env: { SMTP_URL: smtp.url, ADMIN_EMAILS: Object.values(OPERATORS).join(',') } });
});
afterAll(async () => {
  await server?.stop();
  await smtp?.close();
});

const post = (path: string, body: unknown, cookie?: string) =>
  fetch(`${server.url}/api/auth${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.config.baseUrl, ...(cookie ? { cookie } : {}) }, body: JSON.stringify(body) });
const cookiesOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
async function signUpAs(email: string): Promise<TestUser> {
  expect((await post('/sign-up/email', { email, password: PASSWORD, name: 'Operator' })).status).toBe(200);
  const res = await post('/sign-in/email', { email, password: PASSWORD });
  expect(res.status).toBe(200);
  return { id: ((await res.json()) as { user: { id: string } }).user.id, email, cookie: cookiesOf(res) };
}
async function confirm(email: string) {
  const link = linkIn(await smtp.waitFor(email, /Confirm your email address/), `${server.config.baseUrl}/api/auth/verify-email`);
  await fetch(link.replace(server.config.baseUrl, server.url), { redirect: 'manual' });
}
async function openRequest() {
  const someone = await signUp(server);
  return trpcClient(server, someone).privacy.createRequest.mutate({ kind: 'objection', message: 'I object to analytics on my account.' });
}
const statusOf = async (id: string) => (await server.deps.db.selectFrom('privacy_request').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

describe('operators (ADMIN_EMAILS)', () => {
  it('refuses an account with a listed address that is not confirmed, as NOT_FOUND like anyone else, changing nothing', async () => {
    const request = await openRequest();
    const squatter = await signUpAs(OPERATORS.unconfirmed.toUpperCase());
    const api = trpcClient(server, squatter);
    expect(trpcErrorCode(await api.privacy.adminRequests.query().catch((e: unknown) => e))).toMatchObject({ httpStatus: 404, appCode: 'NOT_FOUND' });
    expect(trpcErrorCode(await api.privacy.setRequestStatus.mutate({ id: request.id, status: 'rejected' }).catch((e: unknown) => e))).toMatchObject({ httpStatus: 404, appCode: 'NOT_FOUND' });
    expect(await statusOf(request.id)).toBe('open');
    // The same answer as for an address that is not listed at all.
    const nobody = trpcClient(server, await signUp(server));
    expect(trpcErrorCode(await nobody.privacy.adminRequests.query().catch((e: unknown) => e))).toMatchObject({ httpStatus: 404, appCode: 'NOT_FOUND' });
  });

  it('admits the account once its listed address is confirmed', async () => {
    const request = await openRequest();
    const operator = await signUpAs(OPERATORS.confirmed);
    const api = trpcClient(server, operator);
    expect(trpcErrorCode(await api.privacy.adminRequests.query().catch((e: unknown) => e))).toMatchObject({ appCode: 'NOT_FOUND' });
    await confirm(operator.email);
    expect((await api.privacy.adminRequests.query()).map((r) => r.id)).toContain(request.id);
    await api.privacy.setRequestStatus.mutate({ id: request.id, status: 'in_progress' });
    expect(await statusOf(request.id)).toBe('in_progress');
  });

  it('with two-factor on, admits only a session that completed the second factor', async () => {
    const request = await openRequest();
    const operator = await signUpAs(OPERATORS.twoFactor);
    await confirm(operator.email);
    // A second device signed in before two-factor was turned on keeps its session (better-auth
    // does not end other sessions), but that session never passed a second factor.
    const olderDevice = cookiesOf(await post('/sign-in/email', { email: operator.email, password: PASSWORD }));
    expect((await trpcClient(server, { ...operator, cookie: olderDevice }).privacy.adminRequests.query()).length).toBeGreaterThan(0);

    const enable = await post('/two-factor/enable', { password: PASSWORD }, operator.cookie);
    const { totpURI } = (await enable.json()) as { totpURI: string };
    const totp = new TOTP({ secret: new URL(totpURI).searchParams.get('secret')!, digits: 6, period: 30 });
    const verified = await post('/two-factor/verify-totp', { code: totp.generate() }, `${operator.cookie}; ${cookiesOf(enable)}`);
    expect(verified.status).toBe(200);

    const older = trpcClient(server, { ...operator, cookie: olderDevice });
    expect(await older.me.get.query()).toMatchObject({ email: operator.email }); // still signed in...
    expect(trpcErrorCode(await older.privacy.adminRequests.query().catch((e: unknown) => e))).toMatchObject({ httpStatus: 404, appCode: 'NOT_FOUND' }); // ...but not an operator
    expect(trpcErrorCode(await older.privacy.setRequestStatus.mutate({ id: request.id, status: 'done' }).catch((e: unknown) => e))).toMatchObject({ appCode: 'NOT_FOUND' });
    expect(await statusOf(request.id)).toBe('open');
    // A service call with no session (a job, a script) is refused for such an account too.
    await expect(requireOperator(server.deps, { userId: operator.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // A sign-in with the password alone makes no session at all while two-factor is on...
    const pending = await post('/sign-in/email', { email: operator.email, password: PASSWORD });
    expect(await pending.json()).toMatchObject({ twoFactorRedirect: true });
    // ...and completing it with the code makes one that is admitted.
    const done = await post('/two-factor/verify-totp', { code: totp.generate() }, cookiesOf(pending));
    expect(done.status).toBe(200);
    const fresh = trpcClient(server, { ...operator, cookie: cookiesOf(done) });
    await fresh.privacy.setRequestStatus.mutate({ id: request.id, status: 'done' });
    expect(await statusOf(request.id)).toBe('done');
  });
});
