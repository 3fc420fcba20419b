import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import * as Y from 'yjs';
import { LOCAL_ORIGIN } from '../../server/shared/board.js';
import { META, readRestoreNotice, restoreItems, setRestoreNotice, type ItemFields, type VersionDiff } from '../../server/shared/board-versions.js';
import type { BoardClient } from '../lib/board-client.js';
import { errorMessage, useTRPC, useTRPCClient } from '../lib/trpc.js';
import { useToast } from './Toaster.js';

export interface PreviewState {
  version: { id: string; name: string | null; kind: 'named' | 'auto'; createdAt: string | Date; itemCount: number; createdBy: { id: string; name: string } | null };
  items: ItemFields;
  diff: VersionDiff;
}

export const versionLabel = (v: { name: string | null; kind: 'named' | 'auto' }) => v.name ?? 'Automatic version';

function when(d: string | Date): string {
  return new Date(d).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "2 added · 1 removed …" for what changed from a version to the board now. */
export function diffSummary(diff: VersionDiff): string {
  const parts = [
    [diff.added.length, 'added'],
    [diff.removed.length, 'removed'],
    [diff.moved.length, 'moved'],
    [diff.edited.length, 'edited'],
  ].filter(([n]) => (n as number) > 0) as [number, string][];
  if (parts.length === 0) return 'Nothing changed since this version.';
  return `Since then: ${parts.map(([n, w]) => `${n} ${n === 1 ? 'item' : 'items'} ${w}`).join(' · ')}`;
}

/** Waits until everything this tab changed is stored (the version kept before a restore then includes it). */
function saved(client: BoardClient, ms = 10_000): Promise<void> {
  if (client.state.unsaved === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('Your latest changes are not saved yet. Try again in a moment.'));
    }, ms);
    const off = client.onChange((s) => {
      if (s.unsaved === 0) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  });
}

/** Tells everyone on the board when someone else restored a version (the notice travels with the change). */
export function useRestoreNotices(doc: Y.Doc | null, meId: string) {
  const toast = useToast();
  useEffect(() => {
    if (!doc) return;
    const meta = doc.getMap(META);
    const onChange = (e: Y.YMapEvent<unknown>, tr: Y.Transaction) => {
      if (tr.local || !e.keysChanged.has('restored')) return;
      const n = readRestoreNotice(doc);
      if (!n || n.userId === meId || Date.now() - n.at > 5 * 60_000) return;
      toast({ tone: 'info', title: `${n.by} restored “${n.version}”`, body: 'The board now shows that version. The board as it was is kept in the history.' });
    };
    meta.observe(onChange);
    return () => meta.unobserve(onChange);
  }, [doc, meId, toast]);
}

/**
 * The history panel: the board's versions, newest first. Editors name a version of the board as
 * it is; choosing a version shows it read-only on the canvas (from the stored state, the live board
 * is untouched) with what changed since; editors restore it as a new change that everyone sees at
 * once and that Undo takes back.
 */
