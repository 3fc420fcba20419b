/**
 * Board comments (issue 17) with real parts: tRPC over HTTP, an embedded Postgres, and real
 * Socket.io clients joined to the board's room (as the board page is), which must hear each change.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { putItem } from '../shared/board.js';
import { COMMENT_MAX_CHARS, type BoardCommentEvent, type ThreadView } from '../shared/comments.js';
import { connectSocket, eventually, signUp, startTestServer, trpcClient, trpcErrorCode, waitForEvent, type TestServer, type TestSocket, type TestUser } from '../testing/harness.js';
import { addMember, openBoard, waitSaved, type OpenBoard } from '../testing/teams.js';
import { collectUserData, eraseUser } from '../services/privacy.js';
import { DELETED_AUTHOR } from './comments.js';

let server: TestServer;
let ana: TestUser; // owner
let ben: TestUser; // editor
let vera: TestUser; // viewer
let olaf: TestUser; // not a member
let workspaceId: string;
let boardId: string;
let benBoard: OpenBoard;

const api = (u: TestUser) => trpcClient(server, u);
const refusal = async (p: Promise<unknown>) => trpcErrorCode(await p.then(() => new Error('expected a refusal'), (e: unknown) => e));
const commentRows = () => server.deps.db.selectFrom('board_comment').selectAll().orderBy('created_at').execute();
const threadRows = () => server.deps.db.selectFrom('board_comment_thread').selectAll().orderBy('created_at').execute();
/** The next `board:comment` for this thread that satisfies `pred`, on a socket joined to the board. */
const heard = (s: TestSocket, pred: (e: BoardCommentEvent) => boolean) => waitForEvent(s, 'board:comment', (e) => e.boardId === boardId && pred(e));
const threadOf = (e: BoardCommentEvent): ThreadView | null => ('thread' in e ? e.thread : null);

beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'), { config: {} });
  ana = await signUp(server, 'Ana Owner');
  ben = await signUp(server, 'Ben Editor');
  vera = await signUp(server, 'Vera Viewer');
  olaf = await signUp(server, 'Olaf Outsider');
  workspaceId = (await api(ana).workspace.create.mutate({ name: 'Studio' })).id;
  await addMember(server.deps.db, workspaceId, ben.id, 'editor');
  await addMember(server.deps.db, workspaceId, vera.id, 'viewer');
  boardId = (await api(ana).board.create.mutate({ workspaceId, name: 'Poster' })).id;
  // A note to pin threads to, written as the page does.
  const a = await openBoard(server, ana, boardId);
  a.client.doc.transact(() => void putItem(a.client.doc, { id: 'note-title', type: 'note', x: 100, y: 50, w: 200, h: 150, z: 1, text: 'Title', createdBy: ana.id }));
  await waitSaved(a.client);
  a.close();
  // Ben has the board open: a second, real socket client in the board's room.
  benBoard = await openBoard(server, ben, boardId);
});
afterAll(async () => {
  benBoard?.close();
  await server?.stop();
});

