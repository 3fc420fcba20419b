/**
 * One standing record (ADR 0022): moderation's automatic suspension and the operators' suspensions
 * and bans are the same row of `account_standing`, answered by server/services/account-standing.ts.
 * Through the real product: tRPC over HTTP, the upload route, board sockets, the sign-in endpoint.
 */
import sharp from 'sharp';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, signUp, startTestServer, trpcClient, trpcErrorCode, type TestServer, type TestUser } from '../testing/harness.js';
import { openBoard, signUpAs, verify } from '../testing/teams.js';
import { suspendAutomatically } from './account-standing.js';

const OPERATOR = `standing-operator-${Date.now()}@example.test`;
let server: TestServer;
let operator: TestUser;

const api = (u: TestUser) => trpcClient(server, u);
const failure = (p: Promise<unknown>) => p.then(() => ({ appCode: 'none' }) as ReturnType<typeof trpcErrorCode>, (e: unknown) => trpcErrorCode(e));
const png = () => sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 40, g: 90, b: 160 } } }).png().toBuffer();
const upload = async (u: TestUser, workspaceId: string) =>
  (await fetch(`${server.url}/uploads?workspaceId=${workspaceId}`, { method: 'POST', headers: { cookie: u.cookie, origin: server.config.baseUrl, 'content-type': 'image/png' }, body: await png() })).status;
const adminRow = async (u: TestUser) => (await api(operator).admin.users.query({ q: u.email }))[0]!;

beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'), {
    env: { ADMIN_EMAILS: OPERATOR, MODERATION_SLOW_AFTER: '2', MODERATION_SUSPEND_AFTER: '2', MODERATION_SUSPEND_HOURS: '6', MODERATION_REFUSAL_WINDOW_MINUTES: '60' },
  });
  operator = await signUpAs(server, OPERATOR, 'Opal Operator');
  await verify(server.deps.db, operator.id);
}, 90_000);
afterAll(() => server?.stop());

/** A person with a personal workspace and a board in it, suspended by moderation after two refused prompts. */
async function suspendedByModeration() {
  const user = await signUp(server, 'Rita Refused');
  const workspaceId = (await api(user).me.get.query())!.workspaces[0]!.id;
  const boardId = (await api(user).board.create.mutate({ workspaceId, name: 'Sketches' })).id;
  expect((await failure(api(user).generation.create.mutate({ workspaceId, prompt: 'pipe bomb' }))).appCode).toBe('PROMPT_REFUSED');
  const second = await failure(api(user).generation.create.mutate({ workspaceId, prompt: 'pipe bomb, again' }));
  expect(second.message).toContain('Your account is now suspended for 6 hours');
  return { user, workspaceId, boardId };
}

