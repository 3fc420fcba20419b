import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { sql } from 'kysely';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectSocket, eventually, signUp, startTestServer, trpcClient, trpcErrorCode, waitForEvent, type TestServer, type TestUser } from '../testing/harness.js';
import { pseudonym, requestDeletion, runDeletion } from './privacy.js';
import { purgeExpiredExports, purgeFinishedDeletionRequests } from './retention.js';

let server: TestServer;
beforeAll(async () => {
  // Exports give up after one quick retry here, so a failing export reaches its dead letter in seconds.
  server = await startTestServer(inject('pgAdminUrl'), { start: { queueOptions: { export: { retryLimit: 1, retryDelay: 1, retryBackoff: false } } } });
});
afterAll(async () => {
  await server?.stop();
});

/** The entries of a ZIP, read with yauzl; each entry's stored CRC-32 must match its contents (yauzl does not check it). */
async function unzip(buf: Buffer): Promise<Map<string, Buffer>> {
  const yauzl = await import('yauzl');
  return new Promise((resolve, reject) =>
    yauzl.fromBuffer(buf, { lazyEntries: true, validateEntrySizes: true }, (err, z) => {
      if (err || !z) return reject(err);
      const out = new Map<string, Buffer>();
      z.on('entry', (e: { fileName: string; crc32: number }) =>
        z.openReadStream(e as never, (e2, s) => {
          if (e2 || !s) return reject(e2);
          const chunks: Buffer[] = [];
          s.on('data', (c: Buffer) => chunks.push(c));
          s.on('end', () => {
            const data = Buffer.concat(chunks);
            if (zlib.crc32(data) !== e.crc32) return reject(new Error(`CRC-32 of ${e.fileName} does not match its contents`));
            out.set(e.fileName, data);
            z.readEntry();
          });
        }),
      );
      z.on('end', () => resolve(out));
      z.readEntry();
    }),
  );
}

async function userWithData(name: string): Promise<{ user: TestUser; api: ReturnType<typeof trpcClient>; assetId: string }> {
  const user = await signUp(server, name);
  const api = trpcClient(server, user);
  const socket = await connectSocket(server, user);
  const gen = await api.generation.create.mutate({ prompt: `${name}'s secret lighthouse`, seed: 11 });
  const done = await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded');
  socket.close();
  return { user, api, assetId: done.assetIds![0]! };
}

describe('data export', () => {
  it('builds a ZIP with every kind of the user’s data and files, none of anyone else’s, for the owner only', async () => {
    const alice = await userWithData('Alice');
    const bob = await userWithData('Bob');
    const socket = await connectSocket(server, alice.user);
    const { id } = await alice.api.privacy.requestExport.mutate();
    expect(trpcErrorCode(await alice.api.privacy.requestExport.mutate().catch((e: unknown) => e))).toMatchObject({ httpStatus: 409 });
    const ready = await waitForEvent(socket, 'export:ready', (e) => e.id === id, 20_000);
    const res = await fetch(`${server.url}${ready.url}`, { headers: { cookie: alice.user.cookie } });
    expect(res.status).toBe(200);
    const files = await unzip(Buffer.from(await res.arrayBuffer()));
    const data = JSON.parse(files.get('data.json')!.toString()) as Record<string, unknown> & { account: { email: string }; generations: { prompt: string }[]; assets: { id: string; file: string }[]; authProviders: { provider: string }[] };
    expect(data.account.email).toBe(alice.user.email);
    expect(data.generations.map((g) => g.prompt)).toEqual(["Alice's secret lighthouse"]);
    expect(data.authProviders.map((p) => p.provider)).toEqual(['credential']);
    for (const key of ['sessions', 'workspaces', 'credits', 'billing', 'auditLog', 'notifications', 'consentRecords', 'usageLog']) expect(data).toHaveProperty(key);
    expect((data as unknown as { notifications: { kind: string }[] }).notifications.length).toBeGreaterThan(0); // the job-finished notification
    expect(data.assets.map((a) => a.id)).toEqual([alice.assetId]);
    const png = files.get(data.assets[0]!.file)!;
    expect((await sharp(png).metadata()).format).toBe('png');
    const all = [...files.values()].map((b) => b.toString('latin1')).join('\n');
    expect(all).not.toContain(bob.user.email);
    expect(all).not.toContain("Bob's secret lighthouse");
    // Someone else, or nobody, cannot download it; a made-up id is just not found.
    expect((await fetch(`${server.url}${ready.url}`, { headers: { cookie: bob.user.cookie } })).status).toBe(404);
    expect((await fetch(`${server.url}${ready.url}`)).status).toBe(401);
    expect((await fetch(`${server.url}/exports/00000000-0000-4000-8000-000000000000/download`, { headers: { cookie: alice.user.cookie } })).status).toBe(404);
    // After it expires the link stops working, and retention removes the file.
    await sql`update data_export set expires_at = now() - interval '1 minute' where id = ${id}`.execute(server.deps.db);
    expect((await fetch(`${server.url}${ready.url}`, { headers: { cookie: alice.user.cookie } })).status).toBe(404);
    const key = `exports/${alice.user.id}/${id}.zip`;
    expect(await server.deps.storage.stat(key)).not.toBeNull();
    expect((await purgeExpiredExports(server.deps)).removed).toBeGreaterThanOrEqual(1);
    expect(await server.deps.storage.stat(key)).toBeNull();
    socket.close();
  });
});

