import { z } from 'zod';
import { listNotifications, markRead, notifyMentions, unreadCount } from '../../services/notifications.js';
import { authedProcedure, router } from '../init.js';

export const notificationRouter = router({
  list: authedProcedure.input(z.object({ limit: z.number().int().min(1).max(100).optional(), unreadOnly: z.boolean().optional() }).optional()).query(({ ctx, input }) => listNotifications(ctx.deps.db, ctx.actor, input ?? {})),
  unread: authedProcedure.query(({ ctx }) => unreadCount(ctx.deps.db, ctx.actor)),
  markRead: authedProcedure.input(z.object({ ids: z.array(z.uuid()).max(100).or(z.literal('all')) })).mutation(({ ctx, input }) => markRead(ctx.deps, ctx.actor, input.ids)),
  /** After a note was edited: notifies the members it @mentions (the text is read from the stored board). */
  mentions: authedProcedure.input(z.object({ boardId: z.uuid(), noteId: z.string().min(1).max(100) })).mutation(({ ctx, input }) => notifyMentions(ctx.deps, ctx.actor, input.boardId, input.noteId)),
});
