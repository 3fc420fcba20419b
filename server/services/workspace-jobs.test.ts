/**
 * Job progress reaches the whole workspace: a teammate's socket sees another member's job go from
 * queued to done, a non-member's sees nothing of it, and a removed member's stops hearing at once.
 * Notifications ("Your generation is ready") stay the author's.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rooms } from '../shared/realtime.js';
import { connectSocket, eventually, signUp, startTestServer, trpcClient, waitForEvent, type TestServer, type TestSocket } from '../testing/harness.js';
import { addMember, verify } from '../testing/teams.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'), { env: { LOCAL_PROVIDER_STEP_MS: '40' } });
});
afterAll(async () => {
  await server?.stop();
});

const eventsFor = (socket: TestSocket, event: string, id: string) =>
  ((socket as TestSocket & { history: { event: string; args: { id?: string; ref?: string; link?: string }[] }[] }).history ?? []).filter((h) => h.event === event && h.args[0]?.id === id);

describe('job updates in a team workspace', () => {
  it('reach every member, nobody outside, and stop for a member who was removed', async () => {
    const [alice, bob, eve] = [await signUp(server, 'Alice'), await signUp(server, 'Bob'), await signUp(server, 'Eve')];
    await verify(server.deps.db, alice.id);
    const ws = await trpcClient(server, alice).workspace.create.mutate({ name: 'Studio team' });
    await addMember(server.deps.db, ws.id, bob.id, 'editor');
    const [aliceSocket, bobSocket, eveSocket] = [await connectSocket(server, alice), await connectSocket(server, bob), await connectSocket(server, eve)];
    try {
      const gen = await trpcClient(server, alice).generation.create.mutate({ workspaceId: ws.id, prompt: 'a shared lighthouse' });

      // Bob follows Alice's job live: progress while running, then done with its result.
      const running = await waitForEvent(bobSocket, 'generation:update', (e) => e.id === gen.id && e.status === 'running' && e.progress > 0);
      expect(running).toMatchObject({ workspaceId: ws.id, userId: alice.id, prompt: 'a shared lighthouse' });
      const done = await waitForEvent(bobSocket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded');
      expect(done.assetIds).toHaveLength(1);
      await waitForEvent(aliceSocket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded');
      // and can open what the event names.
      expect((await trpcClient(server, bob).generation.get.query({ id: gen.id })).status).toBe('succeeded');

      // The notification is Alice's alone.
      await waitForEvent(aliceSocket, 'notification:new', (n) => n.kind === 'job_succeeded' && n.workspaceId === ws.id);
      const bobNotes = (bobSocket as unknown as { history: { event: string }[] }).history.filter((h) => h.event === 'notification:new');
      expect(bobNotes).toEqual([]);

      // Eve, not a member, heard nothing of it.
      expect(eventsFor(eveSocket, 'generation:update', gen.id)).toEqual([]);

      // Bob is removed: his socket leaves the workspace's room, and Alice's next job does not reach him.
      await trpcClient(server, alice).workspace.removeMember.mutate({ workspaceId: ws.id, userId: bob.id });
      await eventually(async () => !(await server.io.in(rooms.workspace(ws.id)).fetchSockets()).some((s) => s.id === bobSocket.id));
      const next = await trpcClient(server, alice).generation.create.mutate({ workspaceId: ws.id, prompt: 'after Bob left' });
      await waitForEvent(aliceSocket, 'generation:update', (e) => e.id === next.id && e.status === 'succeeded');
      expect(bobSocket.connected).toBe(true);
      expect(eventsFor(bobSocket, 'generation:update', next.id)).toEqual([]);
      expect(eventsFor(eveSocket, 'generation:update', next.id)).toEqual([]);
    } finally {
      for (const s of [aliceSocket, bobSocket, eveSocket]) s.close();
    }
  });

  it('joins the workspace rooms before the client hears "connect" (no early update is missed)', async () => {
    const alice = await signUp(server, 'Alice');
    await verify(server.deps.db, alice.id);
    const ws = await trpcClient(server, alice).workspace.create.mutate({ name: 'Quick team' });
    const bob = await signUp(server, 'Bob');
    await addMember(server.deps.db, ws.id, bob.id, 'viewer');
    const bobSocket = await connectSocket(server, bob);
    try {
      // Emitted the moment the socket is connected: it is already in the room.
      server.deps.notifier.emit(rooms.workspace(ws.id), 'workspace:changed', { workspaceId: ws.id, what: 'workspace' });
      await waitForEvent(bobSocket, 'workspace:changed', (e) => e.workspaceId === ws.id, 2_000);
    } finally {
      bobSocket.close();
    }
  });
});
