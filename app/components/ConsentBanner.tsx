import { Link, useLocation } from '@remix-run/react';
import { FormError } from './FormError.js';
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { ConsentChoice } from '../../server/shared/consent.js';
import { STORAGE_KEYS } from '../../server/shared/consent-storage.js';
import { useSocketEvent } from '../lib/realtime.js';

export interface ConsentState extends ConsentChoice {
  decided: boolean;
}

const ConsentContext = createContext<{ consent: ConsentState; save(choice: ConsentChoice, source: 'banner' | 'settings'): Promise<void> }>({
  consent: { decided: false, preferences: false, analytics: false },
  save: async () => {},
});
export const useConsent = () => useContext(ConsentContext);

/** Removes what a withdrawn category had stored in this browser. */
function clearWithdrawn(c: ConsentChoice) {
  for (const cat of ['preferences', 'analytics'] as const) {
    if (!c[cat]) for (const key of STORAGE_KEYS[cat]) window.localStorage.removeItem(key);
  }
}

/**
 * Holds the cookie choice for the page: saved on the server (and in the first-party consent cookie),
 * applied in every open tab, and used to gate analytics and remembered settings.
 */
export function ConsentProvider({ initial, children }: { initial: ConsentState; children: ReactNode }) {
  const [consent, setConsent] = useState(initial);
  const apply = useCallback((c: ConsentChoice) => {
    setConsent({ decided: true, ...c });
    clearWithdrawn(c);
    if (c.analytics && !window.localStorage.getItem('fk:analytics-id')) window.localStorage.setItem('fk:analytics-id', crypto.randomUUID());
  }, []);
  const save = useCallback(
    async (choice: ConsentChoice, source: 'banner' | 'settings') => {
      const res = await fetch('/api/consent', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ choice, source }) });
      if (!res.ok) throw new Error('Your choice could not be saved. Please try again.');
      apply(choice);
    },
    [apply],
  );
  useSocketEvent('consent:changed', apply);
  // First-party page views, only with consent.
  const location = useLocation();
  const last = useRef<string | null>(null);
  useEffect(() => {
    if (!consent.analytics || last.current === location.pathname) return;
    last.current = location.pathname;
    void fetch('/api/analytics', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'page_view', path: location.pathname.slice(0, 200) }) }).catch(() => {});
  }, [consent.analytics, location.pathname]);
  return <ConsentContext.Provider value={{ consent, save }}>{children}</ConsentContext.Provider>;
}

/** Choices for the categories, with what each one is for. */
export function ConsentChoices({ value, onChange }: { value: ConsentChoice; onChange(v: ConsentChoice): void }) {
  return (
    <div className="stack-s">
      <label className="checkbox">
        <input type="checkbox" checked disabled /> Necessary: your sign-in session, this choice, your current workspace. Always on.
      </label>
      <label className="checkbox">
        <input type="checkbox" checked={value.preferences} onChange={(e) => onChange({ ...value, preferences: e.target.checked })} /> Preferences: the studio remembers your
        last model and settings in this browser.
      </label>
      <label className="checkbox">
        <input type="checkbox" checked={value.analytics} onChange={(e) => onChange({ ...value, analytics: e.target.checked })} /> Analytics: which pages and features are used, kept
        by us only (no third parties, no address).
      </label>
    </div>
  );
}

/** Shown until a choice is made. Accept, reject and choose are equally easy. */
export function ConsentBanner() {
  const { consent, save } = useConsent();
  const [choosing, setChoosing] = useState(false);
  const [draft, setDraft] = useState<ConsentChoice>({ preferences: false, analytics: false });
  const [error, setError] = useState<string | null>(null);
  if (consent.decided) return null;
  const decide = (c: ConsentChoice) => save(c, 'banner').catch((e: Error) => setError(e.message));
  return (
    <section className="consent-banner" role="region" aria-label="Cookie choices">
      <div className="consent-text">
        <h2>Cookies and local storage</h2>
        <p>
          We use what is necessary to keep you signed in. With your consent we also remember your studio settings and count page views ourselves. Without it, those features
          are off. <Link to="/cookies">Cookie policy</Link>
        </p>
        {choosing ? <ConsentChoices value={draft} onChange={setDraft} /> : null}
        <FormError message={error} />
      </div>
      <div className="consent-actions">
        {choosing ? (
          <button type="button" className="button primary" onClick={() => decide(draft)}>
            Save my choice
          </button>
        ) : (
          <>
            <button type="button" className="button primary" onClick={() => decide({ preferences: true, analytics: true })}>
              Accept all
            </button>
            <button type="button" className="button primary" onClick={() => decide({ preferences: false, analytics: false })}>
              Reject all
            </button>
            <button type="button" className="button primary" onClick={() => setChoosing(true)}>
              Choose
            </button>
          </>
        )}
      </div>
    </section>
  );
}
