/**
 * Reports and takedown, through the real tRPC API, file routes, sockets and mail (issue 15):
 * members report, operators hide / restore / suspend / ban / reinstate, and everything they do is
 * audited and told to the person it is about.
 */
import { sql } from 'kysely';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { appendBoardUpdates, editBoardFromServer, loadBoardDoc } from '../boards/store.js';
import { putItem, readItems } from '../shared/board.js';
import { connectSocket, eventually, signUp, startTestServer, trpcClient, trpcErrorCode, type TestServer, type TestUser } from '../testing/harness.js';
import { startTestSmtp, type TestSmtp } from '../testing/smtp.js';
import { addMember, openBoard, signUpAs, verify } from '../testing/teams.js';
import { collectUserData, eraseUser, pseudonym } from './privacy.js';

const OPERATOR_EMAIL = `operator-${Date.now()}@example.test`;
const SECOND_OPERATOR_EMAIL = `operator2-${Date.now()}@example.test`;

let smtp: TestSmtp;
let server: TestServer;
let owner: TestUser;
let member: TestUser;
let outsider: TestUser;
let operator: TestUser;
let workspaceId: string;
let boardId: string;

const api = (u: TestUser) => trpcClient(server, u);
const refusal = (p: Promise<unknown>) => p.then(() => ({ appCode: 'none' }) as ReturnType<typeof trpcErrorCode>, (e: unknown) => trpcErrorCode(e));
const file = (u: TestUser, id: string, path = `/files/${id}`) => fetch(`${server.url}${path}`, { headers: { cookie: u.cookie } });
const auditOf = (action: string) => server.deps.db.selectFrom('audit_log').select(['user_id', 'detail']).where('action', '=', action).orderBy('created_at', 'desc').execute();

/** A new image of the owner's, on the team board. */
async function newImage(prompt = 'a red kite over a hill'): Promise<string> {
  const gen = await api(owner).generation.create.mutate({ workspaceId, boardId, prompt });
  await eventually(async () => (await api(owner).generation.get.query({ id: gen.id })).status === 'succeeded', 30_000);
  const id = (await api(owner).generation.get.query({ id: gen.id })).assets[0]!.id;
  // The board shows it once the generation's result landed there.
  await eventually(async () => {
    const doc = await loadBoardDoc(server.deps.db, boardId);
    const found = readItems(doc).some((i) => i.assetId === id);
    doc.destroy();
    return found;
  }, 30_000);
  return id;
}

beforeAll(async () => {
  smtp = await startTestSmtp();
  server = await startTestServer(inject('pgAdminUrl'), { env: { SMTP_URL: smtp.url, ADMIN_EMAILS: `${OPERATOR_EMAIL},${SECOND_OPERATOR_EMAIL}`, APPEALS_EMAIL: 'appeals@example.test' } });
  owner = await signUp(server, 'Olga Owner');
  member = await signUp(server, 'Mo Member');
  outsider = await signUp(server, 'Otto Outsider');
  operator = await signUpAs(server, OPERATOR_EMAIL, 'Opal Operator');
  await verify(server.deps.db, operator.id);
  workspaceId = (await api(owner).workspace.create.mutate({ name: 'Kites' })).id;
  await addMember(server.deps.db, workspaceId, member.id, 'editor');
  boardId = (await api(owner).board.create.mutate({ workspaceId, name: 'Kite board' })).id;
}, 90_000);
afterAll(async () => {
  await server?.stop();
  await smtp?.close();
});

