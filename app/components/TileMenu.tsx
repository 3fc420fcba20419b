import { useEffect, useId, useRef, useState } from 'react';

/**
 * A small "More actions" menu on a library tile (menu button pattern): Enter, Space or ↓ opens it
 * with focus on the first item, ↑/↓ move, Escape or Tab closes it and focus returns to the button.
 */
export function TileMenu(props: { label: string; items: { label: string; onSelect: () => void }[] }) {
  const [open, setOpen] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const id = useId();
  const focusItem = (i: number) => {
    const items = listRef.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]');
    if (!items || items.length === 0) return;
    items[(i + items.length) % items.length]!.focus();
  };
  useEffect(() => {
    if (!open) return;
    focusItem(0);
    const away = (e: PointerEvent) => {
      if (!listRef.current?.contains(e.target as Node) && e.target !== buttonRef.current) setOpen(false);
    };
    document.addEventListener('pointerdown', away);
    return () => document.removeEventListener('pointerdown', away);
  }, [open]);
  const close = (refocus = true) => {
    setOpen(false);
    if (refocus) buttonRef.current?.focus();
  };
  return (
    <div className="tile-menu">
      <button
        ref={buttonRef}
        type="button"
        className="asset-more"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        aria-label={props.label}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setOpen(true);
          }
        }}
      >
        ⋯
      </button>
      {open ? (
        <div
          ref={listRef}
          id={id}
          role="menu"
          aria-label={props.label}
          className="tile-menu-list"
          onKeyDown={(e) => {
            const items = [...(listRef.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? [])];
            const at = items.indexOf(document.activeElement as HTMLButtonElement);
            if (e.key === 'Escape') {
              e.preventDefault();
              e.stopPropagation();
              close();
            } else if (e.key === 'ArrowDown') {
              e.preventDefault();
              focusItem(at + 1);
            } else if (e.key === 'ArrowUp') {
              e.preventDefault();
              focusItem(at - 1);
            } else if (e.key === 'Tab') {
              close(false);
            }
          }}
        >
          {props.items.map((item) => (
            <button
              key={item.label}
              type="button"
              role="menuitem"
              tabIndex={-1}
              onClick={() => {
                // Focus goes back to the menu button first, so a dialog the item opens returns it there.
                close();
                item.onSelect();
              }}
            >
              {item.label}
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}