describe('comment threads', () => {
  it('start on an item, reply, resolve, reopen, edit and delete one’s own: stored, and heard live by another member on the board', async () => {
    const s = benBoard.socket;
    // Someone outside the workspace, connected meanwhile, hears none of it.
    const outsider = await connectSocket(server, olaf);
    outsider.emit('board:join', boardId, () => undefined);
    const t = await api(ana).comment.start.mutate({ boardId, itemId: 'note-title', x: 300, y: 50, body: 'Can the title be larger?' });
    expect(t).toMatchObject({ boardId, itemId: 'note-title', resolved: false, comments: [{ authorId: ana.id, authorName: 'Ana Owner', body: 'Can the title be larger?', deleted: false, editedAt: null }] });
    // Ben's socket hears the new thread without asking.
    const live = threadOf(await heard(s, (e) => threadOf(e)?.id === t.id));
    expect(live?.comments.map((c) => c.body)).toEqual(['Can the title be larger?']);

    const r = await api(ben).comment.reply.mutate({ threadId: t.id, body: 'Yes, 20% larger.' });
    expect(r.comments.map((c) => [c.authorName, c.body])).toEqual([
      ['Ana Owner', 'Can the title be larger?'],
      ['Ben Editor', 'Yes, 20% larger.'],
    ]);
    const replyId = r.comments[1]!.id;

    // Resolve: it says who; Ben hears it; listed as resolved. Reopen: open again.
    const resolved = await api(ben).comment.resolve.mutate({ threadId: t.id, resolved: true });
    expect(resolved).toMatchObject({ resolved: true, resolvedByName: 'Ben Editor' });
    await heard(s, (e) => threadOf(e)?.id === t.id && threadOf(e)!.resolved);
    expect((await api(vera).comment.list.query({ boardId })).threads.find((x) => x.id === t.id)).toMatchObject({ resolved: true, resolvedByName: 'Ben Editor' });
    const reopened = await api(ana).comment.resolve.mutate({ threadId: t.id, resolved: false });
    expect(reopened).toMatchObject({ resolved: false, resolvedByName: null });
    await heard(s, (e) => threadOf(e)?.id === t.id && !threadOf(e)!.resolved && threadOf(e)!.updatedAt >= reopened.updatedAt);
    expect((await threadRows()).find((x) => x.id === t.id)).toMatchObject({ resolved_at: null, resolved_by: null });

    // Ben edits his reply: stored with its edit time; heard live.
    const edited = await api(ben).comment.edit.mutate({ commentId: replyId, body: 'Yes, 25% larger.' });
    expect(edited.comments[1]).toMatchObject({ body: 'Yes, 25% larger.', editedAt: expect.any(Number) });
    await heard(s, (e) => threadOf(e)?.comments[1]?.body === 'Yes, 25% larger.');
    expect((await commentRows()).find((c) => c.id === replyId)).toMatchObject({ body: 'Yes, 25% larger.', edited_at: expect.any(Date) });

    // Ana deletes her first comment while Ben's answer stands: a marker stays, without its text.
    const del = await api(ana).comment.delete.mutate({ commentId: t.comments[0]!.id });
    expect(del).toEqual({ threadId: t.id, removed: false });
    const after = threadOf(await heard(s, (e) => threadOf(e)?.id === t.id && threadOf(e)!.comments[0]!.deleted));
    expect(after?.comments.map((c) => [c.deleted, c.body])).toEqual([
      [true, ''],
      [false, 'Yes, 25% larger.'],
    ]);
    expect((await commentRows()).find((c) => c.id === t.comments[0]!.id)).toMatchObject({ body: '', deleted_at: expect.any(Date) });
    // Ben deletes his reply: nothing is left, so the thread goes, for everyone.
    expect(await api(ben).comment.delete.mutate({ commentId: replyId })).toEqual({ threadId: t.id, removed: true });
    await heard(s, (e) => 'removed' in e && e.threadId === t.id);
    expect((await threadRows()).some((x) => x.id === t.id)).toBe(false);
    expect((await commentRows()).some((c) => c.thread_id === t.id)).toBe(false);
    const outsiderHeard = ((outsider as TestSocket & { history: { event: string }[] }).history ?? []).filter((h) => h.event === 'board:comment');
    outsider.close();
    expect(outsiderHeard).toEqual([]);
  });

  it('pins a thread to a point on the canvas; a reload (list) shows threads with their replies, for viewers too', async () => {
    const t = await api(ben).comment.start.mutate({ boardId, x: -40.5, y: 812, body: 'Empty corner: logo here?' });
    await api(ana).comment.reply.mutate({ threadId: t.id, body: 'Good idea.' });
    const list = await api(vera).comment.list.query({ boardId });
    expect(list.mayComment).toBe(false);
    expect(list.reason).toMatch(/Viewers cannot comment/);
    expect(list.threads.find((x) => x.id === t.id)).toMatchObject({ itemId: null, x: -40.5, y: 812, comments: [{ body: 'Empty corner: logo here?' }, { body: 'Good idea.' }] });
  });
});