describe('reporting', () => {
  it('a member reports an asset: stored for the queue, audited, and a second report of the same thing files nothing new', async () => {
    const assetId = await newImage();
    const receipt = await api(member).report.asset.mutate({ assetId, reason: 'violence', note: 'Graphic.' });
    expect(receipt).toMatchObject({ duplicate: false });
    expect(receipt.message).toMatch(/Thanks for telling us/);
    const row = await server.deps.db.selectFrom('report').selectAll().where('id', '=', receipt.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ reporter_id: member.id, asset_id: assetId, subject_user_id: owner.id, workspace_id: workspaceId, reason: 'violence', note: 'Graphic.', status: 'open', via: 'member' });
    expect((await auditOf('report.created')).find((a) => (a.detail as { reportId?: string }).reportId === receipt.id)?.user_id).toBe(member.id);

    const again = await api(member).report.asset.mutate({ assetId, reason: 'violence' });
    expect(again).toMatchObject({ id: receipt.id, duplicate: true });
    expect(Number((await server.deps.db.selectFrom('report').select((eb) => eb.fn.countAll().as('n')).where('asset_id', '=', assetId).executeTakeFirstOrThrow()).n)).toBe(1);
  });

  it('refuses an outsider as NOT_FOUND (as for an asset that does not exist) and a bad reason as INVALID_INPUT, storing nothing', async () => {
    const assetId = await newImage('a blue kite');
    const before = await server.deps.db.selectFrom('report').select('id').execute();
    expect(await refusal(api(outsider).report.asset.mutate({ assetId, reason: 'spam' }))).toMatchObject({ appCode: 'NOT_FOUND', httpStatus: 404 });
    expect(await refusal(api(outsider).report.asset.mutate({ assetId: crypto.randomUUID(), reason: 'spam' }))).toMatchObject({ appCode: 'NOT_FOUND' });
    expect(await refusal(api(member).report.asset.mutate({ assetId, reason: 'boring' as never }))).toMatchObject({ appCode: 'INVALID_INPUT' });
    expect(await refusal(api(member).report.asset.mutate({ assetId, reason: 'spam', note: 'x'.repeat(1001) }))).toMatchObject({ appCode: 'INVALID_INPUT' });
    expect(await server.deps.db.selectFrom('report').select('id').execute()).toEqual(before);
  });

  it('a member reports a note on a board: its text as it was is kept with the report, with its author', async () => {
    await editBoardFromServer(server.deps.db, boardId, (doc) => void putItem(doc, { id: 'note-rude', type: 'note', x: 0, y: 0, w: 200, h: 150, z: 1, text: 'Something hateful', createdBy: owner.id }));
    const receipt = await api(member).report.boardItem.mutate({ boardId, itemId: 'note-rude', reason: 'hate' });
    const row = await server.deps.db.selectFrom('report').selectAll().where('id', '=', receipt.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ board_id: boardId, item_id: 'note-rude', excerpt: 'Something hateful', subject_user_id: owner.id, asset_id: null });
    expect(await refusal(api(member).report.boardItem.mutate({ boardId, itemId: 'no-such-item', reason: 'hate' }))).toMatchObject({ appCode: 'NOT_FOUND' });
    expect(await refusal(api(outsider).report.boardItem.mutate({ boardId, itemId: 'note-rude', reason: 'hate' }))).toMatchObject({ appCode: 'NOT_FOUND' });
  });
});

describe('operators only', () => {
  it('refuses every console read and action to a member who is not an operator, as NOT_FOUND, changing nothing', async () => {
    const assetId = await newImage('a green kite');
    const { id: reportId } = await api(member).report.asset.mutate({ assetId, reason: 'spam' });
    const m = api(member);
    const calls = [
      () => m.admin.overview.query(),
      () => m.admin.reports.query({}),
      () => m.admin.users.query({}),
      () => m.admin.jobs.query({}),
      () => m.admin.appeals.query(),
      () => m.admin.hideAsset.mutate({ assetId, reason: 'spam' }),
      () => m.admin.dismissReport.mutate({ reportId }),
      () => m.admin.setStanding.mutate({ userId: owner.id, standing: 'banned', reason: 'spam' }),
      () => m.admin.reinstate.mutate({ userId: owner.id }),
    ];
    for (const call of calls) expect(await refusal(call())).toMatchObject({ appCode: 'NOT_FOUND', httpStatus: 404 });
    expect(await m.admin.isOperator.query()).toBe(false);
    expect((await server.deps.db.selectFrom('asset').select('hidden_at').where('id', '=', assetId).executeTakeFirstOrThrow()).hidden_at).toBeNull();
    expect((await server.deps.db.selectFrom('report').select('status').where('id', '=', reportId).executeTakeFirstOrThrow()).status).toBe('open');
    expect(await server.deps.db.selectFrom('account_standing').selectAll().execute()).toEqual([]);
    // The review file route is NOT_FOUND to them too.
    expect((await file(member, assetId, `/files/review/${assetId}`)).status).toBe(404);
  });

  it('an operator sees the queue, and viewing it is audited', async () => {
    expect(await api(operator).admin.isOperator.query()).toBe(true);
    const reports = await api(operator).admin.reports.query({});
    expect(reports.length).toBeGreaterThan(0);
    expect(reports[0]).toMatchObject({ status: 'open', reporterEmail: member.email });
    await api(operator).privacy.adminRequests.query();
    const views = await auditOf('admin.viewed');
    for (const page of ['reports', 'privacy-requests']) expect(views.some((v) => v.user_id === operator.id && (v.detail as { page: string }).page === page)).toBe(true);
    // A refused look is not recorded as one.
    await refusal(api(member).admin.users.query({}));
    expect((await auditOf('admin.viewed')).filter((v) => v.user_id === member.id)).toEqual([]);
  });
});

