/**
 * Reports and appeals, the members' side (the operators' side: takedown.ts and operator-console.ts).
 *
 * A member of the workspace that holds an asset or a board reports it with a reason and an optional
 * note; the report waits in the operators' queue. Only members can see the content today, so the
 * check is workspace membership (any role: viewers report too). `via` records how the reporter saw
 * it: 'member', or 'link' for a holder of a share link (issue 17), who has no account: the link is
 * checked (server/services/share-links.ts), the item must be on that link's board, and the report
 * names the link instead of a reporter; one open report per link and subject, limited per link.
 *
 * Reporting is idempotent per reporter and subject while the report is open (a double click files
 * once), and limited per reporter per hour after the access check, so a refused call writes nothing.
 */
import type { z } from 'zod';
import * as Y from 'yjs';
import { boardAccess } from '../boards/access.js';
import { loadBoardDoc } from '../boards/store.js';
import { itemsOf, readItem } from '../shared/board.js';
import { AppError } from '../shared/errors.js';
import { AppealInput, ReportAssetInput, ReportBoardItemInput, reasonLabel } from '../shared/reports.js';
import { standingOf } from './account-standing.js';
import { audit } from './audit.js';
import type { Actor, Deps } from './deps.js';
import { hitLimit } from './rate-limits.js';
import { requireRole } from './workspaces.js';
import { ReportViaLinkInput } from '../shared/share-links.js';
import { useShareLink } from './share-links.js';

export const REPORTS_PER_HOUR = 30;
const EXCERPT_CHARS = 500;

export interface ReportReceipt {
  id: string;
  /** true when the same person's open report of the same thing already existed */
  duplicate: boolean;
  message: string;
}

const THANKS = 'Thanks for telling us. Moderators will look at it; what they decide is not shown to you, and the person who made it is not told who reported it.';

/** Who reports: a signed-in member, or the holder of a share link (no account: the link is named). */
type Reporter = Actor | { linkId: string };
const isLink = (r: Reporter): r is { linkId: string } => 'linkId' in r;

async function limit(deps: Deps, who: Reporter) {
  const hit = await hitLimit(deps.db, isLink(who) ? `report-link:${who.linkId}` : `report:${who.userId}`, { max: REPORTS_PER_HOUR, windowSeconds: 3600 });
  if (!hit.allowed) throw new AppError('RATE_LIMITED', { userMessage: 'You have sent many reports in the last hour. Please wait a while before sending more.', retryAfterSeconds: hit.retryAfterSeconds });
}

type NewReport = { workspaceId: string; assetId: string | null; boardId: string | null; itemId: string | null; subjectUserId: string | null; excerpt: string | null; reason: string; note: string | null };

async function file(deps: Deps, actor: Reporter, r: NewReport): Promise<ReportReceipt> {
  const existing = await deps.db
    .selectFrom('report')
    .select('id')
    .$if(!isLink(actor), (q) => q.where('reporter_id', '=', (actor as Actor).userId))
    .$if(isLink(actor), (q) => q.where('via', '=', 'link').where('share_link_id', '=', (actor as { linkId: string }).linkId))
    .where('status', '=', 'open')
    .$if(r.itemId === null, (q) => q.where('asset_id', '=', r.assetId).where('item_id', 'is', null))
    .$if(r.itemId !== null, (q) => q.where('board_id', '=', r.boardId).where('item_id', '=', r.itemId))
    .executeTakeFirst();
  if (existing) return { id: existing.id, duplicate: true, message: 'You already reported this. Moderators will look at it.' };
  await limit(deps, actor);
  const row = await deps.db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('report')
      .values({ via: isLink(actor) ? 'link' : 'member', reporter_id: isLink(actor) ? null : actor.userId, share_link_id: isLink(actor) ? actor.linkId : null, workspace_id: r.workspaceId, asset_id: r.assetId, board_id: r.boardId, item_id: r.itemId, subject_user_id: r.subjectUserId, excerpt: r.excerpt, reason: r.reason, note: r.note })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) await audit(trx, isLink(actor) ? null : actor.userId, 'report.created', { reportId: inserted.id, assetId: r.assetId, boardId: r.boardId, itemId: r.itemId, reason: r.reason, ...(isLink(actor) ? { via: 'link', linkId: actor.linkId } : {}) });
    return inserted;
  });
  // Lost a race with the same person's other tab: that one is the report.
  if (!row) return file(deps, actor, r);
  deps.log.info('content reported', { reportId: row.id, reason: r.reason });
  return { id: row.id, duplicate: false, message: THANKS };
}

