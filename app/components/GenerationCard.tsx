import { Link } from '@remix-run/react';
import type { GenerationView } from '../../server/services/generations.js';
import { timeAgo } from '../lib/format.js';

const STATUS_LABEL: Record<GenerationView['status'], string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Done',
  failed: 'Failed',
  canceled: 'Canceled',
};

export function GenerationCard({ gen, onCancel, onReuse }: { gen: GenerationView; onCancel?: (id: string) => void; onReuse?: (gen: GenerationView) => void }) {
  const active = gen.status === 'queued' || gen.status === 'running';
  const ratio = `${gen.width} / ${gen.height}`;
  return (
    <article className={`gen-card status-${gen.status}`} aria-label={`Generation: ${gen.prompt}`}>
      <div className="gen-media" style={{ aspectRatio: ratio }}>
        {gen.status === 'succeeded' && gen.assets.length > 0 ? (
          gen.assets.map((a) => (
            <Link key={a.id} to={`/library/${a.id}`} className="gen-image-link">
              <img src={`${a.url}?thumb=1`} alt={gen.prompt} width={a.width ?? undefined} height={a.height ?? undefined} loading="lazy" />
            </Link>
          ))
        ) : (
          <div className="gen-placeholder" aria-hidden="true">
            {active ? <div className="shimmer" /> : null}
          </div>
        )}
      </div>
      <div className="gen-body">
        <div className="gen-status-row">
          <span className={`pill pill-${gen.status}`} data-testid="generation-status">
            {STATUS_LABEL[gen.status]}
            {gen.status === 'running' ? ` ${gen.progress}%` : ''}
          </span>
          <span className="muted small">{timeAgo(gen.createdAt)}</span>
        </div>
        {active ? (
          <div
            className="progress"
            role="progressbar"
            aria-label="Generation progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={gen.progress}
          >
            <div className="progress-bar" style={{ width: `${gen.status === 'queued' ? 2 : gen.progress}%` }} />
          </div>
        ) : null}
        <p className="gen-prompt">{gen.prompt}</p>
        {gen.status === 'failed' && gen.errorMessage ? (
          <p className="field-error" role="alert">
            {gen.errorMessage}
          </p>
        ) : null}
        <div className="gen-meta">
          <span>
            {gen.aspectRatio} · seed {gen.seed}
          </span>
          <span className="row gap-s">
            {onReuse ? (
              <button type="button" className="button ghost small" onClick={() => onReuse(gen)}>
                Reuse
              </button>
            ) : null}
            {active && onCancel ? (
              <button type="button" className="button ghost small" onClick={() => onCancel(gen.id)}>
                Cancel
              </button>
            ) : null}
          </span>
        </div>
      </div>
    </article>
  );
}
