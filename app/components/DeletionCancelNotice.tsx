import { Link } from '@remix-run/react';
import { useEffect, useRef, useState } from 'react';

/**
 * Told once, on the first page after a sign-in that cancelled a pending account deletion (the
 * root loader takes the notice: server/services/privacy.ts `takeDeletionCancelNotice`). It stays
 * while the person moves around, until they close it; a reload does not bring it back.
 */
export function DeletionCancelNotice({ notice }: { notice: { date: string } | null }) {
  const [shown, setShown] = useState(notice);
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    if (notice) setShown(notice);
  }, [notice]);
  if (!shown) return null;
  return (
    <section ref={ref} className="policy-notice" role="status" aria-label="Account deletion cancelled">
      <p>
        <strong>Your account was going to be deleted on {shown.date}; signing in cancelled it.</strong> If you still want it deleted,{' '}
        <Link to="/settings/privacy#delete-account">ask again on the privacy page</Link>.
      </p>
      <button type="button" className="button ghost small" onClick={() => setShown(null)}>
        Close
      </button>
    </section>
  );
}