describe('hide and restore', () => {
  it('hiding takes the asset out of the library, the studio, /files and tRPC and off the boards, closes its reports, audits, and tells the owner', async () => {
    const assetId = await newImage('a kite with a face on it');
    const { id: reportId } = await api(member).report.asset.mutate({ assetId, reason: 'privacy' });
    expect((await file(owner, assetId)).status).toBe(200);

    await api(operator).admin.hideAsset.mutate({ assetId, reason: 'privacy', message: 'This shows a real person.' });

    const library = await api(owner).asset.list.query({ workspaceId });
    expect(library.items.map((a) => a.id)).not.toContain(assetId);
    const hidden = await refusal(api(owner).asset.get.query({ id: assetId }));
    expect(hidden).toMatchObject({ appCode: 'ASSET_HIDDEN', httpStatus: 403 });
    expect(hidden.message).toBe("Hidden by moderators: Shows a real person without consent, or private information. If you think this is a mistake, ask for a review on the item's page.");
    // A non-member learns nothing new: NOT_FOUND as before.
    expect(await refusal(api(outsider).asset.get.query({ id: assetId }))).toMatchObject({ appCode: 'NOT_FOUND' });
    const res = await file(member, assetId);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ASSET_HIDDEN');
    expect((await file(member, assetId, `/files/${assetId}?thumb=1`)).status).toBe(403);
    expect((await file(outsider, assetId)).status).toBe(404);
    // The studio's job list leaves it out too; it is no longer a reference.
    const gens = await api(owner).generation.list.query({ workspaceId });
    expect(gens.items.flatMap((g) => g.assets.map((a) => a.id))).not.toContain(assetId);
    expect(await refusal(api(owner).generation.create.mutate({ workspaceId, prompt: 'again', referenceAssetIds: [assetId] }))).toMatchObject({ appCode: 'NOT_FOUND' });
    // The operator can still look at it to decide.
    expect((await file(operator, assetId, `/files/review/${assetId}`)).status).toBe(200);
    // Boards show it as hidden.
    const doc = await loadBoardDoc(server.deps.db, boardId);
    expect(readItems(doc).find((i) => i.assetId === assetId)?.status).toBe('hidden');
    doc.destroy();

    expect((await server.deps.db.selectFrom('report').select(['status', 'resolved_by']).where('id', '=', reportId).executeTakeFirstOrThrow())).toEqual({ status: 'actioned', resolved_by: operator.id });
    const a = (await auditOf('asset.hidden')).find((x) => (x.detail as { assetId: string }).assetId === assetId)!;
    expect(a).toMatchObject({ user_id: owner.id, detail: { operator: operator.id, reason: 'privacy', message: 'This shows a real person.' } });
    const note = (await api(owner).notification.list.query({})).items.find((n) => n.kind === 'moderation' && n.link === `/library/${assetId}`);
    expect(note?.title).toBe('Moderators hid one of your images');
    expect(note?.body).toContain('Reason: Shows a real person without consent, or private information.');
    expect(note?.body).toContain('A note from the moderators: This shows a real person.');
    const mail = await smtp.waitFor(owner.email, /Moderators hid one of your images/);
    expect(mail.text).toContain('ask for a review');
    expect(mail.text).toContain(`/library/${assetId}`);
    // The reporter is not named to the owner.
    expect(JSON.stringify(note) + mail.text).not.toContain(member.email);
    // The owner's data export still holds it (hiding is not taking it away from them), marked hidden.
    const exported = await collectUserData(server.deps, owner.id);
    expect(exported.assets.find((x) => x.id === assetId)).toMatchObject({ hidden_reason: 'privacy' });
    expect(exported.assets.find((x) => x.id === assetId)?.hidden_at).toBeTruthy();
    expect((await collectUserData(server.deps, member.id)).moderation.reportsFiled.some((r) => r.asset_id === assetId)).toBe(true);
  });

  it('restoring undoes it everywhere and tells the owner', async () => {
    const assetId = await newImage('a yellow kite');
    await api(operator).admin.hideAsset.mutate({ assetId, reason: 'spam' });
    expect(await refusal(api(operator).admin.hideAsset.mutate({ assetId, reason: 'spam' }))).toMatchObject({ appCode: 'CONFLICT' });
    await api(operator).admin.restoreAsset.mutate({ assetId });
    expect((await api(owner).asset.list.query({ workspaceId })).items.map((a) => a.id)).toContain(assetId);
    expect((await api(owner).asset.get.query({ id: assetId })).id).toBe(assetId);
    expect((await file(member, assetId)).status).toBe(200);
    const doc = await loadBoardDoc(server.deps.db, boardId);
    expect(readItems(doc).find((i) => i.assetId === assetId)?.status).toBe('succeeded');
    doc.destroy();
    expect((await auditOf('asset.restored')).some((x) => (x.detail as { assetId: string }).assetId === assetId)).toBe(true);
    await smtp.waitFor(owner.email, /Moderators restored one of your images/);
  });

  it('the owner appeals a hidden asset; granting the appeal restores it', async () => {
    const assetId = await newImage('an orange kite');
    await api(operator).admin.hideAsset.mutate({ assetId, reason: 'copyright' });
    // Only its maker may ask; to anyone else the asset is NOT_FOUND here.
    expect(await refusal(api(member).report.appeal.mutate({ assetId, message: 'This is my own drawing, please look again.' }))).toMatchObject({ appCode: 'NOT_FOUND' });
    const appeal = await api(owner).report.appeal.mutate({ assetId, message: 'This is my own drawing, please look again.' });
    expect((await api(owner).report.appeal.mutate({ assetId, message: 'Asking twice by accident, sorry.' })).id).toBe(appeal.id);
    const open = await api(operator).admin.appeals.query();
    expect(open.find((a) => a.id === appeal.id)).toMatchObject({ email: owner.email, about: { kind: 'asset', assetId } });
    await api(operator).admin.answerAppeal.mutate({ appealId: appeal.id, grant: true, message: 'You are right.' });
    expect((await api(owner).asset.get.query({ id: assetId })).id).toBe(assetId);
    expect((await server.deps.db.selectFrom('appeal').select('status').where('id', '=', appeal.id).executeTakeFirstOrThrow()).status).toBe('granted');
  });
});

