import { useLocation } from '@remix-run/react';
import { useCallback, useRef } from 'react';
import type { GenerationEvent } from '../../server/shared/realtime.js';
import { readyTitle } from '../../server/shared/generation-limits.js';
import { useSocketEvent } from '../lib/realtime.js';
import { useToast } from './Toaster.js';

const short = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}…` : s);

/**
 * Tells the user when one of their own jobs ends, whatever page they are on. In the studio the
 * result card already shows success, so only failures are toasted there. Job events reach every
 * member of the workspace (teammates' studios follow them live); a teammate's job is not toasted.
 */
export function JobToasts({ userId }: { userId: string }) {
  const toast = useToast();
  const location = useLocation();
  const path = useRef(location.pathname);
  path.current = location.pathname;
  const onUpdate = useCallback(
    (e: GenerationEvent) => {
      if (e.userId !== userId) return;
      if (e.status === 'succeeded' && path.current !== '/studio') {
        const first = e.assetIds?.[0];
        toast({ id: e.id, tone: 'success', title: readyTitle(e.kind, e.assetIds?.length ?? 1, 'toast'), body: short(e.prompt), href: first ? `/library/${first}` : '/library', linkLabel: 'Open' });
      } else if (e.status === 'failed') {
        toast({ id: e.id, tone: 'error', title: 'Generation failed', body: e.errorMessage ?? short(e.prompt), href: '/studio', linkLabel: 'Studio' });
      }
    },
    [toast, userId],
  );
  useSocketEvent('generation:update', onUpdate);
  return null;
}
