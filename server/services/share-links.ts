/**
 * Share links (issue 17, ADR 0017): view-only links to one board, for people without an account.
 *
 * - An editor makes a link (label, optional expiry, whether members' names are shown to its
 *   holders), lists and revokes the board's links; owners and admins switch the workspace's
 *   "allow share links" setting. Each is audited; the token is never stored or logged, only its
 *   SHA-256 (a random 128-bit token needs no slow hash).
 * - `resolveShareLink` is the one check of a token (every page, file, socket and report path goes
 *   through it): it exists, is not revoked or expired, and its workspace allows links. Anything
 *   else is SHARE_LINK_INVALID, whatever the reason, so a holder learns nothing more.
 * - Revoking a link, or switching links off, is announced on the board channel; every process
 *   disconnects the sockets opened with that link at once (server/boards/links.ts).
 * - Per-link limits (requests and socket joins per minute) are token buckets held per process.
 */
import type { ThumbWidth } from './thumbnails.js';
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { z } from 'zod';
import type { Config } from '../config.js';
import type { DB } from '../../db/schema.js';
import { boardAccess } from '../boards/access.js';
import { publish } from '../boards/bus.js';
import { AppError } from '../shared/errors.js';
import { can, deniedReason } from '../shared/permissions.js';
import { rooms } from '../shared/realtime.js';
import { CreateShareLinkInput, MAX_LINKS_PER_BOARD, RevokeShareLinkInput, ShareSettingInput, ShareToken, sharePath, type ShareLinkView } from '../shared/share-links.js';
import { openAssetFileOnBoard } from './assets.js';
import { audit } from './audit.js';
import type { Actor, Deps } from './deps.js';
import { requirePermission, requireRole } from './workspaces.js';

export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const newToken = () => randomBytes(16).toString('base64url');

/** What a valid link grants: sight of one board. */
export interface LinkGrant {
  linkId: string;
  boardId: string;
  workspaceId: string;
  boardName: string;
  showNames: boolean;
  expiresAt: Date | null;
}

const invalid = () => new AppError('SHARE_LINK_INVALID');

