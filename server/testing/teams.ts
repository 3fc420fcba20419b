/** Test helpers for workspaces and boards (real HTTP, real sockets). */
import { randomBytes } from 'node:crypto';
import * as Y from 'yjs';
import { BoardClient } from '../../app/lib/board-client.js';
import { connectSocket, type TestSocket, type TestUser } from './harness.js';
import type { Config } from '../config.js';
import type { Database } from '../../db/index.js';
import { readItems } from '../shared/board.js';

type Srv = { url: string; config: Config };

/** Signs up with a chosen address (sign-up, then sign-in, as the form does) and returns the cookie. */
export async function signUpAs(server: Srv, email: string, name = 'Test User'): Promise<TestUser> {
  const headers = { 'content-type': 'application/json', origin: server.config.baseUrl };
  const res = await fetch(`${server.url}/api/auth/sign-up/email`, { method: 'POST', headers, body: JSON.stringify({ email, password: 'correct horse battery', name }) });
  if (!res.ok) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  const signIn = await fetch(`${server.url}/api/auth/sign-in/email`, { method: 'POST', headers, body: JSON.stringify({ email, password: 'correct horse battery' }) });
  if (!signIn.ok) throw new Error(`sign-in failed: ${signIn.status}`);
  const body = (await signIn.json()) as { user: { id: string } };
  return { id: body.user.id, email, cookie: signIn.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') };
}

export const randomEmail = (prefix = 'm') => `${prefix}-${randomBytes(5).toString('hex')}@example.test`;

export async function verify(db: Database, userId: string) {
  await db.updateTable('user').set({ emailVerified: true }).where('id', '=', userId).execute();
}

export async function addMember(db: Database, workspaceId: string, userId: string, role: 'owner' | 'admin' | 'editor' | 'viewer') {
  await db.insertInto('membership').values({ workspace_id: workspaceId, user_id: userId, role }).onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doUpdateSet({ role })).execute();
}

export interface OpenBoard {
  socket: TestSocket;
  client: BoardClient;
  close(): void;
}

/** A real socket and a BoardClient joined to the board; `synced` once the server's state arrived. */
export async function openBoard(server: Srv, user: TestUser, boardId: string, opts: { socket?: TestSocket; wait?: boolean } = {}): Promise<OpenBoard & { join: Awaited<ReturnType<BoardClient['start']>> }> {
  const socket = opts.socket ?? (await connectSocket(server, user));
  const client = new BoardClient(socket as never, boardId);
  const join = await client.start();
  if (join.ok && opts.wait !== false) await withDeadline(client.synced(), 10_000, 'first sync');
  return {
    socket,
    client,
    join,
    close() {
      client.destroy();
      socket.close();
    },
  };
}

export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);
}

/** Waits until `pred` holds for the client's document (checked on every change), with a deadline. */
export function waitForDoc(doc: Y.Doc, pred: (doc: Y.Doc) => boolean, ms = 10_000, what = 'document state'): Promise<void> {
  if (pred(doc)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      doc.off('update', check);
      reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(readItems(doc))}`));
    }, ms);
    const check = () => {
      if (!pred(doc)) return;
      clearTimeout(timer);
      doc.off('update', check);
      resolve();
    };
    doc.on('update', check);
  });
}

/** Waits until every change this client sent was acknowledged as stored. */
export function waitSaved(client: BoardClient, ms = 10_000): Promise<void> {
  if (client.state.unsaved === 0) return Promise.resolve();
  return withDeadline(
    new Promise<void>((resolve) => {
      const off = client.onChange((s) => {
        if (s.unsaved === 0) {
          off();
          resolve();
        }
      });
    }),
    ms,
    'acknowledgements',
  );
}

export const itemIds = (doc: Y.Doc) => readItems(doc).map((i) => i.id).sort();
export const snapshotJson = (doc: Y.Doc) => JSON.stringify(readItems(doc));