describe('refusals change nothing', () => {
  it('a non-member gets NOT_FOUND for the board and its threads; a viewer is refused while the setting is off and may comment once an admin allows it', async () => {
    const t = await api(ana).comment.start.mutate({ boardId, x: 1, y: 2, body: 'For the record.' });
    const before = JSON.stringify([await threadRows(), await commentRows()]);
    expect((await refusal(api(olaf).comment.list.query({ boardId }))).appCode).toBe('NOT_FOUND');
    expect((await refusal(api(olaf).comment.start.mutate({ boardId, x: 0, y: 0, body: 'Hello?' }))).appCode).toBe('NOT_FOUND');
    expect((await refusal(api(olaf).comment.reply.mutate({ threadId: t.id, body: 'Hello?' }))).appCode).toBe('NOT_FOUND');
    expect((await refusal(api(olaf).comment.resolve.mutate({ threadId: t.id, resolved: true }))).appCode).toBe('NOT_FOUND');
    expect((await refusal(api(olaf).comment.delete.mutate({ commentId: t.comments[0]!.id }))).appCode).toBe('NOT_FOUND');
    // The viewer, with the workspace setting off (the default).
    const v = await refusal(api(vera).comment.start.mutate({ boardId, x: 0, y: 0, body: 'May I?' }));
    expect(v).toMatchObject({ appCode: 'FORBIDDEN', message: expect.stringMatching(/Viewers cannot comment/) });
    expect((await refusal(api(vera).comment.reply.mutate({ threadId: t.id, body: 'May I?' }))).appCode).toBe('FORBIDDEN');
    expect((await refusal(api(vera).comment.resolve.mutate({ threadId: t.id, resolved: true }))).appCode).toBe('FORBIDDEN');
    // An editor may not change the setting; nor the viewer.
    expect((await refusal(api(ben).comment.setSettings.mutate({ workspaceId, viewersMayComment: true }))).appCode).toBe('FORBIDDEN');
    expect((await refusal(api(vera).comment.setSettings.mutate({ workspaceId, viewersMayComment: true }))).appCode).toBe('FORBIDDEN');
    expect(JSON.stringify([await threadRows(), await commentRows()])).toBe(before);
    expect((await api(vera).comment.settings.query({ workspaceId })).viewersMayComment).toBe(false);

    // The owner allows it: the viewer may comment now; switched off again, refused again.
    expect(await api(ana).comment.setSettings.mutate({ workspaceId, viewersMayComment: true })).toEqual({ workspaceId, viewersMayComment: true });
    expect((await api(vera).comment.list.query({ boardId })).mayComment).toBe(true);
    const r = await api(vera).comment.reply.mutate({ threadId: t.id, body: 'Noted, thanks.' });
    expect(r.comments.at(-1)).toMatchObject({ authorId: vera.id, body: 'Noted, thanks.' });
    await api(ana).comment.setSettings.mutate({ workspaceId, viewersMayComment: false });
    expect((await refusal(api(vera).comment.reply.mutate({ threadId: t.id, body: 'Again.' }))).appCode).toBe('FORBIDDEN');
    // Her own comment she may still delete.
    expect(await api(vera).comment.delete.mutate({ commentId: r.comments.at(-1)!.id })).toMatchObject({ removed: false });
  });

  it('refuses editing or deleting someone else’s comment, an over-long or empty body, and an item that is not on the board', async () => {
    const t = await api(ana).comment.start.mutate({ boardId, x: 5, y: 5, body: 'Ana’s words.' });
    const before = JSON.stringify([await threadRows(), await commentRows()]);
    const edit = await refusal(api(ben).comment.edit.mutate({ commentId: t.comments[0]!.id, body: 'Ben’s words now.' }));
    expect(edit).toMatchObject({ appCode: 'FORBIDDEN', message: 'You can edit and delete only your own comments.' });
    expect((await refusal(api(ben).comment.delete.mutate({ commentId: t.comments[0]!.id }))).appCode).toBe('FORBIDDEN');
    const long = 'x'.repeat(COMMENT_MAX_CHARS + 1);
    expect((await refusal(api(ana).comment.start.mutate({ boardId, x: 0, y: 0, body: long }))).httpStatus).toBe(400);
    expect((await refusal(api(ana).comment.reply.mutate({ threadId: t.id, body: long }))).httpStatus).toBe(400);
    expect((await refusal(api(ana).comment.edit.mutate({ commentId: t.comments[0]!.id, body: long }))).httpStatus).toBe(400);
    expect((await refusal(api(ana).comment.reply.mutate({ threadId: t.id, body: '   ' }))).httpStatus).toBe(400);
    expect((await refusal(api(ana).comment.start.mutate({ boardId, x: Number.MAX_VALUE, y: 0, body: 'Far away' }))).httpStatus).toBe(400);
    const gone = await refusal(api(ana).comment.start.mutate({ boardId, itemId: 'note-missing', x: 0, y: 0, body: 'On nothing' }));
    expect(gone).toMatchObject({ appCode: 'NOT_FOUND', message: expect.stringMatching(/no longer on the board/) });
    expect(JSON.stringify([await threadRows(), await commentRows()])).toBe(before);
    // A body of exactly the limit is fine.
    expect((await api(ana).comment.edit.mutate({ commentId: t.comments[0]!.id, body: 'y'.repeat(COMMENT_MAX_CHARS) })).comments[0]!.body).toHaveLength(COMMENT_MAX_CHARS);
  });

  it('a suspended account reads comments but may not write them (ACCOUNT_SUSPENDED)', async () => {
    const sam = await signUp(server, 'Sam Suspended');
    await addMember(server.deps.db, workspaceId, sam.id, 'editor');
    const t = await api(sam).comment.start.mutate({ boardId, x: 7, y: 7, body: 'Before the suspension.' });
    await server.deps.db.insertInto('account_standing').values({ user_id: sam.id, status: 'suspended', reason: 'test' }).execute();
    const before = JSON.stringify([await threadRows(), await commentRows()]);
    expect((await refusal(api(sam).comment.reply.mutate({ threadId: t.id, body: 'After.' }))).appCode).toBe('ACCOUNT_SUSPENDED');
    expect((await refusal(api(sam).comment.start.mutate({ boardId, x: 0, y: 0, body: 'After.' }))).appCode).toBe('ACCOUNT_SUSPENDED');
    expect((await refusal(api(sam).comment.edit.mutate({ commentId: t.comments[0]!.id, body: 'After.' }))).appCode).toBe('ACCOUNT_SUSPENDED');
    expect(JSON.stringify([await threadRows(), await commentRows()])).toBe(before);
    const list = await api(sam).comment.list.query({ boardId });
    expect(list.mayComment).toBe(false);
    expect(list.threads.some((x) => x.id === t.id)).toBe(true);
  });

  it('limits how fast one person comments (RATE_LIMITED, nothing stored), per person', async () => {
    const fast = await signUp(server, 'Fast Fingers');
    await addMember(server.deps.db, workspaceId, fast.id, 'editor');
    const t = await api(fast).comment.start.mutate({ boardId, x: 9, y: 9, body: 'one' });
    for (let i = 1; i < server.config.boards.commentsPerMinute; i++) await api(fast).comment.reply.mutate({ threadId: t.id, body: `reply ${i}` });
    const count = async () => (await commentRows()).filter((c) => c.author_id === fast.id).length;
    expect(await count()).toBe(server.config.boards.commentsPerMinute);
    expect((await refusal(api(fast).comment.reply.mutate({ threadId: t.id, body: 'one too many' }))).appCode).toBe('RATE_LIMITED');
    expect(await count()).toBe(server.config.boards.commentsPerMinute);
    // Someone else is not slowed by it.
    await api(ben).comment.reply.mutate({ threadId: t.id, body: 'I can still answer.' });
  });
});

