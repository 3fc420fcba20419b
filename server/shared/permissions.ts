/**
 * Who may do what in a workspace: the one table of role → permission, read by the services' checks
 * (server/services/workspaces.ts `requirePermission`) and by the UI, which hides or disables what
 * the person's role cannot do and says why (app/components/Gate.tsx).
 */

export type Role = 'owner' | 'admin' | 'editor' | 'viewer';

export const ROLE_RANK: Record<Role, number> = { viewer: 1, editor: 2, admin: 3, owner: 4 };
export const atLeast = (role: Role, min: Role) => ROLE_RANK[role] >= ROLE_RANK[min];

/** Each action: the lowest role that may take it, and what it is (for "Only … can …"). */
export const PERMISSIONS = {
  'workspace.view': { min: 'viewer', does: 'see this workspace' },
  'generation.create': { min: 'editor', does: 'generate' },
  'generation.cancel': { min: 'editor', does: 'cancel generations' },
  'asset.upload': { min: 'editor', does: 'upload images' },
  /** favourite, keep, tag */
  'asset.edit': { min: 'editor', does: 'favourite, keep or tag items' },
  'asset.delete': { min: 'editor', does: 'delete items' },
  'board.create': { min: 'editor', does: 'create boards' },
  /** change a board's contents (notes, images, arrangement) and mention people in it */
  'board.edit': { min: 'editor', does: 'change boards' },
  'board.rename': { min: 'editor', does: 'rename boards' },
  'board.delete': { min: 'admin', does: 'delete boards' },
  /** start, answer, resolve and reopen comment threads; viewers too when the workspace allows it (server/shared/comments.ts) */
  'board.comment': { min: 'editor', does: 'comment on boards' },
  /** let viewers comment, or not */
  'comments.settings': { min: 'admin', does: 'choose whether viewers may comment' },
  /** make and revoke view-only share links (issue 17) */
  'board.share': { min: 'editor', does: 'share boards by link' },
  /** the workspace's "allow share links" switch */
  'workspace.share-links': { min: 'admin', does: 'turn sharing by link on or off' },
  /** invite, resend and revoke invitations; change roles; remove members */
  'members.manage': { min: 'admin', does: 'manage members and invitations' },
  'credits.transfer': { min: 'admin', does: 'move credits into this workspace' },
  'workspace.rename': { min: 'owner', does: 'rename the workspace' },
  'workspace.delete': { min: 'owner', does: 'delete the workspace' },
  'workspace.transfer': { min: 'owner', does: 'transfer ownership' },
  'billing.manage': { min: 'owner', does: 'buy credits or change the plan' },
  /** workspace API keys and the workspace's webhooks (issue 18) */
  'api.manage': { min: 'admin', does: 'manage workspace API keys and webhooks' },
  /** choose a stricter policy for flagged images (issue 15) */
  'moderation.policy': { min: 'owner', does: 'change how flagged images are shown' },
} as const satisfies Record<string, { min: Role; does: string }>;

export type Permission = keyof typeof PERMISSIONS;

export const minRole = (p: Permission): Role => PERMISSIONS[p].min;

/** Whether `role` may take the action; a non-member (no role) may take none. */
export function can(role: Role | null | undefined, p: Permission): boolean {
  return role != null && atLeast(role, PERMISSIONS[p].min);
}

/** The roles that may take the action (e.g. for a SQL check), highest first. */
export function rolesWith(p: Permission): Role[] {
  return (['owner', 'admin', 'editor', 'viewer'] as const).filter((r) => can(r, p));
}

const WHO: Record<Role, string> = { owner: 'the owner', admin: 'admins and the owner', editor: 'editors, admins and the owner', viewer: 'members' };
const A_ROLE: Record<Role, string> = { owner: 'the owner', admin: 'an admin', editor: 'an editor', viewer: 'a viewer' };

/**
 * Why `role` may not take the action, in words for a person ("Only editors, admins and the owner
 * can generate. You are a viewer in this workspace."), or null when it may.
 */
export function deniedReason(role: Role | null | undefined, p: Permission): string | null {
  if (can(role, p)) return null;
  const { min, does } = PERMISSIONS[p];
  const only = `Only ${WHO[min]} can ${does}.`;
  return role ? `${only} You are ${A_ROLE[role]} in this workspace.` : only;
}
