import { Link } from '@remix-run/react';
import { FormError } from './FormError.js';
import { useState } from 'react';

export interface PendingPolicy {
  policy: string;
  title: string;
  path: string;
  version: string;
  summary: string;
}

/** Tells a signed-in person which policies changed, with a summary; their acceptance is recorded per version. */
export function PolicyNotice({ policies }: { policies: PendingPolicy[] }) {
  const [hidden, setHidden] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (hidden || policies.length === 0) return null;
  const accept = async () => {
    const res = await fetch('/api/policies/accept', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => null);
    if (res?.ok) setHidden(true);
    else setError('That did not work. Please try again.');
  };
  return (
    <section className="policy-notice" role="region" aria-label="Policy updates">
      <div>
        <strong>Our policies have news for you.</strong>
        <ul>
          {policies.map((p) => (
            <li key={p.policy}>
              <Link to={p.path}>{p.title}</Link> (version {p.version}): {p.summary}
            </li>
          ))}
        </ul>
        <FormError message={error} />
      </div>
      <button type="button" className="button primary small" onClick={accept}>
        I have read them
      </button>
    </section>
  );
}
