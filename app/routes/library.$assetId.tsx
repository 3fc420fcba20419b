import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useNavigate } from '@remix-run/react';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useToast } from '../components/Toaster.js';
import { formatBytes } from '../lib/format.js';
import { requireUser } from '../lib/session.server.js';
import { errorMessage, useTRPC } from '../lib/trpc.js';

export const meta: MetaFunction = () => [{ title: 'Image — Flux Klein' }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { trpc } = await requireUser(request, context);
  try {
    return { asset: await trpc.asset.get({ id: String(params.assetId) }) };
  } catch {
    throw new Response('Not found', { status: 404 });
  }
}

export default function AssetDetail() {
  const { asset } = useLoaderData<typeof loader>();
  const trpc = useTRPC();
  const navigate = useNavigate();
  const toast = useToast();
  const [confirming, setConfirming] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const remove = useMutation(
    trpc.asset.delete.mutationOptions({
      onSuccess: () => {
        toast({ tone: 'success', title: 'Deleted', body: 'The image and its file were removed.' });
        navigate('/library');
      },
      onError: (err) => toast({ tone: 'error', title: 'Could not delete', body: errorMessage(err) }),
    }),
  );
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !confirming) navigate('/library');
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [confirming, navigate]);

  const reuseHref = asset.prompt ? `/studio?${new URLSearchParams({ prompt: asset.prompt, ...(asset.seed !== null ? { seed: String(asset.seed) } : {}) })}` : '/studio';
  return (
    <div className="detail">
      <div className="detail-media panel">
        <img src={asset.url} alt={asset.prompt ?? 'Image'} width={asset.width ?? undefined} height={asset.height ?? undefined} />
      </div>
      <aside className="detail-side panel" aria-label="Details">
        <Link to="/library" className="back-link">
          ← Library
        </Link>
        <h1 className="detail-title">{asset.prompt ?? 'Uploaded image'}</h1>
        <dl className="meta-list">
          {asset.seed !== null ? (
            <>
              <dt>Seed</dt>
              <dd>{asset.seed}</dd>
            </>
          ) : null}
          {asset.model ? (
            <>
              <dt>Model</dt>
              <dd>{asset.model}</dd>
            </>
          ) : null}
          <dt>Size</dt>
          <dd>
            {asset.width} × {asset.height} · {formatBytes(asset.sizeBytes)}
          </dd>
          <dt>Created</dt>
          <dd>{new Date(asset.createdAt).toLocaleString('en')}</dd>
        </dl>
        <div className="stack">
          <a className="button primary wide" href={`${asset.url}?download=1`} download>
            Download
          </a>
          <Link className="button ghost wide" to={reuseHref}>
            Reuse prompt and seed
          </Link>
          {confirming ? (
            <div className="confirm" role="group" aria-label="Confirm delete">
              <p>Delete this image for everyone in the workspace? This cannot be undone.</p>
              <div className="row gap">
                <button ref={confirmRef} type="button" className="button danger" disabled={remove.isPending} onClick={() => remove.mutate({ id: asset.id })}>
                  {remove.isPending ? 'Deleting…' : 'Yes, delete'}
                </button>
                <button type="button" className="button ghost" onClick={() => setConfirming(false)}>
                  Keep it
                </button>
              </div>
            </div>
          ) : (
            <button type="button" className="button danger-ghost wide" onClick={() => setConfirming(true)}>
              Delete
            </button>
          )}
        </div>
      </aside>
    </div>
  );
}
