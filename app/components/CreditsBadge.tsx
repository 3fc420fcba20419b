import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { useSocketEvent } from '../lib/realtime.js';
import { useTRPC } from '../lib/trpc.js';

/** The workspace's credit balance; updates live when a job reserves or returns credits, or a purchase lands. */
export function CreditsBadge({ workspaceId, initial }: { workspaceId?: string; initial?: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const options = trpc.credits.balance.queryOptions({ workspaceId });
  const { data } = useQuery({ ...options, initialData: initial !== undefined && workspaceId ? { workspaceId, balance: initial } : undefined });
  const onChange = useCallback(
    (e: { workspaceId: string; balance: number }) => {
      if (!workspaceId || e.workspaceId === workspaceId) queryClient.setQueryData(options.queryKey, { workspaceId: e.workspaceId, balance: e.balance });
    },
    [queryClient, options.queryKey, workspaceId],
  );
  useSocketEvent('credits:changed', onChange);
  if (!data) return null;
  return (
    <span className="credits-badge" title="Credits in this workspace" aria-live="polite" data-testid="credits-balance">
      <span aria-hidden="true">◆</span> {data.balance.toLocaleString('en')} <span className="visually-hidden">credits</span>
      <span aria-hidden="true" className="credits-word">credits</span>
    </span>
  );
}
