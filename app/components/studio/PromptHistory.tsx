import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { PromptHistoryEntry } from '../../../server/shared/prompts.js';
import { errorMessage, useTRPC } from '../../lib/trpc.js';
import { useToast } from '../Toaster.js';

/**
 * Recent prompts of the signed-in person (kept on the server as part of their library; see the
 * cookie page), searchable; a click puts one back in the form. Each can be forgotten, or all at once.
 */
export function PromptHistory({ onPick, refreshKey }: { onPick(entry: PromptHistoryEntry): void; refreshKey?: unknown }) {
  const trpc = useTRPC();
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const [q, setQ] = useState('');
  const [debounced, setDebounced] = useState('');
  useEffect(() => {
    const t = setTimeout(() => setDebounced(q.trim()), 200);
    return () => clearTimeout(t);
  }, [q]);
  const history = useQuery(trpc.prompts.history.queryOptions({ query: debounced || undefined, limit: 20 }, { enabled: open }));
  const { refetch } = history;
  useEffect(() => {
    if (open) void refetch();
  }, [refreshKey, open, refetch]);
  const forget = useMutation(trpc.prompts.forget.mutationOptions({ onSuccess: () => void refetch(), onError: (err) => toast({ tone: 'error', title: 'Could not remove it', body: errorMessage(err) }) }));
  const clear = useMutation(trpc.prompts.clearHistory.mutationOptions({ onSuccess: () => void refetch(), onError: (err) => toast({ tone: 'error', title: 'Could not clear it', body: errorMessage(err) }) }));
  return (
    <details className="advanced" open={open} onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>Recent prompts</summary>
      <div className="stack-s">
        <label htmlFor="history-search" className="visually-hidden">
          Search your history
        </label>
        <input id="history-search" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Search your history" maxLength={200} />
        {history.isError ? (
          <p className="field-error">{errorMessage(history.error)}</p>
        ) : !history.data ? (
          <p className="muted small">Loading…</p>
        ) : history.data.length === 0 ? (
          <p className="muted small">{debounced ? 'No recent prompt matches.' : 'Prompts you generate with appear here.'}</p>
        ) : (
          <ul className="history-list" aria-label="History">
            {history.data.map((h) => (
              <li key={h.id}>
                <button type="button" className="history-use" title={h.prompt} onClick={() => onPick(h)} aria-label={`Use again: ${h.prompt}`}>
                  {h.prompt}
                  {h.negativePrompt ? <span className="muted"> — not: {h.negativePrompt}</span> : null}
                </button>
                <button type="button" className="button ghost small" aria-label={`Forget: ${h.prompt}`} onClick={() => forget.mutate({ id: h.id })}>
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
        {history.data && history.data.length > 0 && !debounced ? (
          <button type="button" className="button ghost small" onClick={() => clear.mutate()} disabled={clear.isPending}>
            Clear all recent prompts
          </button>
        ) : null}
        <p className="hint">Kept on our server with your library until you remove them, not in this browser.</p>
      </div>
    </details>
  );
}
