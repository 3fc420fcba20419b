import { LibraryListInput } from '../../server/shared/library.js';
import { LIBRARY_MORE as MORE, LIBRARY_PAGE as PAGE } from '../../server/shared/library-words.js';

/**
 * Filters live in the URL, so a filtered view can be bookmarked and the back button works. Read on
 * the server only (the loader), with the procedure's own schema; a `.server` module, so zod stays
 * out of the page's JavaScript (ADR 0024).
 */
export function filtersFrom(url: URL) {
  const sp = url.searchParams;
  const more = Number(sp.get('limit'));
  const parsed = LibraryListInput.safeParse({
    limit: sp.get('cursor') && more > 0 ? Math.min(more, MORE) : PAGE,
    cursor: sp.get('cursor') || undefined,
    kind: sp.get('kind') || undefined,
    q: sp.get('q') || undefined,
    model: sp.get('model') || undefined,
    favorites: sp.get('favorites') === '1' || undefined,
    saved: sp.get('saved') === '1' ? true : undefined,
    tag: sp.get('tag') || undefined,
    from: sp.get('from') || undefined,
  });
  return parsed.success ? parsed.data : { limit: PAGE, kind: 'all' as const };
}
