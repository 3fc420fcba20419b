import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { SensitiveMedia } from '../components/SensitiveMedia.js';
import { Form, Link, useFetcher, useLoaderData, useRevalidator, useSearchParams, useSubmit } from '@remix-run/react';
import { useMutation } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AssetView } from '../../server/shared/views.js';
import { LIBRARY_KINDS, LIBRARY_MORE } from '../../server/shared/library-words.js';
import { filtersFrom } from '../lib/library-filters.server.js';
import { useToast } from '../components/Toaster.js';
import { ReportDialog } from '../components/ReportDialog.js';
import { TileMenu } from '../components/TileMenu.js';
import { VirtualAssetGrid } from '../components/VirtualAssetGrid.js';
import { can, deniedReason } from '../../server/shared/permissions.js';
import { requireUser } from '../lib/session.server.js';
import { pickWorkspace } from '../lib/workspace.server.js';
import { errorMessage, useTRPC } from '../lib/trpc.js';
import { usePageShortcuts } from '../components/Shortcuts.js';
import { LIBRARY_SHORTCUTS } from '../lib/shortcuts.js';

export const meta: MetaFunction = () => [{ title: 'Library — Flux Klein' }];

/** Tiles in the first row on a phone (two columns): on screen at once, so loaded eagerly and first. */
const FIRST_ROW = 2;
/** `fetchpriority`, lowercase: React 18 does not know the attribute and passes it through as written. */
const HIGH_PRIORITY = { fetchpriority: 'high' } as Record<string, string>;

const KIND_LABEL: Record<(typeof LIBRARY_KINDS)[number], string> = { all: 'All', images: 'Images', videos: 'Videos', uploads: 'Uploads' };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { trpc, me } = await requireUser(request, context);
  const workspace = pickWorkspace(request, me.workspaces);
  const workspaceId = workspace?.id;
  const [page, models] = await Promise.all([trpc.asset.list({ ...filtersFrom(new URL(request.url)), workspaceId }), trpc.generation.models()]);
  return { page, models, workspaceId, role: workspace?.role ?? null };
}

