import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { AccountIntent } from '../lib/auth-schemas.server.js';
import { authRequest, TOO_MANY } from '../lib/auth.server.js';
import { providerLabel } from '../components/SocialButtons.js';
import { requireUser } from '../lib/session.server.js';

import { AppealForm } from '../components/AppealForm.js';

export const meta: MetaFunction = () => [{ title: 'Account — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { me, trpc } = await requireUser(request, context);
  const [{ methods, available, canRemove }, moderation] = await Promise.all([trpc.account.methods(), trpc.report.mine()]);
  const linked = methods.map((a) => ({ id: a.id, providerId: a.providerId, accountId: a.accountId }));
  const accountAppeal = moderation.appeals.find((a) => a.asset_id === null) ?? null;
  return { name: me.name, email: me.email, emailVerified: me.emailVerified, linked, available, canRemove, standing: moderation.standing, accountAppeal };
}


export async function action({ request, context }: ActionFunctionArgs) {
  const { me } = await requireUser(request, context);
  const parsed = AccountIntent.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return { error: parsed.error.issues[0]?.message ?? 'Check the form.' };
  if (parsed.data.intent === 'rename') {
    await context.auth.api.updateUser({ headers: request.headers, body: { name: parsed.data.name } });
    return { ok: 'Your name was saved.' };
  }
  if (parsed.data.intent === 'change-email') {
    if (parsed.data.newEmail === me.email) return { error: 'That is already your address.' };
    const res = await authRequest(context, request, '/change-email', { newEmail: parsed.data.newEmail, callbackURL: '/settings/account' });
    if (res.status === 429) return { error: TOO_MANY };
    if (!res.ok) return { error: 'That address cannot be used. Try another one.' };
    return {
      ok: me.emailVerified
        ? `We sent a link to ${me.email} to approve the change, then one to ${parsed.data.newEmail} to confirm it. Your address changes after both.`
        : `We sent a confirmation link to ${parsed.data.newEmail}. Your address changes when you follow it.`,
    };
  }
  if (parsed.data.intent === 'unlink') {
    const res = await authRequest(context, request, '/unlink-account', { accountId: parsed.data.id });
    if (res.ok) return { ok: 'The sign-in method was removed.' };
    const body = (await res.json().catch(() => ({}))) as { code?: string };
    return { error: body.code === 'FAILED_TO_UNLINK_LAST_ACCOUNT' ? 'This is your only way to sign in, so it cannot be removed. Add another one first.' : 'That sign-in method could not be removed.' };
  }
  const res = await authRequest(context, request, '/send-verification-email', { email: me.email, callbackURL: '/verify-email' });
  if (res.status === 429) return { error: TOO_MANY };
  return { ok: `We sent a new confirmation link to ${me.email}.` };
}

export default function Account() {
  const { name, email, emailVerified, linked, available, canRemove, standing, accountAppeal } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== 'idle';
  return (
    <div className="narrow-page">
      <div className="section-head">
        <h1>Account</h1>
        <span className="row gap">
          <Link to="/settings/security">Security</Link>
          <Link to="/settings/privacy">Your data</Link>
          <Link to="/settings/api">API</Link>
        </span>
      </div>
      {result && 'ok' in result ? (
        <p className="panel notice" role="status">
          {result.ok}
        </p>
      ) : null}
      {result && 'error' in result ? (
        <p className="form-error" role="alert">
          {result.error}
        </p>
      ) : null}
      {standing.status === 'suspended' ? (
        <section id="moderation" className="panel notice stack" aria-labelledby="moderation-heading">
          <h2 id="moderation-heading">Your account is suspended</h2>
          <p>
            Reason: {standing.reasonLabel}
            {standing.detail ? ` (${standing.detail.replace(/\.$/, '')})` : ''}. Since {standing.since ? new Date(standing.since).toLocaleDateString('en') : 'recently'} you can look at, download and delete your work, but not generate, upload or change boards.
          </p>
          <p>
            {standing.until
              ? `The suspension ends by itself on ${new Date(standing.until).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })}, or earlier if moderators lift it.`
              : 'It lasts until moderators lift it.'}
          </p>
          {accountAppeal?.status === 'open' ? (
            <p role="status">You asked for a review on {new Date(accountAppeal.created_at).toLocaleDateString('en')}. Moderators will answer by notification and email.</p>
          ) : (
            <AppealForm />
          )}
        </section>
      ) : null}
      <section className="panel stack" aria-labelledby="profile-heading">
        <h2 id="profile-heading">Profile</h2>
        <Form method="post" className="stack">
          <input type="hidden" name="intent" value="rename" />
          <div className="field">
            <label htmlFor="name">Display name</label>
            <input id="name" name="name" defaultValue={name} maxLength={80} required />
          </div>
          <button type="submit" className="button primary" disabled={busy}>
            Save
          </button>
        </Form>
      </section>
      <section className="panel stack" aria-labelledby="methods-heading">
        <h2 id="methods-heading">Ways to sign in</h2>
        <ul className="session-list" aria-label="Sign-in methods">
          {linked.map((a) => (
            <li key={a.id}>
              <div>
                <strong>{providerLabel(a.providerId)}</strong>
                {a.providerId !== 'credential' ? <div className="muted small">Account {a.accountId}</div> : null}
                {!canRemove ? <div className="muted small">Your only way to sign in: add another before removing it.</div> : null}
              </div>
              <Form method="post">
                <input type="hidden" name="intent" value="unlink" />
                <input type="hidden" name="id" value={a.id} />
                <button type="submit" className="button ghost small" aria-label={`Remove ${providerLabel(a.providerId)}`}>
                  Remove
                </button>
              </Form>
            </li>
          ))}
        </ul>
        {available.map((p) => (
          <Form key={p} method="post" action="/auth/social">
            <input type="hidden" name="provider" value={p} />
            <input type="hidden" name="mode" value="link" />
            <button type="submit" className="button ghost">
              Add {providerLabel(p)}
            </button>
          </Form>
        ))}
      </section>
      <section className="panel stack" aria-labelledby="email-heading">
        <h2 id="email-heading">Email address</h2>
        <p>
          {email} · {emailVerified ? <span className="pill pill-succeeded">Confirmed</span> : <span className="pill pill-canceled">Not confirmed</span>}
        </p>
        <Form method="post" className="row gap">
          <input type="hidden" name="intent" value="change-email" />
          <label htmlFor="newEmail">New address</label>
          <input id="newEmail" name="newEmail" type="email" autoComplete="email" required className="grow" />
          <button type="submit" className="button ghost" disabled={busy}>
            Change address
          </button>
        </Form>
        {!emailVerified ? (
          <Form method="post">
            <input type="hidden" name="intent" value="resend-verification" />
            <button type="submit" className="button ghost" disabled={busy}>
              Send a new confirmation link
            </button>
          </Form>
        ) : null}
      </section>
    </div>
  );
}
