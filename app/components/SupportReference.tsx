import { createContext, useContext, useEffect, useState } from 'react';

/**
 * The request id of the page being served (set by app/entry.server.tsx from the load context), so
 * an error page can show it: the id names that request's lines in the server log, and a person can
 * quote it to support.
 */
export const RequestIdContext = createContext<string | null>(null);

const ELEMENT_ID = 'support-reference';
/** True until the first page rendered by the server has hydrated; afterwards only the server's value is taken. */
let hydrating = typeof document !== 'undefined';

/**
 * "Reference: <id>" on an error page rendered by the server. In the browser it keeps the id the
 * server rendered (read back once, while hydrating); an error after a client-side navigation has no
 * server-rendered id, and asks for a reload instead, which renders the page, and its id, anew.
 */
export function SupportReference() {
  const fromServer = useContext(RequestIdContext);
  const [id] = useState<string | null>(() => fromServer ?? (hydrating ? (document.getElementById(ELEMENT_ID)?.textContent ?? null) : null));
  useEffect(() => {
    hydrating = false;
  }, []);
  if (!id) return <p className="muted">If it keeps happening, reload the page: it then shows a reference you can quote to support.</p>;
  return (
    <p>
      If you contact support, please quote this reference: <code id={ELEMENT_ID}>{id}</code>
    </p>
  );
}
