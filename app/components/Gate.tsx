/**
 * Actions the person's role cannot take (the table in server/shared/permissions.ts, the same the
 * server checks): a button stays in place but disabled, with the reason as its tooltip and as its
 * accessible description, pointing at a visible hint. `aria-disabled` rather than `disabled`, so it
 * can still be focused and the reason read; the handler must check `allowed` too.
 */
import { useId } from 'react';
import { deniedReason, type Permission, type Role } from '../../server/shared/permissions.js';

export interface Gate {
  allowed: boolean;
  reason: string | null;
  /** Spread on the button (nothing when allowed). */
  button: { 'aria-disabled'?: true; title?: string; 'aria-describedby'?: string };
  /** The visible reason the button points to (null when allowed); render it near the button. */
  hint: JSX.Element | null;
}

export function useGate(role: Role | null | undefined, permission: Permission): Gate {
  const id = useId();
  const reason = deniedReason(role, permission);
  if (reason === null) return { allowed: true, reason, button: {}, hint: null };
  return {
    allowed: false,
    reason,
    button: { 'aria-disabled': true, title: reason, 'aria-describedby': id },
    hint: (
      <p id={id} className="gate-hint">
        {reason}
      </p>
    ),
  };
}