describe('suspension and ban', () => {
  it('a suspended member cannot generate, upload or change boards (saying why and how to appeal); reinstating lifts it', async () => {
    const gensBefore = await server.deps.db.selectFrom('generation').select('id').where('user_id', '=', member.id).execute();
    const board = await openBoard(server, member, boardId);
    expect(board.join).toMatchObject({ ok: true, readOnly: false });
    await api(operator).admin.setStanding.mutate({ userId: member.id, standing: 'suspended', reason: 'spam', message: 'Too many ads.' });

    const refused = await refusal(api(member).generation.create.mutate({ workspaceId, prompt: 'a kite' }));
    expect(refused).toMatchObject({ appCode: 'ACCOUNT_SUSPENDED', httpStatus: 403 });
    expect(refused.message).toMatch(/suspended.*ask for a review on your account page/);
    expect(await server.deps.db.selectFrom('generation').select('id').where('user_id', '=', member.id).execute()).toEqual(gensBefore);
    expect(await refusal(api(member).board.create.mutate({ workspaceId, name: 'New' }))).toMatchObject({ appCode: 'ACCOUNT_SUSPENDED' });
    const upload = await fetch(`${server.url}/uploads?workspaceId=${workspaceId}`, { method: 'POST', headers: { cookie: member.cookie, origin: server.config.baseUrl, 'content-type': 'image/png' }, body: Buffer.from('x') });
    expect(upload.status).toBe(403);
    // The open board turns read-only at once, and says why.
    await eventually(async () => (board.socket as unknown as { history: { event: string; args: unknown[] }[] }).history.some((h) => h.event === 'board:role' && (h.args[0] as { suspended?: boolean }).suspended === true));
    // The append statement itself refuses their writes (even one that reached it).
    const doc = new Y.Doc();
    putItem(doc, { id: 'sneaky', type: 'note', x: 0, y: 0, w: 10, h: 10, z: 1, text: 'still here' });
    const stored = await appendBoardUpdates(server.deps.db, boardId, [{ update: Y.encodeStateAsUpdate(doc), userId: member.id }], 'test');
    expect(stored.seq).toBe(0);
    // A fresh join is read-only too.
    const again = await openBoard(server, member, boardId);
    expect(again.join).toMatchObject({ ok: true, readOnly: true, suspended: true });
    again.close();
    board.close();
    // They can still look.
    expect((await api(member).asset.list.query({ workspaceId })).items.length).toBeGreaterThan(0);
    expect((await api(member).report.mine.query()).standing).toMatchObject({ status: 'suspended', reason: 'spam' });
    expect((await auditOf('account.suspended')).find((a) => a.user_id === member.id)?.detail).toMatchObject({ operator: operator.id, reason: 'spam' });
    await smtp.waitFor(member.email, /account is suspended/);
    // They ask for a review; reinstating answers it.
    const appeal = await api(member).report.appeal.mutate({ message: 'Those were not ads, they were my portfolio.' });

    await api(operator).admin.reinstate.mutate({ userId: member.id });
    const gen = await api(member).generation.create.mutate({ workspaceId, prompt: 'a kite, allowed again' });
    expect(gen.status).toBe('queued');
    expect((await server.deps.db.selectFrom('appeal').select('status').where('id', '=', appeal.id).executeTakeFirstOrThrow()).status).toBe('granted');
    await smtp.waitFor(member.email, /good standing again/);
  });

  it('a ban ends every session and socket at once, and the person cannot sign in again (told where to appeal)', async () => {
    const victim = await signUpAs(server, `banned-${Date.now()}@example.test`, 'Bea Banned');
    const socket = await connectSocket(server, victim);
    const gone = new Promise<string>((resolve) => socket.on('disconnect', (reason) => resolve(reason)));
    expect((await server.deps.db.selectFrom('session').select('id').where('userId', '=', victim.id).execute()).length).toBeGreaterThan(0);

    const result = await api(operator).admin.setStanding.mutate({ userId: victim.id, standing: 'banned', reason: 'illegal' });
    expect(result.sessionsEnded).toBeGreaterThan(0);
    expect(await Promise.race([gone, new Promise((r) => setTimeout(() => r('still connected'), 5000))])).toBe('io server disconnect');
    expect(await server.deps.db.selectFrom('session').select('id').where('userId', '=', victim.id).execute()).toEqual([]);
    expect(await api(victim).me.get.query()).toBeNull();

    const signIn = await fetch(`${server.url}/api/auth/sign-in/email`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.config.baseUrl }, body: JSON.stringify({ email: victim.email, password: 'correct horse battery' }) });
    expect(signIn.status).toBe(403);
    expect(await signIn.json()).toMatchObject({ code: 'ACCOUNT_BANNED', message: 'This account has been banned and cannot sign in. To appeal, write to appeals@example.test.' });
    // Whatever path makes a session, the database refuses it for a banned account.
    await expect(sql`insert into session (id, "expiresAt", token, "createdAt", "updatedAt", "userId") values ('s-x', now() + interval '1 day', 't-x', now(), now(), ${victim.id})`.execute(server.deps.db)).rejects.toThrow(/banned/);

    expect((await auditOf('account.banned')).find((a) => a.user_id === victim.id)?.detail).toMatchObject({ operator: operator.id, reason: 'illegal' });
    const mail = await smtp.waitFor(victim.email, /has been banned/);
    expect(mail.text).toContain('appeals@example.test');
  });

  it('an operator cannot suspend themself or another operator', async () => {
    expect(await refusal(api(operator).admin.setStanding.mutate({ userId: operator.id, standing: 'suspended', reason: 'other' }))).toMatchObject({ appCode: 'CONFLICT' });
    expect(await server.deps.db.selectFrom('account_standing').select('user_id').where('user_id', '=', operator.id).execute()).toEqual([]);
  });
});