describe('a failed export', () => {
  it('is marked failed once its retries are used up, the person is told, and a new export is accepted and succeeds', async () => {
    const { user, api } = await userWithData('Erin');
    const socket = await connectSocket(server, user);
    // A poison file where the export's folder must go: every attempt to write the ZIP fails.
    const poison = path.join(server.config.storageDir, 'exports', user.id);
    fs.mkdirSync(path.dirname(poison), { recursive: true });
    fs.writeFileSync(poison, 'not a folder');
    const { id } = await api.privacy.requestExport.mutate();
    const row = await eventually(async () => {
      const r = await server.deps.db.selectFrom('data_export').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return r.status === 'failed' ? r : null;
    }, 30_000, 200);
    expect(row.storage_key).toBeNull();
    // Told in the page and in the notification centre.
    const told = await waitForEvent(socket, 'notification:new', (n) => n.kind === 'export_failed');
    expect(told).toMatchObject({ title: 'Your data export failed', link: '/settings/privacy' });
    expect((await api.notification.list.query({})).items.map((n) => n.kind)).toContain('export_failed');
    expect((await api.privacy.exports.query()).find((x) => x.id === id)).toMatchObject({ status: 'failed', url: null });
    // Once the cause is gone, asking again is accepted and the new export is ready.
    fs.rmSync(poison);
    const again = await api.privacy.requestExport.mutate();
    expect(again.id).not.toBe(id);
    const ready = await waitForEvent(socket, 'export:ready', (e) => e.id === again.id, 20_000);
    expect((await fetch(`${server.url}${ready.url}`, { headers: { cookie: user.cookie } })).status).toBe(200);
    expect((await api.privacy.exports.query()).map((x) => [x.id, x.status])).toEqual([
      [again.id, 'ready'],
      [id, 'failed'],
    ]);
    socket.close();
  }, 60_000);
});