describe('@mentions in comments', () => {
  it('notify the member named, live and stored, once per comment; an edit tells only the newly named; never the author or non-members', async () => {
    const veraSocket = await connectSocket(server, vera);
    const benSocket = await connectSocket(server, ben);
    try {
      const mentionsOf = async (u: TestUser) => (await api(u).notification.list.query()).items.filter((n) => n.kind === 'mentioned' && n.title.includes('comment'));
      const t = await api(ana).comment.start.mutate({ boardId, x: 0, y: 0, body: 'What do you think, @Vera? (cc @Olaf, @Ana)' });
      const live = await waitForEvent(veraSocket, 'notification:new', (n) => n.kind === 'mentioned');
      expect(live).toMatchObject({ title: 'Ana Owner mentioned you in a comment on “Poster”', body: 'What do you think, @Vera? (cc @Olaf, @Ana)', link: `/boards/${boardId}?thread=${t.id}`, workspaceId });
      expect((await mentionsOf(vera)).map((n) => n.id)).toEqual([live.id]);
      for (const u of [ana, olaf, ben]) expect(await mentionsOf(u)).toEqual([]);

      // Editing it to add Ben tells Ben, and not Vera a second time.
      await api(ana).comment.edit.mutate({ commentId: t.comments[0]!.id, body: 'What do you think, @Vera and @ben?' });
      await waitForEvent(benSocket, 'notification:new', (n) => n.kind === 'mentioned');
      expect(await mentionsOf(ben)).toHaveLength(1);
      expect(await mentionsOf(vera)).toHaveLength(1);
      // A reply mentioning someone again is a new comment: told again.
      await api(ben).comment.reply.mutate({ threadId: t.id, body: '@Vera see above' });
      await eventually(async () => (await mentionsOf(vera)).length === 2);
      expect((await mentionsOf(vera))[0]!.title).toBe('Ben Editor mentioned you in a comment on “Poster”');
    } finally {
      veraSocket.close();
      benSocket.close();
    }
  });
});

