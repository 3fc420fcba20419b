/**
 * The "Keyboard shortcuts" dialog: `?` (outside a text field) opens it anywhere, listing the
 * shortcuts of the page (registered with usePageShortcuts) and the ones that work everywhere.
 * A native modal <dialog>: focus moves in and stays, Esc closes it, focus returns where it was.
 * `/` focuses the page's search or prompt field when the page names one.
 */
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { GLOBAL_SHORTCUTS, type ShortcutGroup } from '../lib/shortcuts.js';

interface PageShortcuts {
  groups: ShortcutGroup[];
  /** CSS selector of the field `/` jumps to. */
  slash?: string;
}

const Ctx = createContext<(p: PageShortcuts | null) => void>(() => {});

/** Registers the current page's shortcuts for the dialog (and the `/` target) while it is shown. */
export function usePageShortcuts(groups: ShortcutGroup[], opts: { slash?: string } = {}) {
  const set = useContext(Ctx);
  const { slash } = opts;
  useEffect(() => {
    set({ groups, slash });
    return () => set(null);
  }, [set, groups, slash]);
}

const typing = (t: EventTarget | null) => t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));

export function ShortcutsProvider({ children }: { children: ReactNode }) {
  const [page, setPage] = useState<PageShortcuts | null>(null);
  const [open, setOpen] = useState(false);
  const pageRef = useRef(page);
  pageRef.current = page;
  const register = useCallback((p: PageShortcuts | null) => setPage(p), []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      if (document.querySelector('dialog[open]')) return; // another dialog has the keyboard
      if (e.key === '?') {
        e.preventDefault();
        setOpen(true);
      } else if (e.key === '/' && pageRef.current?.slash) {
        const field = document.querySelector<HTMLElement>(pageRef.current.slash);
        if (field) {
          e.preventDefault();
          field.focus();
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <Ctx.Provider value={register}>
      {children}
      {open ? <ShortcutsDialog groups={[...(page?.groups ?? []), GLOBAL_SHORTCUTS]} onClose={() => setOpen(false)} /> : null}
    </Ctx.Provider>
  );
}

function ShortcutsDialog({ groups, onClose }: { groups: ShortcutGroup[]; onClose(): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (dialog && !dialog.open) dialog.showModal();
    return () => before?.focus();
  }, []);
  return (
    <dialog ref={ref} className="dialog shortcuts-dialog" aria-labelledby="shortcuts-heading" onClose={onClose}>
      <h2 id="shortcuts-heading">Keyboard shortcuts</h2>
      {groups.map((g) => (
        <section key={g.title} aria-labelledby={`shortcuts-${g.title.replace(/\W+/g, '-')}`} className="stack">
          <h3 id={`shortcuts-${g.title.replace(/\W+/g, '-')}`}>{g.title}</h3>
          <dl className="shortcut-list">
            {g.shortcuts.map((s) => (
              <div key={s.does} className="shortcut-row">
                <dt>
                  {s.keys.map((combo, i) => (
                    <span key={combo.join('+')}>
                      {i > 0 ? <span className="muted small"> or </span> : null}
                      {combo.map((k, j) => (
                        <span key={k}>
                          {j > 0 ? ' + ' : null}
                          <kbd>{k}</kbd>
                        </span>
                      ))}
                    </span>
                  ))}
                </dt>
                <dd>{s.does}</dd>
              </div>
            ))}
          </dl>
        </section>
      ))}
      <div className="row dialog-actions">
        <button type="button" className="button primary" onClick={() => ref.current?.close()} autoFocus>
          Close
        </button>
      </div>
    </dialog>
  );
}
