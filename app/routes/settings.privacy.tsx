import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { FormError } from '../components/FormError.js';
import { Link, useLoaderData, useNavigate, useRevalidator } from '@remix-run/react';
import { useMutation } from '@tanstack/react-query';
import { useCallback, useState, type FormEvent } from 'react';
import { formatBytes } from '../lib/format.js';
import { PRIVACY_REQUEST_KINDS } from '../../server/shared/privacy-words.js';
import { useConsent } from '../components/ConsentBanner.js';
import { useSocketEvent } from '../lib/realtime.js';
import { requireUser } from '../lib/session.server.js';
import { errorMessage, useTRPC } from '../lib/trpc.js';

export const meta: MetaFunction = () => [{ title: 'Your data — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { trpc } = await requireUser(request, context);
  const [exports, requests, consentHistory] = await Promise.all([trpc.privacy.exports(), trpc.privacy.myRequests(), trpc.privacy.consentHistory()]);
  const { retention } = context.publicConfig;
  return { exports, requests, consentHistory, graceDays: retention.deletionGraceDays, exportDays: retention.exportDays };
}

const REQUEST_LABELS: Record<(typeof PRIVACY_REQUEST_KINDS)[number], string> = {
  access: 'Seeing my data',
  correction: 'Correcting my data',
  deletion: 'Deleting my data',
  portability: 'Taking my data elsewhere',
  objection: 'Objecting to a use of my data',
};

const STATUS: Record<string, string> = { queued: 'Being prepared…', ready: 'Ready', failed: 'Failed', expired: 'Expired' };

export default function PrivacySettings() {
  const { exports, requests, consentHistory: history, graceDays, exportDays } = useLoaderData<typeof loader>();
  const { consent } = useConsent();
  const trpc = useTRPC();
  const revalidator = useRevalidator();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const [password, setPassword] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [kind, setKind] = useState<(typeof PRIVACY_REQUEST_KINDS)[number]>('access');
  const [message, setMessage] = useState('');
  const [sent, setSent] = useState(false);
  const createRequest = useMutation(
    trpc.privacy.createRequest.mutationOptions({
      onSuccess: () => {
        setMessage('');
        setSent(true);
        revalidator.revalidate();
      },
      onError: (e) => setError(errorMessage(e)),
    }),
  );
  const requestExport = useMutation(trpc.privacy.requestExport.mutationOptions({ onSuccess: () => revalidator.revalidate(), onError: (e) => setError(errorMessage(e)) }));
  const requestDeletion = useMutation(
    trpc.privacy.requestDeletion.mutationOptions({
      onSuccess: () => navigate('/?deleted=1'),
      onError: (e) => setError(errorMessage(e)),
    }),
  );
  useSocketEvent('export:ready', useCallback(() => revalidator.revalidate(), [revalidator]));
  useSocketEvent(
    'notification:new',
    useCallback((n: { kind: string }) => {
      if (n.kind === 'export_failed') revalidator.revalidate();
    }, [revalidator]),
  );
  const onDelete = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    requestDeletion.mutate({ password });
  };
  return (
    <div className="narrow-page">
      <div className="section-head">
        <h1>Your data</h1>
        <Link to="/settings/account">Account</Link>
      </div>
      <FormError message={error} />
      <section className="panel stack" aria-labelledby="export-heading">
        <h2 id="export-heading">Download my data</h2>
        <p>
          A ZIP with your account, sign-in methods, workspaces, generations with their prompts and settings, credits and billing details, board comments, the share links, API keys and webhooks you made (never their secrets), consent and usage records, and all your images and videos.
          We tell you when it is ready; the download works for you only, for {exportDays} days.
        </p>
        <button type="button" className="button primary" onClick={() => requestExport.mutate()} disabled={requestExport.isPending}>
          {requestExport.isPending ? 'Starting…' : 'Prepare my export'}
        </button>
        {exports.length > 0 ? (
          <ul className="session-list" aria-label="Exports" aria-live="polite">
            {exports.map((x) => (
              <li key={x.id}>
                <div>
                  <strong>{STATUS[x.status]}</strong>
                  {x.status === 'failed' ? <div className="small">We could not prepare this export. Try again; if it fails again, send us a request below.</div> : null}
                  <div className="muted small">
                    Asked {new Date(x.createdAt).toLocaleString('en')}
                    {x.sizeBytes ? ` · ${formatBytes(x.sizeBytes)}` : ''}
                    {x.expiresAt && x.status === 'ready' ? ` · until ${new Date(x.expiresAt).toLocaleDateString('en')}` : ''}
                  </div>
                </div>
                {x.status === 'ready' && x.url ? (
                  <a className="button ghost small" href={x.url} download>
                    Download
                  </a>
                ) : null}
                {x.status === 'failed' && x.id === exports[0]?.id ? (
                  <button type="button" className="button ghost small" onClick={() => requestExport.mutate()} disabled={requestExport.isPending}>
                    Try again
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
        ) : null}
      </section>
      <section className="panel stack" aria-labelledby="consent-heading">
        <h2 id="consent-heading">Cookies and analytics</h2>
        <p>
          Now: preferences {consent.preferences ? 'on' : 'off'}, analytics {consent.analytics ? 'on' : 'off'}. <Link to="/cookies">Change</Link>
        </p>
        {history.length > 0 ? (
          <ul className="session-list" aria-label="Consent history">
            {history.map((h) => (
              <li key={String(h.created_at)}>
                <span>
                  Preferences {h.preferences ? 'on' : 'off'}, analytics {h.analytics ? 'on' : 'off'}
                </span>
                <span className="muted small">
                  {new Date(h.created_at).toLocaleString('en')} · {h.source === 'visitor-cookie' ? 'chosen before signing in' : h.source} · policy {h.policy_version}
                </span>
              </li>
            ))}
          </ul>
        ) : null}
      </section>
      <section className="panel stack" aria-labelledby="request-heading">
        <h2 id="request-heading">Another request about your data</h2>
        <p>For anything the buttons on this page do not cover, including objecting to a use of your data. We answer by email.</p>
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            setError(null);
            setSent(false);
            createRequest.mutate({ kind, message });
          }}
        >
          <div className="field">
            <label htmlFor="request-kind">About</label>
            <select id="request-kind" value={kind} onChange={(e) => setKind(e.target.value as typeof kind)}>
              {PRIVACY_REQUEST_KINDS.map((k) => (
                <option key={k} value={k}>
                  {REQUEST_LABELS[k]}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="request-message">Your request</label>
            <textarea id="request-message" value={message} onChange={(e) => setMessage(e.target.value)} rows={4} maxLength={2000} required />
          </div>
          <button type="submit" className="button primary" disabled={createRequest.isPending}>
            Send the request
          </button>
          {sent ? <p role="status">Sent. You can follow its status below.</p> : null}
        </form>
        {requests.length > 0 ? (
          <ul className="session-list" aria-label="Your requests">
            {requests.map((r) => (
              <li key={r.id}>
                <span>
                  {REQUEST_LABELS[r.kind]} · {new Date(r.created_at).toLocaleDateString('en')}
                </span>
                <span className="pill">{r.status.replace('_', ' ')}</span>
              </li>
            ))}
          </ul>
        ) : null}
      </section>
      <section id="delete-account" className="panel stack" aria-labelledby="delete-heading">
        <h2 id="delete-heading">Delete my account</h2>
        <p>
          Your account is deleted {graceDays} days after you ask; signing in before then cancels it. Then we remove your files, prompts, generations, sessions and logs. Team
          workspaces you own pass to their next admin or member; your personal workspace is deleted. Billing and audit records are kept, without your name or address.
        </p>
        {confirming ? (
          <form onSubmit={onDelete} className="stack confirm">
            <div className="field">
              <label htmlFor="delete-password">Your password, to confirm</label>
              <input id="delete-password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
            </div>
            <div className="row gap">
              <button type="submit" className="button danger" disabled={requestDeletion.isPending}>
                {requestDeletion.isPending ? 'Scheduling…' : 'Delete my account'}
              </button>
              <button type="button" className="button ghost" onClick={() => setConfirming(false)}>
                Keep my account
              </button>
            </div>
          </form>
        ) : (
          <button type="button" className="button danger-ghost" onClick={() => setConfirming(true)}>
            Delete my account…
          </button>
        )}
      </section>
    </div>
  );
}
