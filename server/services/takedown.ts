/**
 * What operators do about reported content and accounts (ADR 0013): hide an asset everywhere,
 * restore it, dismiss a report, suspend, ban or reinstate an account, answer an appeal.
 *
 * Every action: `requireOperator` first (NOT_FOUND to anyone else), the change and its audit row in
 * one transaction (audit user_id: the person it is about; detail.operator: who decided), then the
 * person is told what happened and why, in a notification and by mail (through the one mailer).
 */
import type { z } from 'zod';
import { boardsShowingAssets, markAssetsHidden } from '../boards/assets.js';
import { composeMail } from '../mail/index.js';
import { AppError } from '../shared/errors.js';
import { AnswerAppealInput, DismissReportInput, HideAssetInput, ReinstateInput, RestoreAssetInput, SetStandingInput, reasonLabel } from '../shared/reports.js';
import { announceStanding, banAppealHowTo, liftStanding, setOperatorStanding } from './account-standing.js';
import { audit } from './audit.js';
import type { Actor, Deps } from './deps.js';
import { notify } from './notifications.js';
import { requireOperator } from './operators.js';

// ---------------------------------------------------------------------------------------------
// Telling the person

interface Tell {
  userId: string;
  workspaceId: string | null;
  /** with the notification kind, makes the notification happen once */
  ref: string;
  title: string;
  /** the paragraphs: what happened, why, what they can do */
  paragraphs: string[];
  link: string;
  linkLabel: string;
}

/** A notification (live in every tab) and a mail; a failed mail is logged, never undoes the decision. */
async function tell(deps: Deps, t: Tell): Promise<void> {
  await notify(deps, { userId: t.userId, workspaceId: t.workspaceId, kind: 'moderation', title: t.title, body: t.paragraphs.join(' '), link: t.link, ref: t.ref });
  const user = await deps.db.selectFrom('user').select('email').where('id', '=', t.userId).executeTakeFirst();
  if (!user) return;
  await deps.mailer
    .send(
      composeMail({
        to: user.email,
        subject: t.title,
        heading: t.title,
        paragraphs: t.paragraphs,
        action: { label: t.linkLabel, url: new URL(t.link, deps.config.baseUrl).toString() },
        reason: 'You got this message because moderators made a decision about your account or your content.',
      }),
    )
    .catch((err) => deps.log.error('moderation mail failed', { err, userId: t.userId }));
}

const withMessage = (paragraphs: string[], message: string | undefined) => (message ? [...paragraphs, `A note from the moderators: ${message}`] : paragraphs);

// ---------------------------------------------------------------------------------------------
// Assets

async function loadAsset(deps: Deps, assetId: string) {
  const asset = await deps.db.selectFrom('asset').select(['id', 'workspace_id', 'user_id', 'media', 'hidden_at', 'hidden_reason']).where('id', '=', assetId).where('deleted_at', 'is', null).executeTakeFirst();
  if (!asset) throw new AppError('NOT_FOUND');
  return asset;
}

/**
 * Hides an asset everywhere: the library and the studio leave it out, /files and tRPC refuse it
 * (ASSET_HIDDEN to members, with the reason), boards show a "Hidden by moderators" tile. The row
 * and the file stay, so restoring is exact; the owner's data export still includes it (ADR 0013).
 * Open reports of the asset are closed as actioned.
 */
export async function hideAsset(deps: Deps, actor: Actor, raw: z.input<typeof HideAssetInput>) {
  await requireOperator(deps, actor);
  const input = HideAssetInput.parse(raw);
  const asset = await loadAsset(deps, input.assetId);
  if (asset.hidden_at) throw new AppError('CONFLICT', { userMessage: 'This item is already hidden.' });
  const now = new Date();
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('asset').set({ hidden_at: now, hidden_reason: input.reason }).where('id', '=', asset.id).execute();
    await trx.updateTable('report').set({ status: 'actioned', resolved_by: actor.userId, resolved_at: now, resolution: 'hidden' }).where('asset_id', '=', asset.id).where('status', '=', 'open').execute();
    await audit(trx, asset.user_id, 'asset.hidden', { operator: actor.userId, assetId: asset.id, reason: input.reason, message: input.message ?? null });
  });
  for (const b of await boardsShowingAssets(deps.db, [asset.id])) await markAssetsHidden(deps.db, b.id, b.assetIds, true);
  await tell(deps, {
    userId: asset.user_id,
    workspaceId: asset.workspace_id,
    ref: `hidden:${asset.id}:${now.getTime()}`,
    title: `Moderators hid one of your ${asset.media === 'video' ? 'videos' : 'images'}`,
    paragraphs: withMessage(
      [`Reason: ${reasonLabel(input.reason)}.`, 'It no longer shows in the library, on boards or through its link, for you or anyone in the workspace. It was not deleted.', 'If you think this is a mistake, open it and ask for a review.'],
      input.message,
    ),
    link: `/library/${asset.id}`,
    linkLabel: 'Open it and ask for a review',
  });
  return { assetId: asset.id, hiddenAt: now };
}