describe('a failed deletion', () => {
  it('is marked failed by its dead letter, kept for an operator (not purged), and the person is told by email', async () => {
    const { user, api } = await userWithData('Frank');
    const req = await api.privacy.requestDeletion.mutate({ password: 'correct horse battery' });
    // What pg-boss does once the deletion job used up its retries: the job lands on the dead-letter queue.
    await server.boss.send('deletion.dead', { requestId: req.id });
    const row = await eventually(async () => {
      const r = await server.deps.db.selectFrom('deletion_request').selectAll().where('id', '=', req.id).executeTakeFirstOrThrow();
      return r.status === 'failed' ? r : null;
    }, 20_000, 200);
    expect(row).toMatchObject({ user_id: user.id, finished_at: null });
    // The account is still there, and the record of the unfinished request survives retention.
    expect(await server.deps.db.selectFrom('user').select('id').where('id', '=', user.id).executeTakeFirst()).toBeDefined();
    await purgeFinishedDeletionRequests(server.deps, new Date(Date.now() + 400 * 86_400_000));
    expect(await server.deps.db.selectFrom('deletion_request').select('status').where('id', '=', req.id).executeTakeFirst()).toEqual({ status: 'failed' });
    const mail = await eventually(async () => (await server.deps.mailer.outbox(20)).find((m) => m.to === user.email && /not deleted yet/.test(m.subject)));
    expect(mail).toBeDefined();
    // Running the job now does nothing (the request is no longer pending).
    await runDeletion(server.deps, req.id, new Date(Date.now() + 400 * 86_400_000));
    expect(await server.deps.db.selectFrom('user').select('id').where('id', '=', user.id).executeTakeFirst()).toBeDefined();
  });
});

