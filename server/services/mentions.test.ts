/**
 * @mentions in board notes, end to end with real clients: the author writes a note on a live board
 * (a BoardClient over a real socket, as the browser does: a new empty note, then its text), the
 * change is stored, the author asks the server to notify (notification.mentions, as the page does
 * once the edit is acknowledged), and each person's own socket and notification list show who was told.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { putItem, setFields } from '../shared/board.js';
import { connectSocket, eventually, signUp, startTestServer, trpcClient, trpcErrorCode, waitForEvent, type TestServer, type TestSocket, type TestUser } from '../testing/harness.js';
import { addMember, openBoard, waitSaved } from '../testing/teams.js';

let server: TestServer;
let olivia: TestUser; // owner, the author
let ada: TestUser; // editor
let grace: TestUser; // viewer
let adaOutside: TestUser; // same first name, not a member
let linus: TestUser; // not a member
let workspaceId: string;
const sockets = new Map<string, TestSocket>();

beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'));
  olivia = await signUp(server, 'Olivia Owner');
  ada = await signUp(server, 'Ada Lovelace');
  grace = await signUp(server, 'Grace Hopper');
  adaOutside = await signUp(server, 'Ada Stranger');
  linus = await signUp(server, 'Linus Outsider');
  workspaceId = (await trpcClient(server, olivia).workspace.create.mutate({ name: 'Analytical' })).id;
  await addMember(server.deps.db, workspaceId, ada.id, 'editor');
  await addMember(server.deps.db, workspaceId, grace.id, 'viewer');
  // Everyone is online: a notification would reach their socket at once.
  for (const u of [olivia, ada, grace, adaOutside, linus]) sockets.set(u.id, await connectSocket(server, u));
});
afterAll(async () => {
  for (const s of sockets.values()) s.close();
  await server?.stop();
});

const api = (u: TestUser) => trpcClient(server, u);
const mentionsOf = async (u: TestUser) => (await api(u).notification.list.query()).items.filter((n) => n.kind === 'mentioned');
const liveMentions = (u: TestUser) => ((sockets.get(u.id) as TestSocket & { history: { event: string; args: [{ kind: string; body: string | null }] }[] }).history ?? []).filter((h) => h.event === 'notification:new' && h.args[0].kind === 'mentioned').map((h) => h.args[0]);

/** Writes a note the way the board page does (an empty note, then its text), waits until stored. */
async function writeNote(author: TestUser, boardId: string, noteId: string, text: string) {
  const b = await openBoard(server, author, boardId);
  const doc = b.client.doc;
  doc.transact(() => void putItem(doc, { id: noteId, type: 'note', x: 40, y: 40, w: 200, h: 150, z: 1, text: '', color: 'yellow', createdBy: author.id }));
  doc.transact(() => setFields(doc, noteId, { text }));
  await waitSaved(b.client);
  b.close();
}

describe('@mentions in notes', () => {
  it('notifies the member named (also "@Ada." at the end of a sentence), live and stored; not the author, not non-members', async () => {
    const board = await api(olivia).board.create.mutate({ workspaceId, name: 'Engine notes' });
    const text = 'Loops look right. Thanks @Ada. Maybe @Linus and @Olivia too?';
    await writeNote(olivia, board.id, 'n1', text);

    expect(await api(olivia).notification.mentions.mutate({ boardId: board.id, noteId: 'n1' })).toEqual({ notified: 1 });

    // Ada hears it on her socket, and it is in her list, saying who, where and what.
    const live = await waitForEvent(sockets.get(ada.id)!, 'notification:new', (n) => n.kind === 'mentioned');
    expect(live).toMatchObject({ title: 'Olivia Owner mentioned you on “Engine notes”', body: text, link: `/boards/${board.id}`, workspaceId, read: false });
    expect((await mentionsOf(ada)).map((n) => n.id)).toEqual([live.id]);
    expect(await api(ada).notification.unread.query()).toBe(1);

    // Nobody else: not the author (who mentioned herself), not the other Ada nor Linus, who are not
    // members; not Grace, who was not named. Neither stored nor pushed.
    await new Promise((r) => setTimeout(r, 300));
    for (const u of [olivia, adaOutside, linus, grace]) {
      expect(await mentionsOf(u)).toEqual([]);
      expect(liveMentions(u)).toEqual([]);
    }
    expect(liveMentions(ada)).toHaveLength(1);

    // Asking again for the same text tells nobody twice.
    expect(await api(olivia).notification.mentions.mutate({ boardId: board.id, noteId: 'n1' })).toEqual({ notified: 0 });
    expect(await mentionsOf(ada)).toHaveLength(1);
  });

  it('finds names however the sentence ends them, and members by full name or email name; viewers are told too', async () => {
    const board = await api(olivia).board.create.mutate({ workspaceId, name: 'Review' });
    const graceLocal = grace.email.split('@')[0]!;
    await writeNote(olivia, board.id, 'n2', `(@AdaLovelace), cc @${graceLocal.toUpperCase()}…`);
    expect(await api(olivia).notification.mentions.mutate({ boardId: board.id, noteId: 'n2' })).toEqual({ notified: 2 });
    await eventually(async () => (await mentionsOf(grace)).length === 1);
    expect((await mentionsOf(grace))[0]).toMatchObject({ title: 'Olivia Owner mentioned you on “Review”' });
    expect((await mentionsOf(ada)).filter((n) => n.title.includes('Review'))).toHaveLength(1);
    // An address in the text is not a mention.
    await writeNote(olivia, board.id, 'n3', `Write to ${ada.email} or olivia@ada.example.`);
    expect(await api(olivia).notification.mentions.mutate({ boardId: board.id, noteId: 'n3' })).toEqual({ notified: 0 });
    for (const u of [adaOutside, linus, olivia]) expect(await mentionsOf(u)).toEqual([]);
  });

  it('notifies only from what the stored note says, and only for editors: a viewer cannot notify, a non-member gets NOT_FOUND', async () => {
    const board = await api(olivia).board.create.mutate({ workspaceId, name: 'Quiet' });
    await writeNote(olivia, board.id, 'plain', 'No names here.');
    expect(await api(olivia).notification.mentions.mutate({ boardId: board.id, noteId: 'plain' })).toEqual({ notified: 0 });
    expect(await api(olivia).notification.mentions.mutate({ boardId: board.id, noteId: 'missing' })).toEqual({ notified: 0 });
    await writeNote(olivia, board.id, 'loud', 'Over to you @Ada.');
    const before = (await mentionsOf(ada)).length;
    expect(trpcErrorCode(await api(grace).notification.mentions.mutate({ boardId: board.id, noteId: 'loud' }).catch((e: unknown) => e)).appCode).toBe('FORBIDDEN');
    expect(trpcErrorCode(await api(linus).notification.mentions.mutate({ boardId: board.id, noteId: 'loud' }).catch((e: unknown) => e)).appCode).toBe('NOT_FOUND');
    expect(await mentionsOf(ada)).toHaveLength(before);
    // The author can, and Ada is told once.
    expect(await api(olivia).notification.mentions.mutate({ boardId: board.id, noteId: 'loud' })).toEqual({ notified: 1 });
    expect(await mentionsOf(ada)).toHaveLength(before + 1);
  });
});
