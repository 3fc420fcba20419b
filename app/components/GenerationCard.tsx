import { Link } from '@remix-run/react';
import type { GenerationView } from '../../server/shared/views.js';
import { timeAgo } from '../lib/format.js';
import { isPreviewProvider, providerLabel } from '../../server/shared/providers.js';
import { SensitiveMedia } from './SensitiveMedia.js';

const STATUS_LABEL: Record<GenerationView['status'], string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Done',
  failed: 'Failed',
  canceled: 'Canceled',
};

/** What can be done to a job; an action left out (the person's role cannot take it) is not shown. */
export interface GenerationCardActions {
  onCancel?(id: string): void;
  onRerun?(gen: GenerationView, seed: number | null | undefined): void;
  onReuse(gen: GenerationView): void;
  onUseAsReference?(assetId: string): void;
  onKeep?(assetId: string, saved: boolean): void;
}

/** One job: live status and progress, then its outputs with what can be done to each. */
export function GenerationCard({ gen, actions, modelLabel }: { gen: GenerationView; actions: GenerationCardActions; modelLabel?: string }) {
  const active = gen.status === 'queued' || gen.status === 'running';
  const ratio = `${gen.width} / ${gen.height}`;
  const done = gen.status === 'succeeded' && gen.assets.length > 0;
  return (
    <article className={`gen-card status-${gen.status}`} aria-label={`Generation: ${gen.prompt}`}>
      <div className={`gen-media outputs-${done ? gen.assets.length : 1}`}>
        {done ? (
          gen.assets.map((a, i) => (
            <figure key={a.id} className="gen-output" style={{ aspectRatio: ratio }}>
              <SensitiveMedia verdict={a.moderation} what={`output ${i + 1}`}>
                <Link to={`/library/${a.id}`} className="gen-image-link" aria-label={`Open output ${i + 1}`}>
                  {a.mime === 'video/mp4' ? (
                    <video src={a.url} muted loop autoPlay playsInline aria-label={gen.prompt} width={a.width ?? undefined} height={a.height ?? undefined} />
                  ) : (
                    <img src={a.media === 'video' ? a.url : `${a.url}?thumb=1`} alt={gen.prompt} width={a.width ?? undefined} height={a.height ?? undefined} loading="lazy" />
                  )}
                </Link>
              </SensitiveMedia>
              <figcaption className="output-actions">
                {actions.onKeep ? (
                  <button type="button" className={`chip-button ${a.saved ? 'on' : ''}`} aria-pressed={a.saved} onClick={() => actions.onKeep!(a.id, !a.saved)}>
                    {a.saved ? 'Kept' : 'Keep'}
                  </button>
                ) : a.saved ? (
                  <span className="badge">Kept</span>
                ) : null}
                {a.media === 'image' && actions.onUseAsReference ? (
                  <button type="button" className="chip-button" onClick={() => actions.onUseAsReference!(a.id)}>
                    Use as reference
                  </button>
                ) : null}
              </figcaption>
            </figure>
          ))
        ) : (
          <div className="gen-placeholder" style={{ aspectRatio: ratio }} aria-hidden={gen.status === 'succeeded' ? undefined : true}>
            {active ? <div className="shimmer" /> : null}
            {/* Finished, but nothing to show: its outputs were deleted or hidden by moderators. */}
            {gen.status === 'succeeded' ? <p className="small muted gen-gone">Its outputs were deleted or hidden.</p> : null}
          </div>
        )}
      </div>
      <div className="gen-body">
        <div className="gen-status-row">
          <span className={`pill pill-${gen.status}`} data-testid="generation-status">
            {STATUS_LABEL[gen.status]}
            {gen.status === 'running' ? ` ${gen.progress}%` : ''}
          </span>
          <span className="muted small" suppressHydrationWarning>
            {timeAgo(gen.createdAt)}
          </span>
        </div>
        {active ? (
          <div className="progress" role="progressbar" aria-label="Generation progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={gen.progress}>
            <div className="progress-bar" style={{ width: `${gen.status === 'queued' ? 2 : gen.progress}%` }} />
          </div>
        ) : null}
        {gen.status === 'succeeded' && (gen.withheld > 0 || gen.creditsReturned > 0) ? (
          <p className="muted small" data-testid="generation-partial">
            {gen.withheld > 0 ? `${gen.withheld === 1 ? 'One output is' : `${gen.withheld} outputs are`} withheld: classified as sexual content, which this workspace does not allow. ` : ''}
            {gen.creditsReturned > 0
              ? `You were charged only for what you got: ${gen.creditsReturned} of ${gen.creditCost} credit${gen.creditCost === 1 ? '' : 's'} ${gen.creditsReturned === 1 ? 'was' : 'were'} returned.`
              : ''}
          </p>
        ) : null}
        {gen.status === 'queued' && gen.errorMessage ? <p className="muted small">{gen.errorMessage}</p> : null}
        {active && gen.statusMessage ? (
          <p className="gen-status-line" data-testid="provider-status">
            {gen.statusMessage}
          </p>
        ) : null}
        <p className="gen-prompt">{gen.prompt}</p>
        {gen.status === 'failed' && gen.errorMessage ? (
          <p className="field-error" role="alert">
            {gen.errorMessage}
          </p>
        ) : null}
        <p className="gen-meta-line">
          {modelLabel ?? gen.model}
          {isPreviewProvider(gen.provider) ? '' : ` · ${gen.status === 'succeeded' ? 'made on' : 'on'} ${providerLabel(gen.provider)}`} · {gen.kind === 'video' ? `${gen.durationSeconds}s · ${gen.fps} fps` : gen.aspectRatio} · seed {gen.seed}
          {gen.referenceIds.length > 0 ? ` · ${gen.referenceIds.length} ref${gen.referenceIds.length > 1 ? 's' : ''}` : ''}
        </p>
        <div className="gen-actions">
          {active ? (
            actions.onCancel ? (
              <button type="button" className="button ghost small" onClick={() => actions.onCancel!(gen.id)}>
                Cancel
              </button>
            ) : null
          ) : actions.onRerun ? (
            <>
              {gen.status === 'failed' || gen.status === 'canceled' ? (
                <button type="button" className="button ghost small" onClick={() => actions.onRerun!(gen, undefined)}>
                  Retry
                </button>
              ) : (
                <button type="button" className="button ghost small" onClick={() => actions.onRerun!(gen, undefined)} title="Run again with the same seed">
                  Re-run
                </button>
              )}
              <button type="button" className="button ghost small" onClick={() => actions.onRerun!(gen, null)} title="Run again with a new random seed">
                Vary
              </button>
            </>
          ) : null}
          <button type="button" className="button ghost small" onClick={() => actions.onReuse(gen)} title="Put these settings in the form">
            Edit
          </button>
        </div>
      </div>
    </article>
  );
}
