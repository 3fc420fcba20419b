import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { SensitiveMedia } from '../components/SensitiveMedia.js';
import { Link, useLoaderData, useNavigate } from '@remix-run/react';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useGate } from '../components/Gate.js';
import { can } from '../../server/shared/permissions.js';
import { useToast } from '../components/Toaster.js';
import { HiddenAsset } from '../components/HiddenAsset.js';
import { ReportDialog } from '../components/ReportDialog.js';
import { LineageTree } from '../components/studio/LineageTree.js';
import { formatBytes } from '../lib/format.js';
import { providerLabel } from '../../server/shared/providers.js';
import { requireUser } from '../lib/session.server.js';
import { errorCode, errorMessage, useTRPC } from '../lib/trpc.js';
import { lazyModule } from '../lib/lazy.js';
import { usePageShortcuts } from '../components/Shortcuts.js';
import { ITEM_SHORTCUTS } from '../lib/shortcuts.js';

/** The tag's schema (the procedure's own), loaded when the tag field is first used (ADR 0024). */
const librarySchemas = lazyModule(() => import('../../server/shared/library.js'));

export const meta: MetaFunction = () => [{ title: 'Item — Flux Klein' }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { trpc, me } = await requireUser(request, context);
  const id = String(params.assetId);
  try {
    const asset = await trpc.asset.get({ id });
    return { asset, hidden: null, role: me.workspaces.find((w) => w.id === asset.workspaceId)?.role ?? null };
  } catch {
    // Hidden by moderators: the workspace's members see that, and why (anyone else: not found).
    const hidden = await trpc.report.hiddenAsset({ id }).catch(() => null);
    if (hidden) return { asset: null, hidden, role: null };
    throw new Response('Not found', { status: 404 });
  }
}

export default function AssetPage() {
  const data = useLoaderData<typeof loader>();
  usePageShortcuts(ITEM_SHORTCUTS);
  if (data.hidden) return <HiddenAsset hidden={data.hidden} />;
  return <AssetDetail />;
}

const PARAM_LABELS: Record<string, string> = { negativePrompt: 'Negative prompt', aspectRatio: 'Aspect ratio', count: 'Outputs', steps: 'Steps', guidance: 'Guidance', durationSeconds: 'Clip length (s)', fps: 'Frame rate' };

