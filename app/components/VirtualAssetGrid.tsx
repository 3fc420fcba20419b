/**
 * The library grid, virtualised: however many items are loaded (tens of thousands after a long
 * scroll), only the rows on screen and a few around them are in the DOM. Rows scroll with the
 * page (window virtualiser); the number of columns follows the grid's width as the CSS grid did
 * (tiles of at least 200 px, two columns on a phone). Reaching the end of what is loaded asks for
 * the next page (`onEndReached`). Keyboard: Tab moves through the rendered tiles, and the browser
 * scrolls each focused tile into view, which renders the next rows before Tab reaches them.
 */
import { useWindowVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { LIBRARY_PAGE } from '../../server/shared/library-words.js';

const MIN_TILE = 200;
const GAP = 12; // --space-3
const PHONE = 600;
/** Items in the server's HTML: the library's first page. */
const FIRST_PAINT = LIBRARY_PAGE;

const useIsoLayoutEffect = typeof window === 'undefined' ? useEffect : useLayoutEffect;

export function columnsFor(width: number): number {
  if (width <= PHONE) return 2;
  return Math.max(1, Math.floor((width + GAP) / (MIN_TILE + GAP)));
}

export function VirtualAssetGrid<T extends { id: string }>(props: {
  items: T[];
  label: string;
  /** Called once the last loaded row is about to come into view. */
  onEndReached?: () => void;
  renderItem: (item: T, index: number) => ReactNode;
  itemClassName: (item: T) => string;
}) {
  const { items, onEndReached } = props;
  const ref = useRef<HTMLUListElement>(null);
  const [width, setWidth] = useState(1100);
  const [offset, setOffset] = useState(0);
  /** False in the server's HTML and while it hydrates: the first rows are then a plain CSS grid. */
  const [measured, setMeasured] = useState(false);
  useIsoLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => {
      setWidth(el.clientWidth || 1100);
      setOffset(el.getBoundingClientRect().top + window.scrollY);
    };
    update();
    setMeasured(true);
    const ro = new ResizeObserver(update);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const cols = columnsFor(width);
  const gap = width <= PHONE ? 8 : GAP;
  const tile = (width - gap * (cols - 1)) / cols;
  const rowCount = Math.ceil(items.length / cols);
  const virtualizer = useWindowVirtualizer({
    count: rowCount,
    estimateSize: () => tile + gap,
    overscan: 3,
    scrollMargin: offset,
    initialRect: { width: 1100, height: 900 },
  });
  const rows = virtualizer.getVirtualItems();
  const lastRow = rows[rows.length - 1]?.index ?? -1;
  useEffect(() => {
    if (onEndReached && rowCount > 0 && lastRow >= rowCount - 2) onEndReached();
  }, [lastRow, rowCount, onEndReached]);

  if (!measured) {
    // The server cannot know the screen's width, so its HTML lays the first page out with CSS (the
    // same columns, gaps and square tiles the virtual rows compute from the measured width): the
    // first paint is right on a phone as on a desktop, and nothing moves when the rows take over.
    return (
      <ul ref={ref} className="asset-grid first-paint" aria-label={props.label}>
        {items.slice(0, FIRST_PAINT).map((item, index) => (
          <li key={item.id} className={props.itemClassName(item)} aria-setsize={items.length} aria-posinset={index + 1}>
            {props.renderItem(item, index)}
          </li>
        ))}
      </ul>
    );
  }
  return (
    <ul ref={ref} className="asset-grid virtual" aria-label={props.label} style={{ height: virtualizer.getTotalSize() }}>
      {rows.flatMap((row) =>
        items.slice(row.index * cols, row.index * cols + cols).map((item, c) => {
          const index = row.index * cols + c;
          return (
            <li
              key={item.id}
              className={props.itemClassName(item)}
              aria-setsize={items.length}
              aria-posinset={index + 1}
              // `top`, not a transform: a transform would make each tile a stacking context, and a tile's open menu would go under the next row.
              style={{ position: 'absolute', top: row.start - virtualizer.options.scrollMargin, left: c * (tile + gap), width: tile }}
            >
              {props.renderItem(item, index)}
            </li>
          );
        }),
      )}
    </ul>
  );
}
