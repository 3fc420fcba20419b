import { Link, useNavigate } from '@remix-run/react';
import { useMutation, useQuery } from '@tanstack/react-query';
import type { LineageChild, LineageNode } from '../../../server/shared/lineage.js';
import { LINEAGE_LABELS } from '../../../server/shared/lineage-words.js';
import { errorMessage, useTRPC } from '../../lib/trpc.js';
import { useToast } from '../Toaster.js';

const short = (s: string | null, n = 60) => (!s ? '' : s.length > n ? `${s.slice(0, n - 1)}…` : s);
const credits = (n: number | null) => (n === null ? '' : ` · ${n} credit${n === 1 ? '' : 's'}`);

function Thumb({ node, current = false }: { node: LineageNode; current?: boolean }) {
  const how = node.lineage ? LINEAGE_LABELS[node.lineage] : 'First prompt';
  const label = node.removed ? `${how}: removed` : `${how}: ${short(node.prompt, 60)}${node.seed !== null ? `, seed ${node.seed}` : ''}`;
  const body = node.removed ? (
    <span className="lineage-gone" aria-hidden="true">
      removed
    </span>
  ) : node.assetId && node.media === 'image' ? (
    <img src={`/files/${node.assetId}?thumb=1`} alt="" />
  ) : (
    <span className="lineage-gone" aria-hidden="true">
      {node.assetId ? 'video' : node.status === 'queued' || node.status === 'running' ? 'running' : node.status ?? '—'}
    </span>
  );
  return (
    <span className={`lineage-node ${current ? 'current' : ''}`} title={node.prompt ?? undefined}>
      {node.assetId && !current ? (
        <Link to={`/library/${node.assetId}`} aria-label={label}>
          {body}
        </Link>
      ) : current ? (
        // The page's own output (its picture is already shown above): marked, not announced again.
        <span aria-current="true">{body}</span>
      ) : (
        <span role="img" aria-label={label}>
          {body}
        </span>
      )}
      <span>{current ? 'This one' : node.removed ? 'Removed' : how}</span>
    </span>
  );
}

function Children({ items }: { items: LineageChild[] }) {
  return (
    <>
      {items.map((c) => (
        <li key={c.generationId ?? c.assetId}>
          <Thumb node={c} />
          {c.children.length > 0 ? (
            <ul aria-label="Made from it">
              <Children items={c.children} />
            </ul>
          ) : null}
        </li>
      ))}
    </>
  );
}

/**
 * Where this output came from (the chain back to the first prompt, a removed step shown as such)
 * and what was made from it (a small tree of thumbnails), with the one-click actions: run it again
 * identically, make variations, or use it as the reference of an edit.
 */
export function LineageTree({ assetId, media, prompt, mayGenerate }: { assetId: string; media: 'image' | 'video'; prompt: string | null; mayGenerate: boolean }) {
  const trpc = useTRPC();
  const toast = useToast();
  const navigate = useNavigate();
  const lineage = useQuery(trpc.generation.lineage.queryOptions({ assetId }));
  const start = useMutation(
    trpc.generation.fromAsset.mutationOptions({
      onSuccess: (g) => {
        toast({ tone: 'success', title: g.lineage === 'variation' ? `${g.count} variation${g.count === 1 ? '' : 's'} started` : 'Started again', body: short(g.prompt), href: '/studio', linkLabel: 'Studio' });
        navigate('/studio');
      },
      onError: (err) => toast({ tone: 'error', title: 'Could not start it', body: errorMessage(err) }),
    }),
  );
  const data = lineage.data;
  const self: LineageNode = { assetId, generationId: null, removed: false, media, prompt, model: null, seed: null, lineage: null, status: 'succeeded', createdAt: null };
  return (
    <section className="stack-s" aria-labelledby="lineage-heading">
      <h2 id="lineage-heading" className="small-heading">
        Lineage
      </h2>
      {lineage.isError ? (
        <p className="field-error">Its history could not be loaded. {errorMessage(lineage.error)}</p>
      ) : !data ? (
        <p className="muted small" aria-busy="true">
          Loading its history…
        </p>
      ) : (
        <div className="lineage">
          <ol className="lineage-chain" aria-label="Made from">
            {data.ancestors.map((n, i) => (
              <li key={`${n.generationId ?? 'gone'}-${i}`}>
                <Thumb node={n} />
              </li>
            ))}
            <li>
              <Thumb node={self} current />
            </li>
          </ol>
          {data.ancestors.length === 0 ? <p className="muted small">Made from its own prompt.</p> : null}
          {data.children.length > 0 ? (
            <>
              <h3 className="small-heading">Made from this</h3>
              <ul className="lineage-children" aria-label="Made from this">
                <Children items={data.children} />
              </ul>
              {data.truncated ? <p className="muted small">Only the first ones are shown.</p> : null}
            </>
          ) : null}
        </div>
      )}
      {mayGenerate && data && data.rerunCost !== null ? (
        <div className="row gap-s">
          <button type="button" className="button ghost small" disabled={start.isPending} onClick={() => start.mutate({ assetId, mode: 'rerun' })} title="Same prompt, model, seed, aspect ratio and references">
            Run again, identical{credits(data.rerunCost)}
          </button>
          <button type="button" className="button ghost small" disabled={start.isPending} onClick={() => start.mutate({ assetId, mode: 'variation' })} title="Same prompt and settings, new seeds">
            Make {data.variationCount} variation{data.variationCount === 1 ? '' : 's'}
            {credits(data.variationCost)}
          </button>
          {media === 'image' ? (
            <Link className="button ghost small" to={`/studio?reference=${assetId}`}>
              Use as reference for an edit
            </Link>
          ) : null}
        </div>
      ) : mayGenerate && media === 'image' ? (
        <Link className="button ghost small" to={`/studio?reference=${assetId}`}>
          Use as reference for an edit
        </Link>
      ) : null}
    </section>
  );
}