/** Shows a hidden asset again, everywhere it was. */
export async function restoreAsset(deps: Deps, actor: Actor, raw: z.input<typeof RestoreAssetInput>) {
  await requireOperator(deps, actor);
  const input = RestoreAssetInput.parse(raw);
  const asset = await loadAsset(deps, input.assetId);
  if (!asset.hidden_at) throw new AppError('CONFLICT', { userMessage: 'This item is not hidden.' });
  const now = new Date();
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('asset').set({ hidden_at: null, hidden_reason: null }).where('id', '=', asset.id).execute();
    await trx.updateTable('appeal').set({ status: 'granted', answered_by: actor.userId, answered_at: now, answer: input.message ?? null }).where('asset_id', '=', asset.id).where('status', '=', 'open').execute();
    await audit(trx, asset.user_id, 'asset.restored', { operator: actor.userId, assetId: asset.id, message: input.message ?? null });
  });
  for (const b of await boardsShowingAssets(deps.db, [asset.id])) await markAssetsHidden(deps.db, b.id, b.assetIds, false);
  await tell(deps, {
    userId: asset.user_id,
    workspaceId: asset.workspace_id,
    ref: `restored:${asset.id}:${now.getTime()}`,
    title: `Moderators restored one of your ${asset.media === 'video' ? 'videos' : 'images'}`,
    paragraphs: withMessage(['It shows again in the library, on boards and through its link.'], input.message),
    link: `/library/${asset.id}`,
    linkLabel: 'Open it',
  });
  return { assetId: asset.id };
}

/** Closes a report without acting on it (the content stays as it is). */
export async function dismissReport(deps: Deps, actor: Actor, raw: z.input<typeof DismissReportInput>) {
  await requireOperator(deps, actor);
  const input = DismissReportInput.parse(raw);
  const now = new Date();
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('report')
      .set({ status: 'dismissed', resolved_by: actor.userId, resolved_at: now, resolution: input.message ?? null })
      .where('id', '=', input.reportId)
      .where('status', '=', 'open')
      .returning(['id', 'reporter_id'])
      .executeTakeFirst();
    if (!row) {
      const exists = await trx.selectFrom('report').select('id').where('id', '=', input.reportId).executeTakeFirst();
      throw exists ? new AppError('CONFLICT', { userMessage: 'This report was already handled.' }) : new AppError('NOT_FOUND');
    }
    await audit(trx, row.reporter_id, 'report.dismissed', { operator: actor.userId, reportId: row.id });
    return { reportId: row.id };
  });
}

// ---------------------------------------------------------------------------------------------
// Accounts

async function loadTarget(deps: Deps, actor: Actor, userId: string) {
  const user = await deps.db.selectFrom('user').select(['id', 'email']).where('id', '=', userId).executeTakeFirst();
  if (!user) throw new AppError('NOT_FOUND');
  if (user.id === actor.userId) throw new AppError('CONFLICT', { userMessage: 'You cannot change your own account’s standing.' });
  if (deps.config.adminEmails.includes(user.email.toLowerCase())) {
    throw new AppError('CONFLICT', { userMessage: 'This account is an operator (ADMIN_EMAILS). Remove it from ADMIN_EMAILS first.' });
  }
  return user;
}

/**
 * Suspends (no generating, uploading or board changes; looking, downloading and deleting still
 * work) or bans (no sign-in; every session deleted, which ends the sockets on every process through
 * the session-end trigger) an account.
 */
