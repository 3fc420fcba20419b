/**
 * What the studio's polite live region says about a job when its status changes: "Generation
 * done: 2 images". Only status changes (and a result's arrival) are words; progress ticks are not.
 * Returns null while there is nothing new to say (a succeeded job whose outputs are still being
 * fetched is announced when they arrive).
 */
import type { GenerationView } from '../../../server/shared/views.js';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

export function announcementFor(g: Pick<GenerationView, 'status' | 'kind' | 'assets' | 'withheld' | 'errorMessage'>): string | null {
  switch (g.status) {
    case 'queued':
      return 'Generation queued.';
    case 'running':
      return 'Generation running.';
    case 'failed':
      return `Generation failed${g.errorMessage ? `: ${g.errorMessage}` : '.'}`;
    case 'canceled':
      return 'Generation canceled.';
    case 'succeeded': {
      const shown = g.assets.length;
      if (shown === 0 && g.withheld === 0) return null;
      const videos = g.assets.filter((a) => a.media === 'video').length;
      const parts = [videos > 0 ? plural(videos, 'video') : null, shown - videos > 0 || shown === 0 ? plural(shown - videos, 'image') : null].filter(Boolean);
      const withheld = g.withheld > 0 ? `, ${g.withheld} withheld by the content policy` : '';
      return `Generation done: ${parts.join(' and ')}${withheld}.`;
    }
  }
}
