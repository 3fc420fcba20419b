/** Socket.io event names and payloads, declared once for server and client. */
import type { WireBytes } from './board-wire.js';
import type { GenerationStatusName } from './generation.js';
import type { BoardCommentEvent } from './comments.js';

export interface GenerationEvent {
  id: string;
  workspaceId: string;
  /** who started it: the event goes to every member of the workspace, toasts only to this one */
  userId: string;
  status: GenerationStatusName;
  progress: number;
  prompt: string;
  /** image or video: a finished video is announced as a video */
  kind?: 'image' | 'video';
  /** the provider's last status line while it runs (queue position at fal, a log line) */
  statusMessage?: string | null;
  errorCode?: string | null;
  errorMessage?: string | null;
  assetIds?: string[];
  /** When this state was written (ms since epoch): events can arrive out of order across processes; keep the newest. */
  updatedAt: number;
}

/** One entry of a board's job feed: a generation started from the board. */
export interface BoardJobEvent {
  id: string;
  boardId: string;
  userId: string;
  userName: string;
  kind: 'image' | 'video';
  status: GenerationStatusName;
  progress: number;
  prompt: string;
  errorMessage: string | null;
  /** the board item that shows its result (focus it on the canvas) */
  itemId: string;
  createdAt: number;
  /** when this state was written (ms): keep the newest when events arrive out of order */
  updatedAt: number;
}

export interface ServerToClientEvents {
  'generation:update': (e: GenerationEvent) => void;
  'error:refused': (e: { code: string; message: string }) => void;
  'credits:changed': (e: { workspaceId: string; balance: number }) => void;
  'billing:updated': (e: { workspaceId: string }) => void;
  'export:ready': (e: { id: string; url: string }) => void;
  'consent:changed': (e: { preferences: boolean; analytics: boolean }) => void;
  // teams and boards (issue 5)
  /** A y-protocols sync message (step 1, step 2 or update) for one board, base64 (see board-wire.ts). */
  'board:sync': (boardId: string, message: WireBytes) => void;
  /** A y-protocols awareness update (presence, cursors, selections) for one board, base64. */
  'board:awareness': (boardId: string, update: WireBytes) => void;
  /** The viewer's role in the board's workspace changed while the board is open (e.g. promoted from viewer to editor). */
  'board:role': (e: { boardId: string; role: 'owner' | 'admin' | 'editor' | 'viewer'; readOnly: boolean; suspended?: boolean }) => void;
  /** A refusal or the end of access (codes from server/shared/errors.ts, e.g. BOARD_READ_ONLY, BOARD_ACCESS_REVOKED). */
  'board:error': (e: { boardId: string; code: string; message: string }) => void;
  /** A generation started from the board changed state (its job feed: server/boards/feed.ts). */
  'board:job': (e: BoardJobEvent) => void;
  /** A comment thread on the board changed or went away (server/boards/comments.ts). */
  'board:comment': (e: BoardCommentEvent) => void;
  /** How many people have the board open through share links (members see a count, never who). */
  'board:viewers': (e: { boardId: string; anonymous: number }) => void;
  'notification:new': (n: NotificationView) => void;
  /** Read state changed in another tab: the new unread count. */
  'notification:read': (e: { ids: string[] | 'all'; unread: number }) => void;
  /** Members, invitations or boards of a workspace changed. */
  /** The order of a workspace's queue changed (someone moved their jobs): positions are read again. */
  'queue:changed': (e: { workspaceId: string }) => void;
  'workspace:changed': (e: { workspaceId: string; what: 'members' | 'invitations' | 'boards' | 'workspace' }) => void;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ClientToServerEvents {
  // teams and boards (issue 5)
  'board:join': (boardId: string, ack: (r: BoardJoinResult) => void) => void;
  'board:leave': (boardId: string) => void;
  /** Acknowledged once the change is stored in Postgres (or refused). */
  'board:sync': (boardId: string, message: Uint8Array, ack?: (r: BoardAck) => void) => void;
  'board:awareness': (boardId: string, update: Uint8Array) => void;
  /**
   * One part of a sync message larger than `maxUpdateBytes` (from the join result), e.g. edits made
   * offline: parts go in order (index 0 … total-1), each acknowledged; the last part's answer is the
   * message's (stored, or refused).
   */
  'board:sync-part': (boardId: string, part: BoardSyncPart, bytes: Uint8Array, ack?: (r: BoardAck) => void) => void;
}

export interface BoardSyncPart {
  /** chosen by the client, the same for every part of one message */
  id: string;
  index: number;
  total: number;
}

export const rooms = {
  user: (id: string) => `user:${id}`,
  workspace: (id: string) => `workspace:${id}`,
  board: (id: string) => `board:${id}`,
  /** every socket of one better-auth session (they are disconnected when it ends) */
  session: (id: string) => `session:${id}`,
  /** share-link holders on a board (issue 17): they get the board's changes, not its presence or job feed */
  boardLinks: (id: string) => `board-links:${id}`,
  /** holders of links that show members' names: they get the board's presence too */
  boardLinksNamed: (id: string) => `board-links-named:${id}`,
  /** every socket opened with one share link (disconnected when it is revoked) */
  shareLink: (id: string) => `share-link:${id}`,
  /** who receives a board's changes: its members and its link holders */
  boardReaders: (id: string) => [`board:${id}`, `board-links:${id}`],
  /** who receives a board's presence: its members and holders of links that show names */
  boardPresence: (id: string) => [`board:${id}`, `board-links-named:${id}`],
};

// ---- teams and boards (issue 5) ----
export interface NotificationView {
  id: string;
  kind: 'job_succeeded' | 'job_failed' | 'invitation_received' | 'invitation_accepted' | 'member_joined' | 'mentioned' | 'export_failed' | 'moderation';
  title: string;
  body: string | null;
  link: string | null;
  workspaceId: string | null;
  read: boolean;
  createdAt: string;
}

export type BoardJoinResult =
  | {
      ok: true;
      role: 'owner' | 'admin' | 'editor' | 'viewer';
      readOnly: boolean;
      /** read-only because the account is suspended (server/services/account-standing.ts) */
      suspended?: boolean;
      name: string;
      workspaceId: string;
      /** largest sync message sent at once; larger ones go as 'board:sync-part' */
      maxUpdateBytes: number;
      /** largest sync message sent in parts */
      maxSyncBytes: number;
    } | { ok: false; code: string; message: string };
/**
 * The answer to a board message. For a change: sent only once it is committed to Postgres, with
 * `seq`, the highest stored update id (its own or a later one). A sync step 1 is answered ok at once.
 */
export type BoardAck = { ok: true; seq?: number } | { ok: false; code: string; message: string };
