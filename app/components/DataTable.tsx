import { useEffect, useRef, useState, type ReactNode } from 'react';

/** A column's heading: its text, or `{ hidden: text }` for a heading only screen readers announce (an actions column, say). */
export type Column = string | { hidden: string };

/**
 * The product's data table: column headings with `scope="col"`, one row per item, and what to
 * show instead when there is none. The table scrolls sideways inside its wrapper on a narrow
 * screen rather than widening the page; while it does, the wrapper is a named region in the tab
 * order, so the arrow keys can scroll it too.
 */
export function DataTable<T>({
  columns,
  rows,
  rowKey,
  cells,
  empty,
  wrap = 'table-wrap',
  caption,
  label,
  describedBy,
}: {
  columns: readonly Column[];
  rows: readonly T[];
  rowKey: (row: T, index: number) => string | number;
  /** The row's cells: `<td>`s, the first may be a `<th scope="row">`. */
  cells: (row: T, index: number) => ReactNode;
  /** Shown instead of the table when there are no rows (nothing if absent: an empty table with its headings). */
  empty?: ReactNode;
  /** The wrapper's class names. */
  wrap?: string;
  /** What the table lists: its accessible name (and the scroller's), unless a caption names it. */
  label: string;
  /** A caption only screen readers read. */
  caption?: string;
  describedBy?: string;
}) {
  if (rows.length === 0 && empty !== undefined) return <>{empty}</>;
  return (
    <Scroller className={wrap} label={label}>
      <table className="table" aria-label={caption ? undefined : label} aria-describedby={describedBy}>
        {caption ? <caption className="visually-hidden">{caption}</caption> : null}
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={typeof c === 'string' ? c : c.hidden}>
                {typeof c === 'string' ? c : <span className="visually-hidden">{c.hidden}</span>}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={rowKey(row, i)}>{cells(row, i)}</tr>
          ))}
        </tbody>
      </table>
    </Scroller>
  );
}

/** A box that scrolls sideways when its content is wider; focusable only while it does. */
function Scroller({ className, label, children }: { className: string; label: string; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const check = () => setScrolls(el.scrollWidth > el.clientWidth + 1);
    check();
    const observer = new ResizeObserver(check);
    observer.observe(el);
    if (el.firstElementChild) observer.observe(el.firstElementChild);
    return () => observer.disconnect();
  }, []);
  return (
    <div ref={ref} className={className} {...(scrolls ? { role: 'region', 'aria-label': label, tabIndex: 0 } : {})}>
      {children}
    </div>
  );
}