describe('the console', () => {
  it('lists users with their usage, jobs by provider with failure reasons, queue depth and provider health', async () => {
    const users = await api(operator).admin.users.query({ q: owner.email });
    expect(users).toHaveLength(1);
    expect(users[0]!.usage.generations).toBeGreaterThan(0);
    expect(users[0]!.usage.creditsSpent).toBeGreaterThan(0);
    expect(users[0]!.usage.storageBytes).toBeGreaterThan(0);
    const jobs = await api(operator).admin.jobs.query({});
    expect(jobs.byProvider.find((p) => p.provider === 'local')?.succeeded).toBeGreaterThan(0);
    const overview = await api(operator).admin.overview.query();
    expect(overview.providers.find((p) => p.provider === 'local')).toMatchObject({ configured: true, state: 'ok', circuit: { state: 'closed', consecutiveFailures: 0 } });
    expect(overview.queues.every((q) => q.waiting >= 0)).toBe(true);
  });

  it('cancels a queued job and runs a cancelled one again for its author, audited', async () => {
    // A job still waiting for a worker (written as the service would, without a worker to pick it up).
    const gen = await server.deps.db
      .insertInto('generation')
      .values({ workspace_id: workspaceId, user_id: owner.id, kind: 'image', mode: 'text', prompt: 'a waiting kite', params: JSON.stringify({ model: 'offline-preview', aspectRatio: '1:1', width: 512, height: 512, seed: 7, count: 1 }), provider: 'local' })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(await refusal(api(owner).admin.cancelJob.mutate({ generationId: gen.id }))).toMatchObject({ appCode: 'NOT_FOUND' });
    await api(operator).admin.cancelJob.mutate({ generationId: gen.id });
    expect((await api(owner).generation.get.query({ id: gen.id })).status).toBe('canceled');
    expect(await refusal(api(operator).admin.cancelJob.mutate({ generationId: gen.id }))).toMatchObject({ appCode: 'CONFLICT' });
    const retried = await api(operator).admin.retryJob.mutate({ generationId: gen.id });
    const again = await server.deps.db.selectFrom('generation').select(['user_id', 'rerun_of', 'prompt']).where('id', '=', retried.generationId).executeTakeFirstOrThrow();
    expect(again).toEqual({ user_id: owner.id, rerun_of: gen.id, prompt: 'a waiting kite' });
    expect((await auditOf('admin.job-canceled')).some((a) => a.user_id === operator.id && (a.detail as { generationId: string }).generationId === gen.id)).toBe(true);
    expect((await auditOf('admin.job-retried')).some((a) => a.user_id === operator.id && (a.detail as { generationId: string }).generationId === gen.id)).toBe(true);
  });
});