export default function Library() {
  const { page: first, models, role } = useLoaderData<typeof loader>();
  usePageShortcuts(LIBRARY_SHORTCUTS, { slash: '#library-q' });
  // Viewers look and download; favouriting and deleting take an editor (server/shared/permissions.ts).
  const mayFavourite = can(role, 'asset.edit');
  const mayDelete = can(role, 'asset.delete');
  const [params] = useSearchParams();
  const fetcher = useFetcher<typeof loader>();
  const submit = useSubmit();
  const revalidator = useRevalidator();
  const trpc = useTRPC();
  const toast = useToast();
  const [items, setItems] = useState<AssetView[]>(first.items);
  const [nextCursor, setNextCursor] = useState(first.nextCursor);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  useEffect(() => {
    setItems(first.items);
    setNextCursor(first.nextCursor);
    setSelected(new Set());
  }, [first]);
  useEffect(() => {
    if (fetcher.state === 'idle' && fetcher.data) {
      const page = fetcher.data.page;
      setItems((list) => [...list, ...page.items.filter((a) => !list.some((b) => b.id === a.id))]);
      setNextCursor(page.nextCursor);
    }
  }, [fetcher.state, fetcher.data]);

  const favorite = useMutation(
    trpc.asset.setFavorite.mutationOptions({
      onSuccess: (a) => setItems((list) => list.map((x) => (x.id === a.id ? { ...x, favorite: a.favorite } : x))),
      onError: (err) => toast({ tone: 'error', title: 'Could not change favourite', body: errorMessage(err) }),
    }),
  );
  const removeMany = useMutation(
    trpc.asset.deleteMany.mutationOptions({
      onSuccess: ({ ids }) => {
        toast({ tone: 'success', title: `Deleted ${ids.length} item${ids.length === 1 ? '' : 's'}` });
        setItems((list) => list.filter((x) => !ids.includes(x.id)));
        setSelected(new Set());
        revalidator.revalidate();
      },
      onError: (err) => toast({ tone: 'error', title: 'Could not delete', body: errorMessage(err) }),
    }),
  );
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [reporting, setReporting] = useState<AssetView | null>(null);
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const kind = params.get('kind') ?? 'all';
  const filtered = ['q', 'model', 'favorites', 'saved', 'tag', 'from'].some((k) => params.get(k)) || kind !== 'all';
  const loadMoreParams = new URLSearchParams(params);
  if (nextCursor) loadMoreParams.set('cursor', nextCursor);
  loadMoreParams.set('limit', String(LIBRARY_MORE));
  const moreUrl = nextCursor ? `/library?${loadMoreParams}` : null;
  // One page at a time: the next is asked for once the last one arrived (the cursor changed).
  const requested = useRef<string | null>(null);
  const loadMore = useCallback(() => {
    if (!moreUrl || requested.current === moreUrl || fetcher.state !== 'idle') return;
    requested.current = moreUrl;
    fetcher.load(moreUrl);
  }, [moreUrl, fetcher]);

  return (
    <div className="library">
      <div className="section-head">
        <h1>Library</h1>
        <Link to="/studio" className="button primary small">
          New generation
        </Link>
      </div>
      {mayFavourite ? null : <p className="gate-hint">{deniedReason(role, 'asset.edit')} You can look at and download everything here.</p>}

      <Form method="get" className="library-filters" role="search" aria-label="Filter the library" onChange={(e) => submit(e.currentTarget, { replace: true })}>
        <div className="segmented" role="radiogroup" aria-label="Kind">
          {LIBRARY_KINDS.map((k) => (
            <label key={k} className={kind === k ? 'selected' : ''}>
              <input type="radio" name="kind" value={k} defaultChecked={kind === k} />
              {KIND_LABEL[k]}
            </label>
          ))}
        </div>
        <label htmlFor="library-q" className="visually-hidden">
          Search prompts, file names or a seed
        </label>
        <input id="library-q" type="search" name="q" placeholder="Prompt, file name or seed…" defaultValue={params.get('q') ?? ''} className="search-input" />
        <label htmlFor="library-model" className="visually-hidden">
          Model
        </label>
        <select id="library-model" name="model" defaultValue={params.get('model') ?? ''}>
          <option value="">All models</option>
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.label}
            </option>
          ))}
        </select>
        <label htmlFor="library-from" className="visually-hidden">
          Since
        </label>
        <select id="library-from" name="from" defaultValue={params.get('from') ?? ''}>
          <option value="">Any time</option>
          <option value={new Date(Date.now() - 86400_000).toISOString().slice(0, 10)}>Last 24 hours</option>
          <option value={new Date(Date.now() - 7 * 86400_000).toISOString().slice(0, 10)}>Last 7 days</option>
          <option value={new Date(Date.now() - 30 * 86400_000).toISOString().slice(0, 10)}>Last 30 days</option>
        </select>
        <label className="checkbox">
          <input type="checkbox" name="favorites" value="1" defaultChecked={params.get('favorites') === '1'} /> Favourites
        </label>
        <label className="checkbox">
          <input type="checkbox" name="saved" value="1" defaultChecked={params.get('saved') === '1'} /> Kept only
        </label>
        {params.get('tag') ? <input type="hidden" name="tag" value={params.get('tag')!} /> : null}
        <noscript>
          <button type="submit" className="button ghost small">
            Apply
          </button>
        </noscript>
        {filtered ? (
          <Link to="/library" className="button ghost small">
            Clear filters
          </Link>
        ) : null}
      </Form>
      {params.get('tag') ? (
        <p className="muted small">
          Tagged “{params.get('tag')}” · <Link to={`/library?${new URLSearchParams([...params].filter(([k]) => k !== 'tag'))}`}>remove tag filter</Link>
        </p>
      ) : null}

      {selected.size > 0 ? (
        <div className="selection-bar" role="region" aria-label="Selection">
          <span>{selected.size} selected</span>
          <a className="button ghost small" href={`/files/archive?ids=${[...selected].join(',')}`} download>
            Download ZIP
          </a>
          {confirmDelete ? (
            <>
              <span>Delete {selected.size} for everyone in the workspace?</span>
              <button type="button" className="button danger small" onClick={() => removeMany.mutate({ ids: [...selected] })} disabled={removeMany.isPending}>
                {removeMany.isPending ? 'Deleting…' : 'Yes, delete'}
              </button>
              <button type="button" className="button ghost small" onClick={() => setConfirmDelete(false)}>
                Keep them
              </button>
            </>
          ) : mayDelete ? (
            <button type="button" className="button danger-ghost small" onClick={() => setConfirmDelete(true)}>
              Delete selected
            </button>
          ) : null}
          <button type="button" className="button ghost small" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        </div>
      ) : null}

      {items.length === 0 ? (
        <div className="panel empty-state">
          {filtered ? (
            <>
              <h2>Nothing matches these filters</h2>
              <p className="muted">Try another search or clear the filters.</p>
              <Link to="/library" className="button ghost">
                Clear filters
              </Link>
            </>
          ) : (
            <>
              <h2>Your library is empty</h2>
              <p className="muted">Images and videos you generate or upload are kept here, newest first.</p>
              <Link to="/studio" className="button primary">
                Open the studio
              </Link>
            </>
          )}
        </div>
      ) : (
        <>
          <VirtualAssetGrid
            items={items}
            label="Library items"
            onEndReached={loadMore}
            itemClassName={(a) => `asset-item ${selected.has(a.id) ? 'selected' : ''}`}
            renderItem={(a, index) => (
              <>
                <SensitiveMedia verdict={a.moderation} what={a.prompt ?? a.originalName ?? 'this item'}>
                  {/* Named by its content (the image's prompt, then the badges): what is seen is what a screen reader and voice control hear. The hover caption repeats the prompt, so it is hidden from them. */}
                  <Link to={`/library/${a.id}`} className="asset-tile">
                    <span className="visually-hidden">Open: </span>
                    {a.mime === 'video/mp4' ? (
                      <video src={a.url} muted loop playsInline preload="metadata" aria-hidden="true" />
                    ) : (
                      // Never the full-size file: a 256 px WebP, or 512 px on a dense screen (made when the image was stored).
                      <img
                        src={a.media === 'video' ? a.url : `${a.url}?thumb=256`}
                        srcSet={a.media === 'video' ? undefined : `${a.url}?thumb=256 256w, ${a.url}?thumb=512 512w`}
                        sizes="(max-width: 600px) 50vw, 260px"
                        alt={a.prompt ?? a.originalName ?? 'Uploaded image'}
                        // The first row is on screen at once (the page's largest paint): fetched first, not lazily.
                        loading={index < FIRST_ROW ? 'eager' : 'lazy'}
                        {...(index < FIRST_ROW ? HIGH_PRIORITY : {})}
                        decoding="async"
                        width={a.width ?? undefined}
                        height={a.height ?? undefined}
                      />
                    )}
                    <span className="asset-caption" aria-hidden={a.mime === 'video/mp4' ? undefined : true}>
                      {a.prompt ?? a.originalName ?? 'Upload'}
                    </span>
                    <span className="asset-badges">
                      {a.media === 'video' ? <span className="badge">Video</span> : null}
                      {a.source === 'upload' ? <span className="badge">Upload</span> : null}
                      {a.preview ? (
                        <span className="badge badge-muted" title="A placeholder from the offline preview renderer, not made by an AI model">
                          Preview
                        </span>
                      ) : null}
                      {!a.saved ? <span className="badge badge-muted" title="Not kept: removed automatically after a while unless you keep it">Not kept</span> : null}
                    </span>
                  </Link>
                </SensitiveMedia>
                <label className="asset-select">
                  <input type="checkbox" checked={selected.has(a.id)} onChange={() => toggle(a.id)} aria-label={`Select ${a.prompt ?? a.originalName ?? 'item'}`} />
                </label>
                {mayFavourite ? (
                  <button
                    type="button"
                    className={`asset-fav ${a.favorite ? 'on' : ''}`}
                    aria-pressed={a.favorite}
                    aria-label={a.favorite ? 'Remove from favourites' : 'Add to favourites'}
                    onClick={() => favorite.mutate({ id: a.id, favorite: !a.favorite })}
                  >
                    {a.favorite ? '★' : '☆'}
                  </button>
                ) : a.favorite ? (
                  <span className="asset-fav on" role="img" aria-label="Favourite">
                    ★
                  </span>
                ) : null}
                <TileMenu label={`More actions: ${a.prompt ?? a.originalName ?? 'item'}`} items={[{ label: 'Report…', onSelect: () => setReporting(a) }]} />
              </>
            )}
          />
          <p className="visually-hidden" aria-live="polite">
            {items.length} items loaded{nextCursor ? '; more load as you scroll' : ''}
          </p>
          {reporting ? <ReportDialog target={{ kind: 'asset', assetId: reporting.id }} what={reporting.media === 'video' ? 'this video' : 'this image'} onClose={() => setReporting(null)} /> : null}
          {nextCursor ? (
            <div className="center load-more">
              <button type="button" className="button ghost" disabled={fetcher.state !== 'idle'} onClick={loadMore}>
                {fetcher.state !== 'idle' ? 'Loading…' : 'Load more'}
              </button>
            </div>
          ) : null}
        </>
      )}
    </div>
  );
}
