import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signUp, startTestServer, trpcClient, trpcErrorCode, type TestServer } from '../testing/harness.js';

let server: TestServer;
let adminEmail: string;
beforeAll(async () => {
  adminEmail = `admin-${Date.now()}@example.test`;
  server = await startTestServer(inject('pgAdminUrl'), { env: { ADMIN_EMAILS: adminEmail.toUpperCase() } });
});
afterAll(async () => {
  await server?.stop();
});

describe('privacy requests', () => {
  it('records a request with a status the person can follow, which only admins list and change', async () => {
    const user = await signUp(server);
    const api = trpcClient(server, user);
    expect(trpcErrorCode(await api.privacy.createRequest.mutate({ kind: 'marketing' as never, message: 'please stop it now' }).catch((e: unknown) => e))).toMatchObject({ httpStatus: 400 });
    expect(trpcErrorCode(await api.privacy.createRequest.mutate({ kind: 'objection', message: 'short' }).catch((e: unknown) => e))).toMatchObject({ httpStatus: 400 });
    expect(await api.privacy.myRequests.query()).toEqual([]);
    const created = await api.privacy.createRequest.mutate({ kind: 'objection', message: 'I object to analytics on my account.' });
    expect(created.status).toBe('open');
    expect(trpcErrorCode(await api.privacy.adminRequests.query().catch((e: unknown) => e))).toMatchObject({ httpStatus: 404 });
    expect(trpcErrorCode(await api.privacy.setRequestStatus.mutate({ id: created.id, status: 'done' }).catch((e: unknown) => e))).toMatchObject({ httpStatus: 404 });

    // The admin (by email, case-insensitive).
    const res = await fetch(`${server.url}/api/auth/sign-up/email`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.config.baseUrl }, body: JSON.stringify({ email: adminEmail, password: 'correct horse battery', name: 'Admin' }) });
    expect(res.ok).toBe(true);
    const signIn = await fetch(`${server.url}/api/auth/sign-in/email`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.config.baseUrl }, body: JSON.stringify({ email: adminEmail, password: 'correct horse battery' }) });
    const admin = trpcClient(server, { id: '', email: adminEmail, cookie: signIn.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') });
    // Only once the address is confirmed (services/operators.test.ts covers the refusals).
    const mail = (await server.deps.mailer.outbox()).find((m) => m.to === adminEmail && /Confirm your email address/.test(m.subject))!;
    const link = /https?:\/\/\S+\/api\/auth\/verify-email\S+/.exec(mail.text)![0];
    await fetch(link.replace(server.config.baseUrl, server.url), { redirect: 'manual' });
    const listed = await admin.privacy.adminRequests.query();
    expect(listed.find((r) => r.id === created.id)).toMatchObject({ kind: 'objection', email: user.email, status: 'open' });
    await admin.privacy.setRequestStatus.mutate({ id: created.id, status: 'in_progress' });
    expect((await api.privacy.myRequests.query())[0]).toMatchObject({ id: created.id, status: 'in_progress' });
  });
});