describe('one record of an account’s standing', () => {
  it('an automatic suspension refuses by every path an operator’s does, and operators see it in /admin/users', async () => {
    const { user, workspaceId, boardId } = await suspendedByModeration();
    const gensBefore = await server.deps.db.selectFrom('generation').select('id').where('user_id', '=', user.id).execute();

    const gen = await failure(api(user).generation.create.mutate({ workspaceId, prompt: 'a bowl of fruit' }));
    expect(gen).toMatchObject({ httpStatus: 403, appCode: 'ACCOUNT_SUSPENDED' });
    expect(gen.message).toMatch(/^Your account is suspended until .+ UTC\. Reason: Many of your prompts were refused in a short time \(2 prompts were refused within 60 minutes, the last one for .+\)\..*ask for a review on your account page/);
    expect(await server.deps.db.selectFrom('generation').select('id').where('user_id', '=', user.id).execute()).toEqual(gensBefore);
    expect(await upload(user, workspaceId)).toBe(403);
    expect(await failure(api(user).board.create.mutate({ workspaceId, name: 'Another' }))).toMatchObject({ appCode: 'ACCOUNT_SUSPENDED' });
    const board = await openBoard(server, user, boardId);
    expect(board.join).toMatchObject({ ok: true, readOnly: true, suspended: true });
    board.close();

    // Shown to the person, with the reason, the end and the way to appeal...
    expect((await api(user).me.get.query())!.standing).toBe('suspended');
    const mine = (await api(user).report.mine.query()).standing;
    expect(mine).toMatchObject({ status: 'suspended', source: 'moderation', reasonLabel: 'Many of your prompts were refused in a short time', detail: expect.stringContaining('2 prompts were refused'), until: expect.any(Date) });
    expect((await api(user).moderation.standing.query()).suspended).toMatchObject({ until: expect.any(Date), appealed: false });
    // ...and to operators, on the users page and the moderation page.
    const row = await adminRow(user);
    expect(row).toMatchObject({ standing: 'suspended', standingSource: 'moderation', standingReason: 'Many of your prompts were refused in a short time', standingUntil: expect.any(Date) });
    expect((await api(operator).moderation.admin.query()).suspensions.map((s) => s.userId)).toContain(user.id);
  });

  it('lifting it in one place lifts it everywhere, and answers the appeal', async () => {
    const { user, workspaceId, boardId } = await suspendedByModeration();
    const appeal = await api(user).report.appeal.mutate({ message: 'I was testing the filter, sorry about that.' });
    expect((await api(operator).admin.appeals.query()).find((a) => a.id === appeal.id)).toMatchObject({ about: { kind: 'account', standing: 'suspended' } });

    await api(operator).admin.reinstate.mutate({ userId: user.id, message: 'Fine, go ahead.' });

    const gen = await api(user).generation.create.mutate({ workspaceId, prompt: 'a bowl of fruit' });
    expect(gen.status).toBe('queued');
    expect(await upload(user, workspaceId)).toBeLessThan(300);
    expect((await api(user).board.create.mutate({ workspaceId, name: 'Allowed again' })).id).toBeTruthy();
    const board = await openBoard(server, user, boardId);
    expect(board.join).toMatchObject({ ok: true, readOnly: false });
    board.close();
    expect((await api(user).me.get.query())!.standing).toBe('good');
    expect((await api(user).moderation.standing.query()).suspended).toBeNull();
    expect((await adminRow(user)).standing).toBe('good');
    expect((await api(operator).moderation.admin.query()).suspensions.map((s) => s.userId)).not.toContain(user.id);
    expect((await server.deps.db.selectFrom('appeal').select('status').where('id', '=', appeal.id).executeTakeFirstOrThrow()).status).toBe('granted');
    // The count went with it: one more refused prompt does not suspend again at once.
    expect((await failure(api(user).generation.create.mutate({ workspaceId, prompt: 'pipe bomb' }))).message).not.toContain('suspended');
    expect((await api(user).me.get.query())!.standing).toBe('good');
  });

  it('an operator’s suspension is what the studio shows, and moderation never replaces an operator’s decision', async () => {
    const user = await signUp(server, 'Sam Suspended');
    const workspaceId = (await api(user).me.get.query())!.workspaces[0]!.id;
    await api(operator).admin.setStanding.mutate({ userId: user.id, standing: 'suspended', reason: 'spam' });
    expect((await api(user).moderation.standing.query()).suspended).toEqual({ reason: 'Spam or scam.', until: null, appealed: false });
    expect(await failure(api(user).generation.create.mutate({ workspaceId, prompt: 'a bowl of fruit' }))).toMatchObject({ appCode: 'ACCOUNT_SUSPENDED', message: expect.stringContaining('until moderators lift it') });
    const written = await server.deps.db.transaction().execute((trx) => suspendAutomatically(trx, user.id, { note: '9 prompts were refused.', until: new Date(Date.now() + 3600_000) }));
    expect(written).toBe(false);
    expect(await server.deps.db.selectFrom('account_standing').select(['source', 'reason', 'until']).where('user_id', '=', user.id).execute()).toEqual([{ source: 'operator', reason: 'spam', until: null }]);
  });

  it('a suspension that ran out is good standing everywhere at once', async () => {
    const { user, workspaceId } = await suspendedByModeration();
    // Six hours later: the suspension and the refusals that led to it are in the past.
    await server.deps.db.updateTable('account_standing').set({ until: sql<Date>`now() - interval '1 second'` }).where('user_id', '=', user.id).execute();
    await server.deps.db.updateTable('moderation_refusal').set({ created_at: sql<Date>`created_at - interval '6 hours'` }).where('user_id', '=', user.id).execute();
    const gen = await api(user).generation.create.mutate({ workspaceId, prompt: 'a bowl of fruit' });
    expect(gen.status).toBe('queued');
    expect(await upload(user, workspaceId)).toBeLessThan(300);
    expect((await api(user).me.get.query())!.standing).toBe('good');
    expect((await adminRow(user)).standing).toBe('good');
    // An operator's ban afterwards replaces the old row; sign-in is refused by the same record.
    await api(operator).admin.setStanding.mutate({ userId: user.id, standing: 'banned', reason: 'illegal' });
    const signIn = await fetch(`${server.url}/api/auth/sign-in/email`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.config.baseUrl }, body: JSON.stringify({ email: user.email, password: 'correct horse battery' }) });
    expect(signIn.status).toBe(403);
    expect(await signIn.json()).toMatchObject({ code: 'ACCOUNT_BANNED' });
    await eventually(async () => (await api(user).me.get.query()) === null);
  });
});