describe('account deletion', () => {
  it("erases a deleted reporter's note from their reports and a deleted operator's id from the audit log", async () => {
    const assetId = await newImage('a kite nobody likes');
    const reporter = await signUp(server, 'Rita Reporter');
    await addMember(server.deps.db, workspaceId, reporter.id, 'viewer');
    const { id: reportId } = await api(reporter).report.asset.mutate({ assetId, reason: 'spam', note: 'My neighbour Rita says this is spam.' });
    const second = await signUpAs(server, SECOND_OPERATOR_EMAIL, 'Otis Operator');
    await verify(server.deps.db, second.id);
    await api(second).admin.hideAsset.mutate({ assetId, reason: 'spam' });

    await eraseUser(server.deps, reporter.id);
    await eraseUser(server.deps, second.id);

    expect(await server.deps.db.selectFrom('report').select(['reporter_id', 'note', 'reason', 'status']).where('id', '=', reportId).executeTakeFirstOrThrow()).toEqual({ reporter_id: null, note: null, reason: 'spam', status: 'actioned' });
    const hidden = (await auditOf('asset.hidden')).find((a) => (a.detail as { assetId: string }).assetId === assetId)!;
    expect(hidden.detail).toMatchObject({ operator: pseudonym(second.id) });
    const everything = await sql<{ t: string }>`select string_agg(detail::text || coalesce(user_id, ''), ' ') as t from audit_log`.execute(server.deps.db);
    expect(everything.rows[0]!.t).not.toContain(second.id);
    expect(everything.rows[0]!.t).not.toContain(reporter.id);
  });
});