function AssetDetail() {
  const { asset: loaded, role } = useLoaderData<typeof loader>();
  const initial = loaded!;
  // What the role in the item's workspace allows (server/shared/permissions.ts); the rest is hidden or disabled, with the reason.
  const editGate = useGate(role, 'asset.edit');
  const mayDelete = can(role, 'asset.delete');
  const [asset, setAsset] = useState(initial);
  useEffect(() => setAsset(initial), [initial]);
  const trpc = useTRPC();
  const navigate = useNavigate();
  const toast = useToast();
  const [confirming, setConfirming] = useState(false);
  const [reporting, setReporting] = useState(false);
  /** Set when the server said the image is on boards (ASSET_IN_USE): its question, asked before deleting anyway. */
  const [inUse, setInUse] = useState<string | null>(null);
  const [tagDraft, setTagDraft] = useState('');
  const [tagError, setTagError] = useState<string | null>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const onError = (title: string) => (err: unknown) => toast({ tone: 'error', title, body: errorMessage(err) });
  const remove = useMutation(
    trpc.asset.delete.mutationOptions({
      onSuccess: () => {
        toast({ tone: 'success', title: 'Deleted', body: 'The item and its file were removed.' });
        navigate('/library');
      },
      onError: (err) => {
        if (errorCode(err) === 'ASSET_IN_USE') setInUse(errorMessage(err));
        else onError('Could not delete')(err);
      },
    }),
  );
  const favorite = useMutation(trpc.asset.setFavorite.mutationOptions({ onSuccess: (a) => setAsset((x) => ({ ...x, favorite: a.favorite })), onError: onError('Could not change favourite') }));
  const keep = useMutation(trpc.asset.setSaved.mutationOptions({ onSuccess: ({ saved }) => setAsset((x) => ({ ...x, saved })), onError: onError('Could not keep it') }));
  const tags = useMutation(trpc.asset.setTags.mutationOptions({ onSuccess: (a) => setAsset((x) => ({ ...x, tags: a.tags })), onError: onError('Could not change tags') }));
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
      // An open dialog (shortcuts, report) takes Escape for itself.
      if (e.key === 'Escape' && !confirming && !reporting && !typing && !document.querySelector('dialog[open]')) navigate('/library');
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [confirming, reporting, navigate]);
  const addTag = async (e: FormEvent) => {
    e.preventDefault();
    // Without the schema (its download failed), the server's check answers instead.
    const schemas = await librarySchemas().catch(() => null);
    const parsed = schemas?.TagSchema.safeParse(tagDraft);
    if (parsed && !parsed.success) return setTagError(parsed.error.issues[0]?.message ?? 'Not a valid tag.');
    setTagError(null);
    setTagDraft('');
    tags.mutate({ id: asset.id, tags: [...asset.tags, parsed ? parsed.data : tagDraft.trim().toLowerCase()] });
  };

  const title = asset.prompt ?? asset.originalName ?? 'Uploaded image';
  const reuse = new URLSearchParams();
  if (asset.prompt) reuse.set('prompt', asset.prompt);
  if (asset.seed !== null) reuse.set('seed', String(asset.seed));
  if (asset.model) reuse.set('model', asset.model);
  // Everything it was made with, so the form starts where this output did (aspect ratio and references too).
  if (typeof asset.params?.aspectRatio === 'string') reuse.set('aspectRatio', asset.params.aspectRatio);
  if (typeof asset.params?.negativePrompt === 'string') reuse.set('negativePrompt', asset.params.negativePrompt);
  if (asset.references.length > 0) reuse.set('references', asset.references.map((r) => r.id).join(','));
  if (asset.media === 'video') reuse.set('kind', 'video');
  const params = Object.entries(asset.params ?? {}).filter(([k]) => k in PARAM_LABELS);
  return (
    <div className="detail">
      <div className="detail-media panel">
        <SensitiveMedia verdict={asset.moderation} what={`“${title}”`}>
          {asset.mime === 'video/mp4' ? (
            <video src={asset.url} controls loop autoPlay muted playsInline aria-label={title} width={asset.width ?? undefined} height={asset.height ?? undefined} />
          ) : (
            <img src={asset.url} alt={title} width={asset.width ?? undefined} height={asset.height ?? undefined} />
          )}
        </SensitiveMedia>
      </div>
      <aside className="detail-side panel" aria-label="Details">
        <Link to="/library" className="back-link">
          ← Library
        </Link>
        <h1 className="detail-title">{title}</h1>
        <div className="row gap-s">
          <button type="button" className={`button small ${asset.favorite ? 'primary' : 'ghost'}`} aria-pressed={asset.favorite} onClick={() => editGate.allowed && favorite.mutate({ id: asset.id, favorite: !asset.favorite })} {...editGate.button}>
            {asset.favorite ? '★ Favourite' : '☆ Favourite'}
          </button>
          {asset.source === 'output' ? (
            <button type="button" className={`button small ${asset.saved ? 'primary' : 'ghost'}`} aria-pressed={asset.saved} onClick={() => editGate.allowed && keep.mutate({ ids: [asset.id], saved: !asset.saved })} {...editGate.button}>
              {asset.saved ? 'Kept' : 'Keep'}
            </button>
          ) : null}
        </div>
        {editGate.hint}
        {asset.preview ? <p className="hint">A placeholder drawn by the offline preview renderer, not an image made by an AI model.</p> : null}
        {asset.source === 'output' && !asset.saved ? <p className="hint">Not kept yet: outputs you do not keep are removed automatically after a while.</p> : null}
        <dl className="meta-list">
          {asset.model ? (
            <>
              <dt>Model</dt>
              <dd>{asset.model}</dd>
            </>
          ) : null}
          {asset.provider ? (
            <>
              <dt>Made by</dt>
              <dd>{asset.preview ? 'Offline preview (no AI model)' : providerLabel(asset.provider)}</dd>
            </>
          ) : null}
          {asset.seed !== null ? (
            <>
              <dt>Seed</dt>
              <dd>{asset.seed}</dd>
            </>
          ) : null}
          {params.map(([k, v]) => (
            <div key={k} className="contents">
              <dt>{PARAM_LABELS[k]}</dt>
              <dd>{String(v)}</dd>
            </div>
          ))}
          <dt>Size</dt>
          <dd>
            {asset.width} × {asset.height} · {formatBytes(asset.sizeBytes)}
          </dd>
          <dt>Created</dt>
          <dd>{new Date(asset.createdAt).toLocaleString('en')}</dd>
        </dl>
        {asset.references.length > 0 ? (
          <div className="stack-s">
            <h2 className="small-heading">References used</h2>
            <div className="ref-list">
              {asset.references.map((r, i) => (
                <Link key={r.id} to={`/library/${r.id}`}>
                  <img src={`${r.url}?thumb=1`} alt={`Reference ${i + 1}`} />
                </Link>
              ))}
            </div>
          </div>
        ) : null}
        <LineageTree assetId={asset.id} media={asset.media} prompt={asset.prompt} mayGenerate={can(role, 'generation.create')} />
        <div className="stack-s">
          <h2 className="small-heading">Tags</h2>
          {asset.tags.length > 0 ? (
            <ul className="tag-list">
              {asset.tags.map((t) => (
                <li key={t} className="tag">
                  <Link to={`/library?tag=${encodeURIComponent(t)}`}>{t}</Link>
                  {editGate.allowed ? (
                    <button type="button" aria-label={`Remove tag ${t}`} onClick={() => tags.mutate({ id: asset.id, tags: asset.tags.filter((x) => x !== t) })}>
                      ×
                    </button>
                  ) : null}
                </li>
              ))}
            </ul>
          ) : null}
          {editGate.allowed ? (
            <form onSubmit={(e) => void addTag(e)} onFocus={() => void librarySchemas().catch(() => {})} className="row gap-s">
              <label htmlFor="new-tag" className="visually-hidden">
                Add a tag
              </label>
              <input id="new-tag" value={tagDraft} onChange={(e) => setTagDraft(e.target.value)} placeholder="Add a tag" className="grow" aria-invalid={tagError ? true : undefined} aria-describedby={tagError ? 'new-tag-error' : undefined} />
              <button type="submit" className="button ghost small">
                Add
              </button>
            </form>
          ) : asset.tags.length === 0 ? (
            <p className="muted small">No tags.</p>
          ) : null}
          {tagError ? (
            <p className="field-error" id="new-tag-error" role="alert">
              {tagError}
            </p>
          ) : null}
        </div>
        <div className="stack">
          <a className="button primary wide" href={`${asset.url}?download=1`} download>
            Download
          </a>
          {asset.prompt ? (
            <Link className="button ghost wide" to={`/studio?${reuse}`}>
              Reuse prompt and seed
            </Link>
          ) : null}
          {confirming ? (
            <div className="confirm" role="group" aria-label="Confirm delete">
              <p role={inUse ? 'alert' : undefined}>{inUse ?? 'Delete this item for everyone in the workspace? This cannot be undone.'}</p>
              <div className="row gap">
                <button ref={confirmRef} type="button" className="button danger" disabled={remove.isPending} onClick={() => remove.mutate({ id: asset.id, confirm: inUse !== null })}>
                  {remove.isPending ? 'Deleting…' : inUse ? 'Delete anyway' : 'Yes, delete'}
                </button>
                <button
                  type="button"
                  className="button ghost"
                  onClick={() => {
                    setConfirming(false);
                    setInUse(null);
                  }}
                >
                  Keep it
                </button>
              </div>
            </div>
          ) : mayDelete ? (
            <button type="button" className="button danger-ghost wide" onClick={() => setConfirming(true)}>
              Delete
            </button>
          ) : null}
          <button type="button" className="button ghost small report-link" aria-haspopup="dialog" onClick={() => setReporting(true)}>
            Report…
          </button>
        </div>
        {reporting ? <ReportDialog target={{ kind: 'asset', assetId: asset.id }} what={asset.media === 'video' ? 'this video' : 'this image'} onClose={() => setReporting(false)} /> : null}
      </aside>
    </div>
  );
}