describe('privacy', () => {
  it('the data export holds the comments a person wrote, with where; not others’ comments, nor deleted ones', async () => {
    const writer = await signUp(server, 'Wanda Writer');
    await addMember(server.deps.db, workspaceId, writer.id, 'editor');
    const t = await api(writer).comment.start.mutate({ boardId, itemId: 'note-title', x: 100, y: 50, body: 'Wanda’s exported remark' });
    await api(ana).comment.reply.mutate({ threadId: t.id, body: 'Ana’s answer' });
    const r = await api(writer).comment.reply.mutate({ threadId: t.id, body: 'A second thought' });
    const gone = await api(writer).comment.reply.mutate({ threadId: t.id, body: 'Deleted at once' });
    await api(writer).comment.delete.mutate({ commentId: gone.comments.at(-1)!.id });
    const data = await collectUserData(server.deps, writer.id);
    expect(data.boardComments.map((c) => c.body)).toEqual(['Wanda’s exported remark', 'A second thought']);
    expect(data.boardComments[0]).toMatchObject({ threadId: t.id, boardId, boardName: 'Poster', workspaceId, pinnedTo: { item: 'note-title' } });
    expect(data.boardComments[1]!.id).toBe(r.comments.at(-1)!.id);
  });

  it('account deletion keeps the comments for the team without their author (“A deleted user”); no column holds the person any more', async () => {
    const leaver = await signUp(server, 'Lena Leaver');
    await addMember(server.deps.db, workspaceId, leaver.id, 'editor');
    const t = await api(leaver).comment.start.mutate({ boardId, x: 3, y: 3, body: 'The blue is too dark.' });
    await api(ana).comment.reply.mutate({ threadId: t.id, body: 'Agreed, lighter then.' });
    await api(leaver).comment.resolve.mutate({ threadId: t.id, resolved: true });
    await eraseUser(server.deps, leaver.id);

    const list = await api(ana).comment.list.query({ boardId });
    const thread = list.threads.find((x) => x.id === t.id)!;
    expect(thread.comments.map((c) => [c.authorId, c.authorName, c.body])).toEqual([
      [null, DELETED_AUTHOR, 'The blue is too dark.'],
      [ana.id, 'Ana Owner', 'Agreed, lighter then.'],
    ]);
    expect(thread).toMatchObject({ resolved: true, resolvedByName: DELETED_AUTHOR });
    const hits = await sql<{ n: number }>`
      select (select count(*) from board_comment where author_id = ${leaver.id})
           + (select count(*) from board_comment_thread where created_by = ${leaver.id} or resolved_by = ${leaver.id}) as n`.execute(server.deps.db);
    expect(Number(hits.rows[0]!.n)).toBe(0);
    expect((await threadRows()).find((x) => x.id === t.id)).toMatchObject({ created_by: null, resolved_by: null });
  });
});