export async function setStanding(deps: Deps, actor: Actor, raw: z.input<typeof SetStandingInput>) {
  await requireOperator(deps, actor);
  const input = SetStandingInput.parse(raw);
  const user = await loadTarget(deps, actor, input.userId);
  const ended = await deps.db.transaction().execute(async (trx) => {
    await setOperatorStanding(trx, user.id, { status: input.standing, reason: input.reason, note: input.message ?? null, decidedBy: actor.userId });
    await audit(trx, user.id, input.standing === 'banned' ? 'account.banned' : 'account.suspended', { operator: actor.userId, reason: input.reason, message: input.message ?? null });
    if (input.standing !== 'banned') return 0;
    const gone = await trx.deleteFrom('session').where('userId', '=', user.id).executeTakeFirst();
    return Number(gone.numDeletedRows);
  });
  await announceStanding(deps.db, user.id);
  const why = `Reason: ${reasonLabel(input.reason)}.`;
  await tell(
    deps,
    input.standing === 'banned'
      ? {
          userId: user.id,
          workspaceId: null,
          ref: `banned:${Date.now()}`,
          title: 'Your Flux Klein account has been banned',
          paragraphs: withMessage([why, 'You have been signed out everywhere and cannot sign in again.', banAppealHowTo(deps.config.appealsEmail)], input.message),
          link: '/sign-in',
          linkLabel: 'Flux Klein',
        }
      : {
          userId: user.id,
          workspaceId: null,
          ref: `suspended:${Date.now()}`,
          title: 'Your Flux Klein account is suspended',
          paragraphs: withMessage(
            [why, 'You can still sign in, look at and download your work, and delete it, but you cannot generate, upload or change boards.', 'If you think this is a mistake, ask for a review on your account page.'],
            input.message,
          ),
          link: '/settings/account#moderation',
          linkLabel: 'Ask for a review',
        },
  );
  return { userId: user.id, standing: input.standing, sessionsEnded: ended };
}

/**
 * Lifts a suspension (an operator's, or moderation's automatic one) or a ban: the same call from
 * /admin/users, /admin/moderation and a granted appeal (server/services/account-standing.ts).
 */
export async function reinstate(deps: Deps, actor: Actor, raw: z.input<typeof ReinstateInput>) {
  await requireOperator(deps, actor);
  const input = ReinstateInput.parse(raw);
  const user = await loadTarget(deps, actor, input.userId);
  const now = new Date();
  const was = await deps.db.transaction().execute(async (trx) => {
    const row = await liftStanding(trx, user.id);
    if (!row) throw new AppError('CONFLICT', { userMessage: 'This account is in good standing already.' });
    await trx.updateTable('appeal').set({ status: 'granted', answered_by: actor.userId, answered_at: now, answer: input.message ?? null }).where('user_id', '=', user.id).where('asset_id', 'is', null).where('status', '=', 'open').execute();
    await audit(trx, user.id, 'account.reinstated', { operator: actor.userId, was: row.was, source: row.source, message: input.message ?? null });
    return row.was;
  });
  await announceStanding(deps.db, user.id);
  await tell(deps, {
    userId: user.id,
    workspaceId: null,
    ref: `reinstated:${now.getTime()}`,
    title: 'Your Flux Klein account is in good standing again',
    paragraphs: withMessage([was === 'banned' ? 'The ban was lifted: you can sign in again.' : 'The suspension was lifted: you can generate, upload and change boards again.'], input.message),
    link: '/studio',
    linkLabel: 'Open Flux Klein',
  });
  return { userId: user.id };
}

/**
 * Answers an appeal. Granting it restores the asset or reinstates the account (and says so);
 * refusing it keeps the decision and tells the person, with the operator's message.
 */
export async function answerAppeal(deps: Deps, actor: Actor, raw: z.input<typeof AnswerAppealInput>) {
  await requireOperator(deps, actor);
  const input = AnswerAppealInput.parse(raw);
  const appeal = await deps.db.selectFrom('appeal').select(['id', 'user_id', 'asset_id', 'status']).where('id', '=', input.appealId).executeTakeFirst();
  if (!appeal) throw new AppError('NOT_FOUND');
  if (appeal.status !== 'open') throw new AppError('CONFLICT', { userMessage: 'This appeal was already answered.' });
  if (input.grant) {
    // Restoring / reinstating closes the open appeal as granted and tells the person.
    if (appeal.asset_id) await restoreAsset(deps, actor, { assetId: appeal.asset_id, message: input.message });
    else await reinstate(deps, actor, { userId: appeal.user_id, message: input.message });
    await audit(deps.db, appeal.user_id, 'appeal.answered', { operator: actor.userId, appealId: appeal.id, granted: true });
    return { appealId: appeal.id, status: 'granted' as const };
  }
  const now = new Date();
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('appeal').set({ status: 'refused', answered_by: actor.userId, answered_at: now, answer: input.message ?? null }).where('id', '=', appeal.id).execute();
    await audit(trx, appeal.user_id, 'appeal.answered', { operator: actor.userId, appealId: appeal.id, granted: false });
  });
  await tell(deps, {
    userId: appeal.user_id,
    workspaceId: null,
    ref: `appeal:${appeal.id}`,
    title: 'Moderators looked at your request again',
    paragraphs: withMessage([appeal.asset_id ? 'The item stays hidden.' : 'Your account stays suspended.'], input.message),
    link: appeal.asset_id ? `/library/${appeal.asset_id}` : '/settings/account#moderation',
    linkLabel: 'See the details',
  });
  return { appealId: appeal.id, status: 'refused' as const };
}
