import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData, useRevalidator } from '@remix-run/react';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { FormError } from '../components/FormError.js';
import { requireUser } from '../lib/session.server.js';
import { errorMessage, useTRPC } from '../lib/trpc.js';
import { CATEGORY_IDS, MODERATION_CATEGORIES, TERM_MAX, type ModerationCategory } from '../../server/shared/moderation-words.js';
import { lazyModule } from '../lib/lazy.js';

/** The term's schema (the procedure's own), loaded when first needed (ADR 0024). */
const moderationSchemas = lazyModule(() => import('../../server/shared/moderation.js'));
import { DataTable } from '../components/DataTable.js';

export const meta: MetaFunction = () => [{ title: 'Moderation — Flux Klein' }];

/** Operators only (confirmed ADMIN_EMAILS accounts, server/services/operators.ts); anyone else gets 404. Every change is audited. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { trpc } = await requireUser(request, context);
  try {
    return await trpc.moderation.admin();
  } catch {
    throw new Response('Not found', { status: 404 });
  }
}

const when = (d: Date | string) => new Date(d).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

export default function AdminModeration() {
  const data = useLoaderData<typeof loader>();
  const trpc = useTRPC();
  const revalidator = useRevalidator();
  const [term, setTerm] = useState('');
  const [category, setCategory] = useState<ModerationCategory>('sexual');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const onError = (e: unknown) => {
    setDone(null);
    setError(errorMessage(e));
  };
  const add = useMutation(
    trpc.moderation.addTerm.mutationOptions({
      onSuccess: (row) => {
        setTerm('');
        setError(null);
        setDone(`“${row.term}” was added. Prompts containing it are refused from now on.`);
        revalidator.revalidate();
      },
      onError,
    }),
  );
  const remove = useMutation(trpc.moderation.removeTerm.mutationOptions({ onSuccess: () => revalidator.revalidate(), onError }));
  // Lifting is the operators' one reinstate (also on /admin/users): it ends the suspension everywhere and tells the person.
  const lift = useMutation(trpc.admin.reinstate.mutationOptions({ onSuccess: () => revalidator.revalidate(), onError }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // Without the schema (its download failed), the server's check answers instead.
    const parsed = (await moderationSchemas().catch(() => null))?.AddTermInput.safeParse({ term, category });
    if (parsed && !parsed.success) return setError(parsed.error.issues[0]?.message ?? 'Check the term.');
    setError(null);
    add.mutate(parsed ? parsed.data : { term, category });
  };

  return (
    <div className="library stack">
      <h1>Moderation</h1>
      <p className="muted small">
        Prompts are checked against the term list below{data.api ? ` and by the hosted check at ${data.api.url} (${data.api.model})` : ' (no hosted check is configured: MODERATION_API_KEY)'} before any credit is reserved. Generated images and references are
        classified on this server. Changes here are written to the audit log.
      </p>
      <FormError message={error} />
      {done ? (
        <p className="form-ok" role="status">
          {done}
        </p>
      ) : null}

      <section className="panel stack" aria-labelledby="terms-h">
        <h2 id="terms-h">Term list</h2>
        <form className="row gap" onSubmit={(e) => void submit(e)}>
          <label htmlFor="term-input" className="small">
            Term or phrase
          </label>
          <input id="term-input" value={term} onChange={(e) => setTerm(e.target.value)} maxLength={TERM_MAX} required className="grow" aria-describedby="term-help" />
          <label htmlFor="term-category" className="small">
            Category
          </label>
          <select id="term-category" value={category} onChange={(e) => setCategory(e.target.value as ModerationCategory)}>
            {CATEGORY_IDS.map((c) => (
              <option key={c} value={c}>
                {MODERATION_CATEGORIES[c]}
              </option>
            ))}
          </select>
          <button type="submit" className="button primary" disabled={add.isPending}>
            Add term
          </button>
        </form>
        <p id="term-help" className="small muted">
          Matched as whole words, whatever the case, accents, simple leetspeak (p0rn) or spacing (p o r n). End a word with * to match any ending (porn* matches pornographic). A refused person is told
          the category, never the term.
        </p>
        <DataTable
          label="Terms added by operators"
          columns={['Term', 'Category', 'Added', 'By', { hidden: 'Actions' }]}
          rows={data.added}
          rowKey={(t) => t.id}
          empty={<p className="empty-state small">No additions yet; the shipped list applies.</p>}
          cells={(t) => (
            <>
              <td>{t.term}</td>
              <td>{MODERATION_CATEGORIES[t.category]}</td>
              <td>{when(t.created_at)}</td>
              <td>{t.addedBy ?? 'a deleted account'}</td>
              <td>
                <button type="button" className="button ghost small" onClick={() => remove.mutate({ id: t.id })} disabled={remove.isPending}>
                  Remove<span className="visually-hidden"> “{t.term}”</span>
                </button>
              </td>
            </>
          )}
        />
        <details>
          <summary>Shipped terms ({data.defaults.length})</summary>
          <ul className="small">
            {data.defaults.map((t) => (
              <li key={t.term}>
                {t.term} — {MODERATION_CATEGORIES[t.category]}
              </li>
            ))}
          </ul>
        </details>
      </section>

      <section className="panel stack" aria-labelledby="refusals-h">
        <h2 id="refusals-h">Refused prompts, last 30 days</h2>
        <DataTable
          label="Refused prompts, last 30 days"
          columns={['Category', 'Caught by', 'Refusals']}
          rows={data.refusals}
          rowKey={(r) => `${r.category}-${r.source}`}
          empty={<p className="empty-state small">None.</p>}
          cells={(r) => (
            <>
              <td>{MODERATION_CATEGORIES[r.category as ModerationCategory] ?? r.category}</td>
              <td>{r.source === 'api' ? 'hosted check' : 'term list'}</td>
              <td>{r.count}</td>
            </>
          )}
        />
      </section>

      <section className="panel stack" aria-labelledby="suspensions-h">
        <h2 id="suspensions-h">Suspended after refused prompts</h2>
        <p className="small muted">Suspensions operators decided are on the Users page; both are the same record of the account's standing.</p>
        <DataTable
          label="Suspended after refused prompts"
          columns={['Account', 'Why', 'Until', 'Appeal', { hidden: 'Actions' }]}
          rows={data.suspensions}
          rowKey={(s) => s.userId}
          empty={<p className="empty-state small">Nobody is suspended for refused prompts.</p>}
          cells={(s) => (
            <>
              <td>{s.email}</td>
              <td>{s.reason}</td>
              <td>{s.until ? when(s.until) : 'until lifted'}</td>
              <td>{s.appeal ? `${s.appeal} (${when(s.appealed_at!)})` : <span className="muted">none</span>}</td>
              <td>
                <button type="button" className="button ghost small" onClick={() => lift.mutate({ userId: s.userId })} disabled={lift.isPending}>
                  Lift<span className="visually-hidden"> the suspension of {s.email}</span>
                </button>
              </td>
            </>
          )}
        />
      </section>
    </div>
  );
}