describe('account deletion', () => {
  it('needs the password, refuses a second request, and is cancelled by signing in during the grace period', async () => {
    const { user, api } = await userWithData('Carol');
    expect(trpcErrorCode(await api.privacy.requestDeletion.mutate({ password: 'wrong' }).catch((e: unknown) => e))).toMatchObject({ httpStatus: 403 });
    expect(await server.deps.db.selectFrom('deletion_request').select('id').where('user_id', '=', user.id).execute()).toEqual([]);
    const req = await api.privacy.requestDeletion.mutate({ password: 'correct horse battery' });
    expect(req.scheduledFor.getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    // Signed out everywhere.
    expect(await api.me.get.query()).toBeNull();
    // Signing in again cancels it.
    const signIn = await fetch(`${server.url}/api/auth/sign-in/email`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.config.baseUrl }, body: JSON.stringify({ email: user.email, password: 'correct horse battery' }) });
    expect(signIn.status).toBe(200);
    const row = await server.deps.db.selectFrom('deletion_request').select('status').where('id', '=', req.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('canceled');
    const cookie = signIn.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const again = trpcClient(server, { ...user, cookie });
    // The cancellation is not silent: the next page says when the deletion would have happened, once.
    const notice = await again.privacy.takeDeletionCancelNotice.mutate();
    expect(notice?.scheduledFor.toISOString()).toBe(req.scheduledFor.toISOString());
    expect(await again.privacy.takeDeletionCancelNotice.mutate()).toBeNull();
    // Another person is never told about it (the notice is the caller's own).
    const other = await signUp(server, 'Carla');
    expect(await trpcClient(server, other).privacy.takeDeletionCancelNotice.mutate()).toBeNull();
    // A second request while one is pending is refused.
    await again.privacy.requestDeletion.mutate({ password: 'correct horse battery' });
    await eventually(async () => (await fetch(`${server.url}/api/auth/sign-in/email`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.config.baseUrl }, body: JSON.stringify({ email: user.email, password: 'correct horse battery' }) })).ok);
  });

  it('after the grace period removes every row and file of the user, keeps billing and audit records pseudonymised, and runs safely twice', async () => {
    const { user, api, assetId } = await userWithData('Dave');
    const key = (await server.deps.db.selectFrom('asset').select('storage_key').where('id', '=', assetId).executeTakeFirstOrThrow()).storage_key;
    const req = await api.privacy.requestDeletion.mutate({ password: 'correct horse battery' });
    const later = new Date(Date.now() + 31 * 86_400_000);
    await runDeletion(server.deps, req.id, later);
    await runDeletion(server.deps, req.id, later); // a retried job
    expect(await server.deps.storage.stat(key)).toBeNull();
    // No table holds the user's id or email any more (except the pseudonym in kept records).
    const cols = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = 'public' and data_type in ('text', 'character varying', 'jsonb')`.execute(server.deps.db);
    for (const c of cols.rows) {
      const hits = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(c.table_name)} where ${sql.ref(c.column_name)}::text like ${'%' + user.id + '%'} or ${sql.ref(c.column_name)}::text like ${'%' + user.email + '%'}`.execute(server.deps.db);
      expect(hits.rows[0]!.n, `${c.table_name}.${c.column_name}`).toBe(0);
    }
    const kept = await server.deps.db.selectFrom('audit_log').select('action').where('user_id', '=', pseudonym(user.id)).execute();
    expect(kept.map((k) => k.action)).toEqual(expect.arrayContaining(['deletion.requested', 'deletion.completed']));
    const ledger = await server.deps.db.selectFrom('credit_ledger').select('user_id').where('user_id', '=', pseudonym(user.id)).execute();
    expect(ledger.length).toBeGreaterThan(0);
    // Too early does nothing.
    const { user: early, api: earlyApi } = await userWithData('Erin');
    const r2 = await earlyApi.privacy.requestDeletion.mutate({ password: 'correct horse battery' });
    await runDeletion(server.deps, r2.id, new Date());
    expect(await server.deps.db.selectFrom('user').select('id').where('id', '=', early.id).executeTakeFirst()).toBeDefined();
  });

  it('refuses a second deletion request while one is pending, changing nothing', async () => {
    const { requestDeletion } = await import('./privacy.js');
    const { user } = await userWithData('Hal');
    const first = await requestDeletion(server.deps, { userId: user.id });
    await expect(requestDeletion(server.deps, { userId: user.id })).rejects.toMatchObject({ code: 'CONFLICT', userMessage: 'Your account is already scheduled for deletion.' });
    const rows = await server.deps.db.selectFrom('deletion_request').select(['id', 'status']).where('user_id', '=', user.id).execute();
    expect(rows).toEqual([{ id: first.id, status: 'pending' }]);
  });

  it('hands a team workspace to another member instead of deleting it', async () => {
    const { user: owner, api } = await userWithData('Fran');
    const member = await signUp(server, 'Gus');
    const team = await server.deps.db.insertInto('workspace').values({ name: 'Team', kind: 'team' }).returning('id').executeTakeFirstOrThrow();
    await server.deps.db.insertInto('membership').values([{ workspace_id: team.id, user_id: owner.id, role: 'owner' }, { workspace_id: team.id, user_id: member.id, role: 'editor' }]).execute();
    const req = await api.privacy.requestDeletion.mutate({ password: 'correct horse battery' });
    await runDeletion(server.deps, req.id, new Date(Date.now() + 31 * 86_400_000));
    const left = await server.deps.db.selectFrom('membership').select(['user_id', 'role']).where('workspace_id', '=', team.id).execute();
    expect(left).toEqual([{ user_id: member.id, role: 'owner' }]);
  });
});