export function BoardHistory(props: {
  boardId: string;
  canEdit: boolean;
  client: BoardClient | null;
  me: { id: string; name: string };
  undo: Y.UndoManager | null;
  preview: PreviewState | null;
  onPreview: (p: PreviewState | null) => void;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const api = useTRPCClient();
  const toast = useToast();
  const versions = useQuery(trpc.board.versions.queryOptions({ boardId: props.boardId }));
  const [name, setName] = useState('');
  const [loadingId, setLoadingId] = useState<string | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [restoring, setRestoring] = useState(false);
  const [restoreError, setRestoreError] = useState<string | null>(null);
  const create = useMutation(
    trpc.board.createVersion.mutationOptions({
      onSuccess: (v) => {
        setName('');
        toast({ tone: 'success', title: `Version “${versionLabel(v)}” saved` });
        void versions.refetch();
      },
    }),
  );

  const open = async (id: string) => {
    if (props.preview?.version.id === id) return props.onPreview(null);
    setLoadingId(id);
    setPreviewError(null);
    setRestoreError(null);
    try {
      props.onPreview(await api.board.previewVersion.query({ boardId: props.boardId, versionId: id }));
    } catch (err) {
      setPreviewError(errorMessage(err));
    } finally {
      setLoadingId(null);
    }
  };

  const restore = async () => {
    const p = props.preview;
    const client = props.client;
    if (!p || !client) return;
    setRestoring(true);
    setRestoreError(null);
    try {
      await saved(client);
      const r = await api.board.prepareRestore.mutate({ boardId: props.boardId, versionId: p.version.id });
      const doc = client.doc;
      // One change of this person's (an undo step of its own): the old items, and who restored what.
      props.undo?.stopCapturing();
      doc.transact(() => {
        restoreItems(doc, r.items, LOCAL_ORIGIN);
        setRestoreNotice(doc, { userId: props.me.id, by: props.me.name, version: versionLabel(r.version), versionId: r.version.id, at: Date.now() });
      }, LOCAL_ORIGIN);
      props.undo?.stopCapturing();
      props.onPreview(null);
      toast({ tone: 'success', title: `Restored “${versionLabel(r.version)}”`, body: 'Everyone on the board sees it now. Undo (Ctrl+Z) takes it back; the board as it was is kept in the history.' });
      void versions.refetch();
    } catch (err) {
      setRestoreError(errorMessage(err));
    } finally {
      setRestoring(false);
    }
  };

  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<string | null>(null);
  /** The board and all its versions as one JSON file. */
  const download = async () => {
    setExporting(true);
    setExportError(null);
    try {
      const data = await api.board.export.query({ boardId: props.boardId });
      const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `${data.board.name.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '') || 'board'}-with-history.json`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (err) {
      setExportError(errorMessage(err));
    } finally {
      setExporting(false);
    }
  };

  const list = versions.data ?? [];
  return (
    <aside className="board-history panel stack-s" aria-labelledby="board-history-h" data-testid="board-history">
      <div className="row board-history-head">
        <h2 id="board-history-h" className="small-heading grow">
          Version history
        </h2>
        <button type="button" className="button ghost small" onClick={props.onClose}>
          Close<span className="visually-hidden"> version history</span>
        </button>
      </div>
      {props.canEdit ? (
        <form
          className="board-history-name"
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim()) create.mutate({ boardId: props.boardId, name: name.trim() });
          }}
        >
          <label htmlFor="version-name" className="field-label">
            Name this version
          </label>
          <div className="row gap-s">
            <input id="version-name" className="grow" value={name} maxLength={80} placeholder="e.g. Before client review" onChange={(e) => setName(e.target.value)} aria-invalid={create.isError || undefined} aria-describedby={create.isError ? 'version-name-error' : undefined} />
            <button type="submit" className="button primary small" disabled={create.isPending || !name.trim()}>
              {create.isPending ? 'Saving…' : 'Save'}
            </button>
          </div>
          {create.isError ? (
            <p id="version-name-error" className="form-error small" role="alert">
              {errorMessage(create.error)}
            </p>
          ) : null}
        </form>
      ) : (
        <p className="muted small">You can look at earlier versions. Editors can name and restore them.</p>
      )}
      {versions.isLoading ? <p className="muted small">Loading versions…</p> : null}
      {versions.isError ? (
        <p className="form-error small">
          The history could not be loaded.{' '}
          <button type="button" className="link-button" onClick={() => void versions.refetch()}>
            Try again
          </button>
        </p>
      ) : null}
      {versions.data && list.length === 0 ? <p className="muted small">No versions yet. Versions are kept automatically while people edit, and before every restore.</p> : null}
      {previewError ? (
        <p className="form-error small" role="alert">
          {previewError}
        </p>
      ) : null}
      <ol className="board-history-list">
        {list.map((v) => {
          const selected = props.preview?.version.id === v.id;
          return (
            <li key={v.id} className={selected ? 'selected' : undefined}>
              <button type="button" className="board-history-item" aria-pressed={selected} onClick={() => void open(v.id)} data-version-id={v.id}>
                <span className="board-history-title">
                  {versionLabel(v)}
                  {v.kind === 'named' ? <span className="pill">Named</span> : null}
                </span>
                <span className="muted small">
                  {when(v.createdAt)} · {v.createdBy?.name ?? 'Someone'} · {v.itemCount} {v.itemCount === 1 ? 'item' : 'items'}
                </span>
                {loadingId === v.id ? <span className="muted small">Opening…</span> : null}
              </button>
              {selected && props.preview ? (
                <div className="board-history-detail stack-s">
                  <p className="small" data-testid="version-diff">
                    {diffSummary(props.preview.diff)}
                  </p>
                  {props.canEdit ? (
                    <button type="button" className="button primary small" onClick={() => void restore()} disabled={restoring || !props.client}>
                      {restoring ? 'Restoring…' : 'Restore this version'}
                    </button>
                  ) : null}
                  {restoreError ? (
                    <p className="form-error small" role="alert">
                      {restoreError}
                    </p>
                  ) : null}
                </div>
              ) : null}
            </li>
          );
        })}
      </ol>
      <button type="button" className="button ghost small" onClick={() => void download()} disabled={exporting}>
        {exporting ? 'Preparing…' : 'Download the board with its history'}
      </button>
      {exportError ? (
        <p className="form-error small" role="alert">
          {exportError}
        </p>
      ) : null}
    </aside>
  );
}
