import type { MetaFunction } from '@remix-run/node';
import { Link } from '@remix-run/react';
import { useState } from 'react';
import { POLICIES } from '../../server/shared/policies.js';
import { ConsentChoices, useConsent } from '../components/ConsentBanner.js';

export const meta: MetaFunction = () => [{ title: 'Cookies — Flux Klein' }];

/** What this site keeps in the browser and why, and where to change the choice. */
export default function Cookies() {
  const { consent, save } = useConsent();
  const [draft, setDraft] = useState({ preferences: consent.preferences, analytics: consent.analytics });
  const [saved, setSaved] = useState<string | null>(null);
  return (
    <article className="narrow-page prose">
      <h1>Cookies and local storage</h1>
      <p className="muted small">Version {POLICIES.cookies.version}</p>
      <h2>Necessary (always on)</h2>
      <p>
        A session cookie keeps you signed in (<code>better-auth.session_token</code>, HttpOnly). A cookie remembers the choice you make here (<code>fk_consent</code>), and one
        remembers which workspace you are in. Without these the product cannot work.
      </p>
      <h2>Preferences (optional)</h2>
      <p>
        The studio remembers your last model and settings in this browser (<code>fk:studio-settings</code> in local storage). If you turn this off, we delete it and the studio
        starts with the defaults each time.
      </p>
      <h2>Recent prompts and style presets (not cookies)</h2>
      <p>
        The studio’s list of your recent prompts is kept on our server as part of your library, not in this browser, so it is there on every device and does not depend on the
        preferences choice above. It holds the prompts (and negative prompts) you generated with, up to the last 200; remove one or all of them in the studio under “Recent
        prompts”, and they go with your account when you delete it. Style presets belong to the workspace they were saved in and are shared with its members.
      </p>
      <h2>Analytics (optional)</h2>
      <p>
        We count which pages and features are used, in our own database: the event, the page and the time, never your address, and nothing goes to anyone else. A random id in
        local storage (<code>fk:analytics-id</code>) is kept only while this is on. Turning it off stops the counting at once and deletes the id.
      </p>
      <h2>Your choice</h2>
      <form
        className="panel stack"
        onSubmit={(e) => {
          e.preventDefault();
          void save(draft, 'settings').then(() => setSaved('Saved. It applies in all your open tabs.'));
        }}
      >
        <ConsentChoices value={draft} onChange={setDraft} />
        <button type="submit" className="button primary">
          Save my choice
        </button>
        {saved ? <p role="status">{saved}</p> : null}
      </form>
      <p>
        Signed in? Your choices over time are listed on <Link to="/settings/privacy">Your data</Link>.
      </p>
    </article>
  );
}