describe('account deletion of a rich user', () => {
  it('leaves nothing of them in any column (bytea board documents decoded) nor in any stored file; team notes stay, anonymous', async () => {
    const { randomBytes } = await import('node:crypto');
    const fs = await import('node:fs/promises');
    const path = await import('node:path');
    const Y = await import('yjs');
    const { putItem, setFields, readItems } = await import('../shared/board.js');
    const { createTeamWorkspace } = await import('./members.js');
    const { acceptInvitation, inviteMember } = await import('./invitations.js');
    const { notifyMentions } = await import('./notifications.js');
    const { openBoard, signUpAs, verify, waitSaved, waitForDoc } = await import('../testing/teams.js');
    const tag = randomBytes(4).toString('hex');
    const name = `Quillon${tag}`;
    const deps = server.deps;

    // The person: a generation in their personal workspace, 2FA, an export, a pending password reset.
    const user = await signUpAs(server, `rich-${tag}@example.test`, name);
    const api = trpcClient(server, user);
    const socket = await connectSocket(server, user);
    const gen = await api.generation.create.mutate({ prompt: `${name} private prompt ${tag}`, seed: 5 });
    await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded');
    const twoFa = await fetch(`${server.url}/api/auth/two-factor/enable`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.config.baseUrl, cookie: user.cookie }, body: JSON.stringify({ password: 'correct horse battery' }) });
    expect(twoFa.status).toBe(200);
    const { id: exportId } = await api.privacy.requestExport.mutate();
    await waitForEvent(socket, 'export:ready', (e) => e.id === exportId, 20_000);
    socket.close();
    const reset = await fetch(`${server.url}/api/auth/request-password-reset`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.config.baseUrl }, body: JSON.stringify({ email: user.email, redirectTo: '/reset-password' }) });
    expect(reset.status).toBe(200);

    // A team owned by someone else: they were invited (and accepted), wrote a note on its board (edited
    // once, so the old text is in the stored history), mentioned the owner; a second team invited them too.
    const owner = await signUpAs(server, `owner-${tag}@example.test`, `Owner${tag}`);
    await verify(deps.db, owner.id);
    const team = await createTeamWorkspace(deps, { userId: owner.id }, `Team ${tag}`);
    const inv = await inviteMember(deps, { userId: owner.id }, { workspaceId: team.id, email: user.email, role: 'editor' });
    await verify(deps.db, user.id);
    await acceptInvitation(deps, { userId: user.id }, { invitationId: inv.id });
    const other = await createTeamWorkspace(deps, { userId: owner.id }, `Other ${tag}`);
    await inviteMember(deps, { userId: owner.id }, { workspaceId: other.id, email: user.email, role: 'viewer' });
    const board = await trpcClient(server, owner).board.create.mutate({ workspaceId: team.id, name: 'Shared' });
    const ownerView = await openBoard(server, owner, board.id); // the board is open live in the server meanwhile
    const mine = await openBoard(server, user, board.id);
    mine.client.doc.transact(() => void putItem(mine.client.doc, { id: 'n1', type: 'note', x: 0, y: 0, w: 100, h: 100, z: 1, text: `draft ${tag} by ${name}`, createdBy: user.id }));
    await waitSaved(mine.client);
    mine.client.doc.transact(() => setFields(mine.client.doc, 'n1', { text: `team plan ${tag} @Owner${tag}` }));
    await waitSaved(mine.client);
    mine.close();
    // A named version of the team board holds the note with its author too (server/boards/versions.ts).
    await trpcClient(server, owner).board.createVersion.mutate({ boardId: board.id, name: 'Team plan' });
    await notifyMentions(deps, { userId: user.id }, board.id, 'n1');
    // Their personal board.
    const personalWs = (await deps.db.selectFrom('workspace').innerJoin('membership', 'membership.workspace_id', 'workspace.id').select('workspace.id').where('membership.user_id', '=', user.id).where('workspace.kind', '=', 'personal').executeTakeFirstOrThrow()).id;
    const personal = await api.board.create.mutate({ workspaceId: personalWs, name: 'Mine' });
    const p = await openBoard(server, user, personal.id);
    p.client.doc.transact(() => void putItem(p.client.doc, { id: 'p1', type: 'note', x: 0, y: 0, w: 100, h: 100, z: 1, text: `private note ${tag}`, createdBy: user.id }));
    await waitSaved(p.client);
    p.close();
    // Output files of attempts killed between storage and commit: no asset row points at them.
    const teamGen = await deps.db
      .insertInto('generation')
      .values({ workspace_id: team.id, user_id: user.id, kind: 'image', mode: 'text', prompt: `team prompt ${tag}`, params: JSON.stringify({ model: 'm', aspectRatio: '1:1', width: 8, height: 8, seed: 1 }), provider: 'local', status: 'failed' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const orphanTeam = `ws/${team.id}/out/${teamGen.id}-deadbeef-0.png`;
    const orphanPersonal = `ws/${personalWs}/out/${gen.id}-cafebabe-0.png`;
    await deps.storage.put(orphanTeam, Buffer.from(`orphan of ${user.id}`));
    await deps.storage.put(orphanPersonal, Buffer.from(`orphan of ${user.id}`));

    const req = await requestDeletion(deps, { userId: user.id });
    await runDeletion(deps, req.id, new Date(Date.now() + 31 * 86_400_000));

    const needles = [user.id, user.email, name, `draft ${tag}`, `private note ${tag}`, `private prompt ${tag}`, `team prompt ${tag}`];
    const found = (text: string) => needles.filter((n) => text.toLowerCase().includes(n.toLowerCase()));
    // Every text, jsonb and bytea column of every table; board documents decoded to JSON.
    const cols = await sql<{ table_name: string; column_name: string; data_type: string }>`
      select c.table_name, c.column_name, c.data_type from information_schema.columns c join information_schema.tables t on t.table_name = c.table_name and t.table_schema = c.table_schema
      where c.table_schema = 'public' and t.table_type = 'BASE TABLE' and c.data_type in ('text', 'character varying', 'jsonb', 'json', 'bytea', 'ARRAY')`.execute(deps.db);
    const hits: string[] = [];
    for (const c of cols.rows) {
      const rows = await sql<{ v: unknown }>`select ${sql.ref(c.column_name)} as v from ${sql.table(c.table_name)}`.execute(deps.db);
      for (const { v } of rows.rows) {
        if (v === null) continue;
        let text = v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : typeof v === 'string' ? v : JSON.stringify(v);
        if (v instanceof Uint8Array && c.table_name.startsWith('board_')) {
          const doc = new Y.Doc();
          Y.applyUpdate(doc, v);
          text += JSON.stringify(doc.toJSON());
          doc.destroy();
        }
        for (const n of found(text)) hits.push(`${c.table_name}.${c.column_name}: ${n}`);
      }
    }
    // Every stored file, by name and content.
    const root = path.join(server.dataDir, 'storage');
    for (const e of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      const full = path.join(e.parentPath, e.name);
      for (const n of found(`${path.relative(root, full)}\n${(await fs.readFile(full)).toString('latin1')}`)) hits.push(`file ${path.relative(root, full)}: ${n}`);
    }
    expect(hits).toEqual([]);
    // The named version of the team board stays, without its author (automatic ones holding them are gone).
    expect((await deps.db.selectFrom('board_version').select('name').where('board_id', '=', board.id).where('kind', '=', 'named').execute()).map((v) => v.name)).toEqual(['Team plan']);
    expect(await deps.storage.stat(orphanTeam)).toBeNull();
    expect(await deps.storage.stat(orphanPersonal)).toBeNull();
    // The team's note stays, without its author (docs/decisions/0009-deleted-authors-on-team-boards.md), in the store and live.
    const stored = await sql<{ n: number }>`select count(*)::int as n from board_update where board_id = ${board.id}`.execute(deps.db);
    expect(stored.rows[0]!.n).toBe(0); // history replaced by one fresh snapshot
    const { loadBoardDoc } = await import('../boards/store.js');
    const doc = await loadBoardDoc(deps.db, board.id);
    expect(readItems(doc).find((i) => i.id === 'n1')).toMatchObject({ text: `team plan ${tag} @Owner${tag}`, createdBy: undefined });
    doc.destroy();
    await waitForDoc(ownerView.client.doc, (d) => readItems(d).find((i) => i.id === 'n1')?.createdBy === undefined);
    ownerView.close();
    // The owner's notifications are still there, naming nobody.
    const ownerNotes = await deps.db.selectFrom('notification').select(['kind', 'title']).where('user_id', '=', owner.id).execute();
    expect(ownerNotes.map((n) => n.kind)).toEqual(expect.arrayContaining(['mentioned', 'invitation_accepted']));
    expect(ownerNotes.find((n) => n.kind === 'mentioned')!.title).toContain('A deleted user');
  });
});
