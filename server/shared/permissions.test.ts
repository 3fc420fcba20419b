import { describe, expect, it } from 'vitest';
import { can, deniedReason, PERMISSIONS, rolesWith, type Role } from './permissions.js';

const ROLES: Role[] = ['viewer', 'editor', 'admin', 'owner'];

describe('the role → permission table', () => {
  it('lets each role do what its rank allows, and a non-member nothing', () => {
    expect(rolesWith('generation.create')).toEqual(['owner', 'admin', 'editor']);
    expect(rolesWith('board.delete')).toEqual(['owner', 'admin']);
    expect(rolesWith('billing.manage')).toEqual(['owner']);
    expect(rolesWith('workspace.view')).toEqual(['owner', 'admin', 'editor', 'viewer']);
    for (const p of Object.keys(PERMISSIONS) as (keyof typeof PERMISSIONS)[]) {
      expect(can(null, p)).toBe(false);
      // Higher roles can do everything lower ones can.
      for (let i = 1; i < ROLES.length; i++) if (can(ROLES[i - 1], p)) expect(can(ROLES[i], p)).toBe(true);
    }
  });

  it('says why in words, and nothing when allowed', () => {
    expect(deniedReason('viewer', 'generation.create')).toBe('Only editors, admins and the owner can generate. You are a viewer in this workspace.');
    expect(deniedReason('editor', 'board.delete')).toBe('Only admins and the owner can delete boards. You are an editor in this workspace.');
    expect(deniedReason('admin', 'workspace.delete')).toBe('Only the owner can delete the workspace. You are an admin in this workspace.');
    expect(deniedReason('editor', 'generation.create')).toBeNull();
  });
});