/** A member reports an asset of their workspace. */
export async function reportAsset(deps: Deps, actor: Actor, raw: z.input<typeof ReportAssetInput>): Promise<ReportReceipt> {
  const input = ReportAssetInput.parse(raw);
  const asset = await deps.db.selectFrom('asset').select(['id', 'workspace_id', 'user_id']).where('id', '=', input.assetId).where('deleted_at', 'is', null).executeTakeFirst();
  if (!asset) throw new AppError('NOT_FOUND');
  await requireRole(deps.db, actor, asset.workspace_id, 'viewer');
  return file(deps, actor, { workspaceId: asset.workspace_id, assetId: asset.id, boardId: null, itemId: null, subjectUserId: asset.user_id, excerpt: null, reason: input.reason, note: input.note || null });
}

/**
 * A member reports an item on a board of their workspace: an image (the report names its asset, so
 * hiding it works as for the library) or a note (its text is kept with the report, as it was).
 */
export async function reportBoardItem(deps: Deps, actor: Actor, raw: z.input<typeof ReportBoardItemInput>): Promise<ReportReceipt> {
  const input = ReportBoardItemInput.parse(raw);
  const { board } = await boardAccess(deps.db, actor, input.boardId);
  return fileItem(deps, actor, { boardId: board.id, workspaceId: board.workspaceId }, input);
}

/**
 * A share-link holder reports an item on the shared board (issue 17): the link is checked as for
 * every other use (revoked, expired or switched-off links are refused) and names the board, so a
 * link can report only what it shows.
 */
export async function reportBoardItemViaLink(deps: Deps, raw: z.input<typeof ReportViaLinkInput>): Promise<ReportReceipt> {
  const input = ReportViaLinkInput.parse(raw);
  const grant = await useShareLink(deps, input.token);
  return fileItem(deps, { linkId: grant.linkId }, { boardId: grant.boardId, workspaceId: grant.workspaceId }, input);
}

async function fileItem(deps: Deps, who: Reporter, board: { boardId: string; workspaceId: string }, input: { itemId: string; reason: string; note?: string }): Promise<ReportReceipt> {
  const doc = await loadBoardDoc(deps.db, board.boardId);
  let item;
  try {
    const m = itemsOf(doc).get(input.itemId);
    item = m instanceof Y.Map ? readItem(input.itemId, m) : null;
  } finally {
    doc.destroy();
  }
  if (!item) throw new AppError('NOT_FOUND', { userMessage: 'That item is no longer on the board.' });
  const base = { workspaceId: board.workspaceId, boardId: board.boardId, itemId: item.id, reason: input.reason, note: input.note || null };
  if (item.type === 'image' && item.assetId) {
    const asset = await deps.db.selectFrom('asset').select(['id', 'user_id']).where('id', '=', item.assetId).where('workspace_id', '=', board.workspaceId).executeTakeFirst();
    return file(deps, who, { ...base, assetId: asset?.id ?? null, subjectUserId: asset?.user_id ?? null, excerpt: null });
  }
  if (item.type === 'note') {
    // The author the document names, if that is a member of the workspace (the field is written by clients).
    const author = item.createdBy
      ? await deps.db.selectFrom('membership').select('user_id').where('workspace_id', '=', board.workspaceId).where('user_id', '=', item.createdBy).executeTakeFirst()
      : undefined;
    const text = (item.text ?? '').slice(0, EXCERPT_CHARS);
    return file(deps, who, { ...base, assetId: null, subjectUserId: author?.user_id ?? null, excerpt: text });
  }
  throw new AppError('INVALID_INPUT', { userMessage: 'Only images and notes can be reported. Wait until the generation has finished.' });
}

