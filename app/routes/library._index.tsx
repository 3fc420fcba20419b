import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useFetcher, useLoaderData } from '@remix-run/react';
import { useEffect, useState } from 'react';
import type { AssetView } from '../../server/services/assets.js';
import { requireUser } from '../lib/session.server.js';

export const meta: MetaFunction = () => [{ title: 'Library — Flux Klein' }];

const PAGE = 24;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { trpc } = await requireUser(request, context);
  const cursor = new URL(request.url).searchParams.get('cursor');
  return trpc.asset.list({ limit: PAGE, cursor });
}

export default function Library() {
  const first = useLoaderData<typeof loader>();
  const fetcher = useFetcher<typeof loader>();
  const [items, setItems] = useState<AssetView[]>(first.items);
  const [nextCursor, setNextCursor] = useState(first.nextCursor);
  useEffect(() => {
    setItems(first.items);
    setNextCursor(first.nextCursor);
  }, [first]);
  useEffect(() => {
    if (fetcher.state === 'idle' && fetcher.data) {
      const page = fetcher.data;
      setItems((list) => [...list, ...page.items.filter((a) => !list.some((b) => b.id === a.id))]);
      setNextCursor(page.nextCursor);
    }
  }, [fetcher.state, fetcher.data]);

  return (
    <div className="library">
      <div className="section-head">
        <h1>Library</h1>
        <Link to="/studio" className="button primary small">
          New generation
        </Link>
      </div>
      {items.length === 0 ? (
        <div className="panel empty-state">
          <h2>Your library is empty</h2>
          <p className="muted">Images you generate are kept here, newest first.</p>
          <Link to="/studio" className="button primary">
            Open the studio
          </Link>
        </div>
      ) : (
        <>
          <ul className="asset-grid" aria-label="Saved images">
            {items.map((a) => (
              <li key={a.id}>
                <Link to={`/library/${a.id}`} className="asset-tile" aria-label={a.prompt ? `Open: ${a.prompt}` : 'Open image'}>
                  <img src={`${a.url}?thumb=1`} alt={a.prompt ?? 'Uploaded image'} loading="lazy" width={a.width ?? undefined} height={a.height ?? undefined} />
                  {a.prompt ? <span className="asset-caption">{a.prompt}</span> : null}
                </Link>
              </li>
            ))}
          </ul>
          {nextCursor ? (
            <div className="center load-more">
              <fetcher.Form method="get" action="/library">
                <input type="hidden" name="cursor" value={nextCursor} />
                <button type="submit" className="button ghost" disabled={fetcher.state !== 'idle'}>
                  {fetcher.state !== 'idle' ? 'Loading…' : 'Load more'}
                </button>
              </fetcher.Form>
            </div>
          ) : null}
        </>
      )}
    </div>
  );
}
