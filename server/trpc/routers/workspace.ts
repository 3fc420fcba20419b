import { z } from 'zod';
import { acceptInvitation, invitationInfo, InviteInput, inviteMember, listInvitations, resendInvitation, revokeInvitation } from '../../services/invitations.js';
import {
  AssignableRole,
  createTeamWorkspace,
  deleteWorkspace,
  getWorkspace,
  leaveWorkspace,
  listMembers,
  removeMember,
  renameWorkspace,
  setMemberRole,
  transferOwnership,
  WorkspaceNameInput,
} from '../../services/members.js';
import { listMyWorkspaces } from '../../services/workspaces.js';
import { authedProcedure, publicProcedure, router } from '../init.js';

const Ws = z.object({ workspaceId: z.uuid() });
const Member = Ws.extend({ userId: z.string().min(1).max(200) });
const Token = z.object({ token: z.string().min(10).max(200) });
const InvitationId = z.object({ invitationId: z.uuid() });

export const workspaceRouter = router({
  list: authedProcedure.query(({ ctx }) => listMyWorkspaces(ctx.deps.db, ctx.actor)),
  get: authedProcedure.input(Ws).query(({ ctx, input }) => getWorkspace(ctx.deps.db, ctx.actor, input.workspaceId)),
  create: authedProcedure.input(z.object({ name: WorkspaceNameInput })).mutation(({ ctx, input }) => createTeamWorkspace(ctx.deps, ctx.actor, input.name)),
  rename: authedProcedure.input(Ws.extend({ name: WorkspaceNameInput })).mutation(({ ctx, input }) => renameWorkspace(ctx.deps, ctx.actor, input.workspaceId, input.name)),
  delete: authedProcedure.input(Ws.extend({ confirmName: z.string().max(200) })).mutation(({ ctx, input }) => deleteWorkspace(ctx.deps, ctx.actor, input.workspaceId, input.confirmName)),
  members: authedProcedure.input(Ws).query(({ ctx, input }) => listMembers(ctx.deps.db, ctx.actor, input.workspaceId)),
  setRole: authedProcedure.input(Member.extend({ role: AssignableRole })).mutation(({ ctx, input }) => setMemberRole(ctx.deps, ctx.actor, input.workspaceId, input.userId, input.role)),
  removeMember: authedProcedure.input(Member).mutation(({ ctx, input }) => removeMember(ctx.deps, ctx.actor, input.workspaceId, input.userId)),
  leave: authedProcedure.input(Ws).mutation(({ ctx, input }) => leaveWorkspace(ctx.deps, ctx.actor, input.workspaceId)),
  transferOwnership: authedProcedure.input(Member).mutation(({ ctx, input }) => transferOwnership(ctx.deps, ctx.actor, input.workspaceId, input.userId)),
  invitations: authedProcedure.input(Ws).query(({ ctx, input }) => listInvitations(ctx.deps, ctx.actor, input.workspaceId)),
  invite: authedProcedure.input(InviteInput).mutation(({ ctx, input }) => inviteMember(ctx.deps, ctx.actor, input)),
  revokeInvitation: authedProcedure.input(InvitationId).mutation(({ ctx, input }) => revokeInvitation(ctx.deps, ctx.actor, input.invitationId)),
  resendInvitation: authedProcedure.input(InvitationId).mutation(({ ctx, input }) => resendInvitation(ctx.deps, ctx.actor, input.invitationId)),
  /** What an invitation link is for (the token is the secret); null when it does not exist. */
  invitation: publicProcedure.input(Token).query(({ ctx, input }) => invitationInfo(ctx.deps, input)),
  acceptInvitation: authedProcedure.input(Token).mutation(({ ctx, input }) => acceptInvitation(ctx.deps, ctx.actor, input)),
  /** An invitation sent to the signed-in person's address, from their notification; null otherwise. */
  invitationById: authedProcedure.input(InvitationId).query(({ ctx, input }) => invitationInfo(ctx.deps, input, ctx.actor)),
  acceptInvitationById: authedProcedure.input(InvitationId).mutation(({ ctx, input }) => acceptInvitation(ctx.deps, ctx.actor, input)),
});
