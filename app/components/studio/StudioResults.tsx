/**
 * The studio's "Recent" list: the workspace's jobs as cards, with the queue count, an empty state,
 * and a visually hidden polite live region that reads out status changes and results
 * ("Generation done: 2 images") for screen-reader users.
 */
import type { ModelInfo } from '../../../server/shared/models.js';
import type { GenerationView } from '../../../server/shared/views.js';
import { GenerationCard, type GenerationCardActions } from '../GenerationCard.js';
import { QueuePanel } from './QueuePanel.js';

export function StudioResults({ jobs, models, actions, announcement, queue }: { jobs: GenerationView[]; models: ModelInfo[]; actions: GenerationCardActions; announcement: string; queue: { workspaceId: string | undefined; mayGenerate: boolean; mayCancel: boolean } }) {
  const active = jobs.filter((j) => j.status === 'queued' || j.status === 'running');
  const labelOf = (id: string) => models.find((m) => m.id === id)?.label;
  return (
    <section className="studio-results" aria-labelledby="results-heading">
      <QueuePanel workspaceId={queue.workspaceId} mayGenerate={queue.mayGenerate} mayCancel={queue.mayCancel} />
      <div className="section-head">
        <h2 id="results-heading">Recent</h2>
        <span className="muted small" aria-live="polite">
          {active.length > 0 ? `${active.length} in the queue` : ''}
        </span>
      </div>
      <p className="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid="studio-announcer">
        {announcement}
      </p>
      {jobs.length === 0 ? (
        <div className="panel empty-state">
          <h3>Nothing here yet</h3>
          <p className="muted">Describe an image on the left and press Generate. It appears here as it renders.</p>
        </div>
      ) : (
        <div className="gen-grid">
          {jobs.map((g) => (
            <GenerationCard key={g.id} gen={g} modelLabel={labelOf(g.model)} actions={actions} />
          ))}
        </div>
      )}
    </section>
  );
}
