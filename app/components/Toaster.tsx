import { Link } from '@remix-run/react';
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';

export interface Toast {
  id: string;
  title: string;
  body?: string;
  tone?: 'success' | 'error' | 'info';
  href?: string;
  linkLabel?: string;
}

const ToastContext = createContext<(t: Omit<Toast, 'id'> & { id?: string }) => void>(() => {});

export function useToast() {
  return useContext(ToastContext);
}

/** Polite live region in the corner; toasts dismiss themselves after a few seconds or on Escape. */
export function Toaster({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const dismiss = useCallback((id: string) => {
    setToasts((list) => list.filter((t) => t.id !== id));
    clearTimeout(timers.current.get(id));
    timers.current.delete(id);
  }, []);
  const push = useCallback(
    (t: Omit<Toast, 'id'> & { id?: string }) => {
      const id = t.id ?? Math.random().toString(36).slice(2);
      setToasts((list) => [...list.filter((x) => x.id !== id), { ...t, id }].slice(-4));
      clearTimeout(timers.current.get(id));
      timers.current.set(id, setTimeout(() => dismiss(id), 6000));
    },
    [dismiss],
  );
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setToasts([]);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <ToastContext.Provider value={push}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.tone ?? 'info'}`}>
            <div className="toast-text">
              <strong>{t.title}</strong>
              {t.body ? <span>{t.body}</span> : null}
            </div>
            {t.href ? (
              <Link className="toast-link" to={t.href} onClick={() => dismiss(t.id)}>
                {t.linkLabel ?? 'View'}
              </Link>
            ) : null}
            <button type="button" className="icon-button" aria-label="Dismiss notification" onClick={() => dismiss(t.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
