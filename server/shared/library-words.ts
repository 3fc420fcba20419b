/**
 * The library's constants without zod, for pages to import (zod stays off their first load, ADR
 * 0024); server/shared/library.ts builds its schemas from these and re-exports them.
 */
export const LIBRARY_KINDS = ['all', 'images', 'videos', 'uploads'] as const;
export const MAX_TAGS = 10;
/** The library page's first page, and the larger pages loaded while scrolling (fewer round trips through a big library). */
export const LIBRARY_PAGE = 24;
export const LIBRARY_MORE = 96;
