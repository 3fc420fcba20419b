import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useRevalidator } from '@remix-run/react';
import { useMutation } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { FormError } from '../components/FormError.js';
import { API_SCOPE_LABELS, API_SCOPES, WEBHOOK_EVENT_LABELS, WEBHOOK_EVENTS, type ApiScopeName, type WebhookEvent } from '../../server/shared/api-words.js';
import { can } from '../../server/shared/permissions.js';
import { requireUser } from '../lib/session.server.js';
import { pickWorkspace } from '../lib/workspace.server.js';
import { errorMessage, useTRPC } from '../lib/trpc.js';
import { DataTable } from '../components/DataTable.js';

export const meta: MetaFunction = () => [{ title: 'API and webhooks — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { me, trpc } = await requireUser(request, context);
  const workspace = pickWorkspace(request, me.workspaces);
  const manages = workspace ? can(workspace.role, 'api.manage') : false;
  const [keys, webhooks] = await Promise.all([trpc.api.keys({ workspaceId: workspace?.id }), manages && workspace ? trpc.api.webhooks({ workspaceId: workspace.id }) : Promise.resolve(null)]);
  return { workspace, manages, keys, webhooks, baseUrl: context.publicConfig.baseUrl };
}

type Data = ReturnType<typeof useLoaderData<typeof loader>>;
type KeyRow = Data['keys']['personal'][number];
type Webhook = NonNullable<Data['webhooks']>[number];

const when = (d: string | Date | null) => (d ? new Date(d).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' }) : null);

/** The secret of something just made, shown once with a copy button. */
function ShownOnce({ label, value, note, onDone }: { label: string; value: string; note: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const ref = useRef<HTMLInputElement>(null);
  return (
    <div className="panel notice stack-s" role="status">
      <label htmlFor="shown-once">{label}</label>
      <div className="row gap-s">
        <input id="shown-once" ref={ref} className="grow" readOnly value={value} onFocus={(e) => e.currentTarget.select()} spellCheck={false} />
        <button
          type="button"
          className="button ghost small"
          onClick={() => {
            ref.current?.select();
            void navigator.clipboard?.writeText(value).then(() => setCopied(true), () => setCopied(false));
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p className="small">{note}</p>
      <div>
        <button type="button" className="button small" onClick={onDone}>
          I have saved it
        </button>
      </div>
    </div>
  );
}

function KeyList({ label, keys, onRevoke, busy }: { label: string; keys: KeyRow[]; onRevoke: (k: KeyRow) => void; busy: boolean }) {
  const [confirming, setConfirming] = useState<string | null>(null);
  if (keys.length === 0) return <p className="muted">No keys yet.</p>;
  return (
    <ul className="session-list" aria-label={label}>
      {keys.map((k) => (
        <li key={k.id}>
          <div>
            <strong>{k.name}</strong> <code className="small">{k.prefix}…</code>
            <div className="muted small">
              {k.scopes.join(' + ')} · made {when(k.createdAt)}
              {k.kind === 'workspace' ? ` by ${k.createdBy}` : ''} · {k.lastUsedAt ? `last used ${when(k.lastUsedAt)}` : 'never used'}
            </div>
            {k.revokedAt ? <div className="small">Revoked {when(k.revokedAt)}</div> : null}
          </div>
          {k.revokedAt ? null : confirming === k.id ? (
            <span className="row gap-s">
              <span className="small">Programs using it stop working at once.</span>
              <button type="button" className="button danger small" disabled={busy} onClick={() => onRevoke(k)}>
                Revoke {k.name}
              </button>
              <button type="button" className="button ghost small" onClick={() => setConfirming(null)}>
                Keep it
              </button>
            </span>
          ) : (
            <button type="button" className="button ghost small" aria-label={`Revoke key ${k.name}`} onClick={() => setConfirming(k.id)}>
              Revoke
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

function KeysSection({ data }: { data: Data }) {
  const trpc = useTRPC();
  const revalidator = useRevalidator();
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiScopeName[]>(['read']);
  const [owner, setOwner] = useState<'me' | 'workspace'>('me');
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const team = data.workspace && data.workspace.kind !== 'personal' && data.manages ? data.workspace : null;
  const create = useMutation(
    trpc.api.createKey.mutationOptions({
      onSuccess: (r) => {
        setCreated({ name: r.key.name, token: r.token });
        setName('');
        revalidator.revalidate();
      },
      onError: (e) => setError(errorMessage(e)),
    }),
  );
  const revoke = useMutation(trpc.api.revokeKey.mutationOptions({ onSuccess: () => revalidator.revalidate(), onError: (e) => setError(errorMessage(e)) }));
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    create.mutate({ name, scopes, ...(owner === 'workspace' && team ? { workspaceId: team.id } : {}) });
  };
  return (
    <section className="panel stack" aria-labelledby="keys-heading">
      <h2 id="keys-heading">API keys</h2>
      <p>
        A key lets a program use Flux Klein as you: it can do what you can, limited to the scopes you pick. A personal key works in every workspace you belong to;
        {team ? ` a key of ${team.name} works there only, and its owners and admins can see and revoke it.` : ' team owners and admins can also make keys for their workspace.'}
      </p>
      <FormError message={error} />
      {created ? (
        <ShownOnce
          label={`Your new key “${created.name}”`}
          value={created.token}
          note="Copy it now and keep it somewhere safe: it is shown only this once. If you lose it, revoke it and make a new one."
          onDone={() => setCreated(null)}
        />
      ) : null}
      <form className="stack" onSubmit={onSubmit} aria-label="Create an API key">
        <div className="field">
          <label htmlFor="key-name">Key name</label>
          <input id="key-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={64} placeholder="e.g. Nightly render script" required />
        </div>
        <fieldset className="field plain-fieldset">
          <legend>Scopes</legend>
          {API_SCOPES.map((s) => (
            <label key={s} className="checkbox">
              <input type="checkbox" checked={scopes.includes(s)} onChange={(e) => setScopes((cur) => (e.target.checked ? [...cur, s] : cur.filter((x) => x !== s)))} />
              {API_SCOPE_LABELS[s]}
            </label>
          ))}
        </fieldset>
        {team ? (
          <fieldset className="field plain-fieldset">
            <legend>Belongs to</legend>
            <label className="checkbox">
              <input type="radio" name="key-owner" checked={owner === 'me'} onChange={() => setOwner('me')} /> Me (a personal key)
            </label>
            <label className="checkbox">
              <input type="radio" name="key-owner" checked={owner === 'workspace'} onChange={() => setOwner('workspace')} /> {team.name}
            </label>
          </fieldset>
        ) : null}
        <div>
          <button type="submit" className="button primary" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create key'}
          </button>
        </div>
      </form>
      <h3 className="small-heading">Your personal keys</h3>
      <KeyList label="Personal API keys" keys={data.keys.personal} busy={revoke.isPending} onRevoke={(k) => revoke.mutate({ id: k.id })} />
      {data.keys.workspace ? (
        <>
          <h3 className="small-heading">Keys of {data.workspace?.name}</h3>
          <KeyList label="Workspace API keys" keys={data.keys.workspace} busy={revoke.isPending} onRevoke={(k) => revoke.mutate({ id: k.id })} />
        </>
      ) : null}
    </section>
  );
}

const STATUS_TEXT = { pending: 'Sending', succeeded: 'Delivered', failed: 'Failed' } as const;
const STATUS_PILL = { pending: 'pill-queued', succeeded: 'pill-succeeded', failed: 'pill-failed' } as const;

function WebhookCard({ hook, onError }: { hook: Webhook; onError: (m: string) => void }) {
  const trpc = useTRPC();
  const revalidator = useRevalidator();
  const [secret, setSecret] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const reveal = useMutation(trpc.api.webhookSecret.mutationOptions({ onSuccess: (r) => setSecret(r.secret), onError: (e) => onError(errorMessage(e)) }));
  const remove = useMutation(trpc.api.deleteWebhook.mutationOptions({ onSuccess: () => revalidator.revalidate(), onError: (e) => onError(errorMessage(e)) }));
  const resend = useMutation(trpc.api.resendDelivery.mutationOptions({ onSuccess: () => revalidator.revalidate(), onError: (e) => onError(errorMessage(e)) }));
  return (
    <li className="panel stack-s">
      <div className="row gap-s">
        <strong className="grow">{hook.url}</strong>
        <button type="button" className="button ghost small" onClick={() => revalidator.revalidate()}>
          Refresh log
        </button>
        {secret ? null : (
          <button type="button" className="button ghost small" onClick={() => reveal.mutate({ id: hook.id })}>
            Show signing secret
          </button>
        )}
        {confirmDelete ? (
          <button type="button" className="button danger small" onClick={() => remove.mutate({ id: hook.id })} disabled={remove.isPending}>
            Delete this webhook
          </button>
        ) : (
          <button type="button" className="button ghost small" aria-label={`Delete webhook ${hook.url}`} onClick={() => setConfirmDelete(true)}>
            Delete
          </button>
        )}
      </div>
      {hook.description ? <p className="small">{hook.description}</p> : null}
      <p className="muted small">Sends: {hook.events.map((e) => WEBHOOK_EVENT_LABELS[e]).join(', ')}</p>
      {secret ? <p className="small">Signing secret: <code>{secret}</code></p> : null}
      <DataTable
        columns={['Event', 'Status', 'Tries', 'Last answer', 'When', { hidden: 'Actions' }]}
        rows={hook.deliveries}
        rowKey={(d) => d.id}
        empty={<p className="muted small">Nothing sent yet. Messages appear here when a generation in this workspace ends.</p>}
        label={`Deliveries to ${hook.url}`}
        cells={(d) => (
          <>
            <td>
              {d.eventType}
              {d.resendOf ? <span className="muted small"> (sent again)</span> : null}
            </td>
            <td>
              <span className={`pill ${STATUS_PILL[d.status]}`}>{STATUS_TEXT[d.status]}</span>
            </td>
            <td>{d.attempts}</td>
            <td className="small">{d.lastError ?? (d.lastStatusCode ? `Answered ${d.lastStatusCode}` : '—')}</td>
            <td className="small">{when(d.lastAttemptAt ?? d.createdAt)}</td>
            <td>
              {d.status === 'pending' ? null : (
                <button type="button" className="button ghost small" disabled={resend.isPending} onClick={() => resend.mutate({ id: d.id })} aria-label={`Send ${d.eventType} again`}>
                  Send again
                </button>
              )}
            </td>
          </>
        )}
      />
    </li>
  );
}

function WebhooksSection({ data }: { data: Data }) {
  const trpc = useTRPC();
  const revalidator = useRevalidator();
  const [error, setError] = useState<string | null>(null);
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<WebhookEvent[]>(['generation.succeeded', 'generation.failed']);
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation(
    trpc.api.createWebhook.mutationOptions({
      onSuccess: (r) => {
        setCreated(r.secret);
        setUrl('');
        setDescription('');
        revalidator.revalidate();
      },
      onError: (e) => setError(errorMessage(e)),
    }),
  );
  if (!data.workspace) return null;
  return (
    <section className="panel stack" aria-labelledby="hooks-heading">
      <h2 id="hooks-heading">Webhooks of {data.workspace.name}</h2>
      {!data.manages || !data.webhooks ? (
        <p className="muted">Only admins and the owner can manage this workspace&apos;s webhooks.</p>
      ) : (
        <>
          <p>
            We send a signed POST to your URL when a generation in this workspace ends (Standard Webhooks: check the <code>webhook-signature</code> header with the
            signing secret). A receiver that does not answer 2xx is tried again over about ten minutes. Only public addresses can receive webhooks.
          </p>
          <FormError message={error} />
          {created ? (
            <ShownOnce label="Signing secret of the new webhook" value={created} note="Your receiver needs this to check the signatures. You can show it again here later." onDone={() => setCreated(null)} />
          ) : null}
          <form
            className="stack"
            aria-label="Add a webhook"
            onSubmit={(e) => {
              e.preventDefault();
              setError(null);
              create.mutate({ workspaceId: data.workspace!.id, url, description, events });
            }}
          >
            <div className="field">
              <label htmlFor="hook-url">Receiver URL</label>
              <input id="hook-url" type="text" inputMode="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/hooks/flux-klein" required />
            </div>
            <div className="field">
              <label htmlFor="hook-description">Description (optional)</label>
              <input id="hook-description" value={description} onChange={(e) => setDescription(e.target.value)} maxLength={200} />
            </div>
            <fieldset className="field plain-fieldset">
              <legend>Events</legend>
              {WEBHOOK_EVENTS.map((ev) => (
                <label key={ev} className="checkbox">
                  <input type="checkbox" checked={events.includes(ev)} onChange={(e) => setEvents((cur) => (e.target.checked ? [...cur, ev] : cur.filter((x) => x !== ev)))} />
                  {WEBHOOK_EVENT_LABELS[ev]} <code className="small">{ev}</code>
                </label>
              ))}
            </fieldset>
            <div>
              <button type="submit" className="button primary" disabled={create.isPending}>
                {create.isPending ? 'Adding…' : 'Add webhook'}
              </button>
            </div>
          </form>
          {data.webhooks.length === 0 ? (
            <p className="muted">No webhooks yet.</p>
          ) : (
            <ul className="stack plain-list" aria-label="Webhooks">
              {data.webhooks.map((h) => (
                <WebhookCard key={h.id} hook={h} onError={setError} />
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

export default function ApiSettings() {
  const data = useLoaderData<typeof loader>();
  return (
    <div className="narrow-page">
      <div className="section-head">
        <h1>API and webhooks</h1>
        <span className="row gap">
          <Link to="/settings/account">Account</Link>
          <Link to="/settings/security">Security</Link>
        </span>
      </div>
      <KeysSection data={data} />
      <WebhooksSection data={data} />
      <section className="panel stack-s" aria-labelledby="docs-heading">
        <h2 id="docs-heading">Using the API</h2>
        <p>
          The API lives at <code>{data.baseUrl}/api/v1</code>; its OpenAPI description is at{' '}
          <a href="/api/v1/openapi.json">
            <code>/api/v1/openapi.json</code>
          </a>
          . For example, to start a generation:
        </p>
        <pre className="outbox-text panel">{`curl -X POST ${data.baseUrl}/api/v1/generations \\
  -H "Authorization: Bearer $FLUX_KLEIN_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{"prompt": "a lighthouse at dusk", "aspectRatio": "16:9"}'`}</pre>
      </section>
    </div>
  );
}