/**
 * The owner of a hidden asset, or a suspended member, asks for a review. One open appeal per
 * subject; asking again while one is open answers with that one.
 */
export async function createAppeal(deps: Deps, actor: Actor, raw: z.input<typeof AppealInput>) {
  const input = AppealInput.parse(raw);
  if (input.assetId) {
    // Only the person who made it: to anyone else the asset is NOT_FOUND here, hidden or not.
    const asset = await deps.db.selectFrom('asset').select(['id', 'hidden_at']).where('id', '=', input.assetId).where('user_id', '=', actor.userId).where('deleted_at', 'is', null).executeTakeFirst();
    if (!asset) throw new AppError('NOT_FOUND');
    if (!asset.hidden_at) throw new AppError('CONFLICT', { userMessage: 'This item is not hidden, so there is nothing to review.' });
  } else if ((await standingOf(deps.db, actor.userId)).status !== 'suspended') {
    throw new AppError('CONFLICT', { userMessage: 'Your account is not suspended, so there is nothing to review.' });
  }
  const open = await deps.db
    .selectFrom('appeal')
    .select(['id', 'status', 'created_at'])
    .where('user_id', '=', actor.userId)
    .where('status', '=', 'open')
    .where('asset_id', input.assetId ? '=' : 'is', input.assetId ?? null)
    .executeTakeFirst();
  if (open) return { ...open, duplicate: true };
  const row = await deps.db.transaction().execute(async (trx) => {
    const r = await trx.insertInto('appeal').values({ user_id: actor.userId, asset_id: input.assetId ?? null, message: input.message }).returning(['id', 'status', 'created_at']).executeTakeFirstOrThrow();
    await audit(trx, actor.userId, 'appeal.created', { appealId: r.id, assetId: input.assetId ?? null });
    return r;
  });
  return { ...row, duplicate: false };
}

/** The caller's own standing and appeals (the account page and hidden items show them). */
export async function myModeration(deps: Deps, actor: Actor) {
  const [standing, appeals] = await Promise.all([
    standingOf(deps.db, actor.userId),
    deps.db.selectFrom('appeal').select(['id', 'asset_id', 'status', 'answer', 'created_at', 'answered_at']).where('user_id', '=', actor.userId).orderBy('created_at', 'desc').limit(50).execute(),
  ]);
  return { standing, appeals };
}

/**
 * What a member of the owning workspace sees instead of a hidden asset: the reason in words, when,
 * whether it is theirs (only the maker may ask for a review) and their latest appeal. NOT_FOUND to
 * anyone else, and for an asset that is not hidden (asset.get answers then).
 */
export async function hiddenAsset(deps: Deps, actor: Actor, assetId: string) {
  const asset = await deps.db.selectFrom('asset').select(['id', 'workspace_id', 'user_id', 'media', 'hidden_at', 'hidden_reason']).where('id', '=', assetId).where('deleted_at', 'is', null).executeTakeFirst();
  if (!asset) throw new AppError('NOT_FOUND');
  await requireRole(deps.db, actor, asset.workspace_id, 'viewer');
  if (!asset.hidden_at) throw new AppError('NOT_FOUND');
  const mine = asset.user_id === actor.userId;
  const appeal = mine
    ? await deps.db.selectFrom('appeal').select(['id', 'status', 'answer', 'created_at']).where('user_id', '=', actor.userId).where('asset_id', '=', asset.id).orderBy('created_at', 'desc').executeTakeFirst()
    : undefined;
  return { id: asset.id, media: asset.media, reason: asset.hidden_reason, reasonLabel: reasonLabel(asset.hidden_reason ?? 'other'), hiddenAt: asset.hidden_at, mine, appeal: appeal ?? null };
}