function validLinks(db: Kysely<DB>) {
  return db
    .selectFrom('board_share_link as l')
    .innerJoin('board as b', 'b.id', 'l.board_id')
    .innerJoin('workspace as w', 'w.id', 'l.workspace_id')
    .select(['l.id', 'l.board_id', 'l.workspace_id', 'l.show_names', 'l.expires_at', 'b.name'])
    .whereRef('b.workspace_id', '=', 'l.workspace_id')
    .where('l.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('l.expires_at', 'is', null), eb('l.expires_at', '>', sql<Date>`now()`)]))
    .where('w.allow_share_links', '=', true);
}

const toGrant = (r: { id: string; board_id: string; workspace_id: string; show_names: boolean; expires_at: Date | null; name: string }): LinkGrant => ({
  linkId: r.id,
  boardId: r.board_id,
  workspaceId: r.workspace_id,
  boardName: r.name,
  showNames: r.show_names,
  expiresAt: r.expires_at,
});

/** The board a token opens, or SHARE_LINK_INVALID (malformed, unknown, revoked, expired, switched off). */
export async function resolveShareLink(db: Kysely<DB>, token: unknown): Promise<LinkGrant> {
  const parsed = ShareToken.safeParse(token);
  if (!parsed.success) throw invalid();
  const row = await validLinks(db).where('l.token_hash', '=', hashToken(parsed.data)).executeTakeFirst();
  if (!row) throw invalid();
  return toGrant(row);
}

/** The same check by link id, for a socket that holds a link already (joins, reconnects). */
export async function recheckShareLink(db: Kysely<DB>, linkId: string): Promise<LinkGrant> {
  const row = await validLinks(db).where('l.id', '=', linkId).executeTakeFirst();
  if (!row) throw invalid();
  return toGrant(row);
}

// ---- per-link limits (per process) ----

export { KeyedBuckets, createShareLimits, type ShareLimits } from './rate-limits.js';

const limited = () => new AppError('RATE_LIMITED', { userMessage: 'This link is being used very often right now. Wait a minute and reload.', retryAfterSeconds: 60 });

/** Resolves a token for an HTTP request and counts the request against the link's limit. */
export async function useShareLink(deps: Pick<Deps, 'db' | 'shareLimits'>, token: unknown): Promise<LinkGrant> {
  const grant = await resolveShareLink(deps.db, token);
  if (!deps.shareLimits.requests.take(grant.linkId)) throw limited();
  return grant;
}

/** Counts a socket connection or join against the link's limit. */
export function takeShareJoin(deps: Pick<Deps, 'shareLimits'>, linkId: string): void {
  if (!deps.shareLimits.joins.take(linkId)) throw new AppError('RATE_LIMITED', { userMessage: 'This link is being opened very often right now. Wait a minute and reload.' });
}

// ---- what a link holder sees ----

/** The shared board as its page needs it (name, whether names are shown, until when the link works). */
export async function openSharedBoard(deps: Pick<Deps, 'db' | 'shareLimits'>, token: string) {
  const g = await useShareLink(deps, token);
  return { boardId: g.boardId, name: g.boardName, showNames: g.showNames, expiresAt: g.expiresAt };
}

/** An image on the shared board (server/services/assets.ts checks it is on that board and visible). */
export async function openSharedFile(deps: Deps, token: string, assetId: string, opts: { thumb?: ThumbWidth | null } = {}) {
  const g = await useShareLink(deps, token);
  return openAssetFileOnBoard(deps, { boardId: g.boardId, workspaceId: g.workspaceId }, assetId, opts);
}

// ---- members' side ----

function toView(r: { id: string; label: string; show_names: boolean; created_at: Date; expires_at: Date | null; revoked_at: Date | null; creator: string | null }): ShareLinkView {
  const state = r.revoked_at ? 'revoked' : r.expires_at && r.expires_at.getTime() <= Date.now() ? 'expired' : 'active';
  return { id: r.id, label: r.label, showNames: r.show_names, createdAt: r.created_at, createdBy: r.creator, expiresAt: r.expires_at, revokedAt: r.revoked_at, state };
}

const linkRows = (db: Kysely<DB>) =>
  db
    .selectFrom('board_share_link as l')
    .leftJoin('user as u', 'u.id', 'l.created_by')
    .select(['l.id', 'l.label', 'l.show_names', 'l.created_at', 'l.expires_at', 'l.revoked_at', 'u.name as creator']);

/** Makes a link; the token is in the answer once and never again. */
export async function createShareLink(deps: Pick<Deps, 'db'>, actor: Actor, raw: z.input<typeof CreateShareLinkInput>): Promise<{ link: ShareLinkView; token: string; path: string }> {
  const input = CreateShareLinkInput.parse(raw);
  const { board } = await boardAccess(deps.db, actor, input.boardId);
  await requirePermission(deps.db, actor, board.workspaceId, 'board.share');
  return deps.db.transaction().execute(async (trx) => {
    // Locked: a concurrent "switch links off" cannot miss a link made meanwhile.
    const ws = await trx.selectFrom('workspace').select('allow_share_links').where('id', '=', board.workspaceId).forUpdate().executeTakeFirstOrThrow();
    if (!ws.allow_share_links) throw new AppError('SHARE_LINKS_OFF');
    const { n } = await trx
      .selectFrom('board_share_link')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('board_id', '=', board.id)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
      .executeTakeFirstOrThrow();
    if (Number(n) >= MAX_LINKS_PER_BOARD) throw new AppError('CONFLICT', { userMessage: `A board can have at most ${MAX_LINKS_PER_BOARD} working links. Revoke one you no longer need first.` });
    const token = newToken();
    const expiresAt = input.expiresInDays > 0 ? sql<Date>`now() + make_interval(days => ${input.expiresInDays})` : null;
    const row = await trx
      .insertInto('board_share_link')
      .values({ board_id: board.id, workspace_id: board.workspaceId, token_hash: hashToken(token), label: input.label, show_names: input.showNames, created_by: actor.userId, expires_at: expiresAt })
      .returning(['id', 'label', 'show_names', 'created_at', 'expires_at', 'revoked_at'])
      .executeTakeFirstOrThrow();
    await audit(trx, actor.userId, 'share-link.created', { boardId: board.id, workspaceId: board.workspaceId, linkId: row.id, label: input.label, expiresAt: row.expires_at, showNames: input.showNames });
    const creator = await trx.selectFrom('user').select('name').where('id', '=', actor.userId).executeTakeFirst();
    return { link: toView({ ...row, creator: creator?.name ?? null }), token, path: sharePath(token) };
  });
}

/** The board's links, newest first, and whether the workspace allows them (for the share dialog). */
export async function listShareLinks(deps: Pick<Deps, 'db'>, actor: Actor, boardId: string) {
  const { board, role } = await boardAccess(deps.db, actor, boardId);
  if (!can(role, 'board.share')) throw new AppError('FORBIDDEN', { userMessage: deniedReason(role, 'board.share')! });
  const [links, ws] = await Promise.all([
    linkRows(deps.db).where('l.board_id', '=', board.id).orderBy('l.created_at', 'desc').limit(50).execute(),
    deps.db.selectFrom('workspace').select('allow_share_links').where('id', '=', board.workspaceId).executeTakeFirstOrThrow(),
  ]);
  return { links: links.map(toView), allowed: ws.allow_share_links, canChangeSetting: can(role, 'workspace.share-links') };
}

/** Revokes a link: it stops working at once, and whoever has it open is disconnected. Revoking twice is harmless. */
export async function revokeShareLink(deps: Pick<Deps, 'db'>, actor: Actor, raw: z.input<typeof RevokeShareLinkInput>): Promise<ShareLinkView> {
  const input = RevokeShareLinkInput.parse(raw);
  const link = await deps.db.selectFrom('board_share_link').select(['id', 'workspace_id', 'board_id']).where('id', '=', input.linkId).executeTakeFirst();
  if (!link) throw new AppError('NOT_FOUND');
  await requirePermission(deps.db, actor, link.workspace_id, 'board.share');
  await deps.db.transaction().execute(async (trx) => {
    const done = await trx.updateTable('board_share_link').set({ revoked_at: sql<Date>`now()`, revoked_by: actor.userId }).where('id', '=', link.id).where('revoked_at', 'is', null).returning('id').executeTakeFirst();
    if (!done) return;
    await audit(trx, actor.userId, 'share-link.revoked', { boardId: link.board_id, workspaceId: link.workspace_id, linkId: link.id });
    // Delivered on commit: every process disconnects this link's sockets.
    await publish(trx, { k: 'unlink', l: link.id });
  });
  return toView(await linkRows(deps.db).where('l.id', '=', link.id).executeTakeFirstOrThrow());
}

/** The workspace's switch as its settings page shows it. */
export async function shareSetting(deps: Pick<Deps, 'db'>, actor: Actor, workspaceId: string) {
  const role = await requireRole(deps.db, actor, workspaceId, 'viewer');
  const ws = await deps.db.selectFrom('workspace').select('allow_share_links').where('id', '=', workspaceId).executeTakeFirstOrThrow();
  return { allowed: ws.allow_share_links, canChange: can(role, 'workspace.share-links') };
}

/** Owners and admins switch share links on or off; off, every link stops working and its viewers are disconnected. */
export async function setShareLinksAllowed(deps: Pick<Deps, 'db' | 'notifier'>, actor: Actor, raw: z.input<typeof ShareSettingInput>) {
  const input = ShareSettingInput.parse(raw);
  await requirePermission(deps.db, actor, input.workspaceId, 'workspace.share-links');
  await deps.db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('workspace').select('allow_share_links').where('id', '=', input.workspaceId).forUpdate().executeTakeFirstOrThrow();
    if (before.allow_share_links === input.allow) return;
    await trx.updateTable('workspace').set({ allow_share_links: input.allow }).where('id', '=', input.workspaceId).execute();
    await audit(trx, actor.userId, 'share-links.setting', { workspaceId: input.workspaceId, allow: input.allow });
    if (!input.allow) await publish(trx, { k: 'unlink', w: input.workspaceId });
  });
  deps.notifier.emit(rooms.workspace(input.workspaceId), 'workspace:changed', { workspaceId: input.workspaceId, what: 'workspace' });
  return { allowed: input.allow };
}
