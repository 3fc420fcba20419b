import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { FormError } from '../components/FormError.js';
import { data } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { PASSWORD_HINT } from '../../server/shared/auth-words.js';
import { SecurityIntent } from '../lib/auth-schemas.server.js';
import { authRequest, passwordRefusal, TOO_MANY } from '../lib/auth.server.js';
import { describeDevice } from '../lib/devices.js';
import { requireUser } from '../lib/session.server.js';
import { DataTable } from '../components/DataTable.js';

export const meta: MetaFunction = () => [{ title: 'Security — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { me, trpc } = await requireUser(request, context);
  const [sessions, activity] = await Promise.all([trpc.account.sessions(), trpc.account.activity()]);
  return {
    activity,
    twoFactorEnabled: me.twoFactorEnabled,
    // By session id: a session's token is the secret in its cookie and never reaches the page.
    sessions: sessions.map((s) => ({ id: s.id, device: describeDevice(s.userAgent), network: s.network ?? 'unknown network', lastActive: s.lastActive, current: s.current })),
  };
}


type ActionResult = { ok?: string; error?: string; setup?: { totpURI: string; secret: string; backupCodes: string[] } };

/** Passes better-auth's Set-Cookie headers on (a session may be refreshed by a change), with the result. */
function withCookies(result: ActionResult, res?: Response) {
  const headers = new Headers();
  for (const c of res?.headers.getSetCookie() ?? []) headers.append('Set-Cookie', c);
  return data(result, { headers });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { trpc } = await requireUser(request, context);
  const parsed = SecurityIntent.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return withCookies({ error: parsed.error.issues[0]?.message ?? 'Check the form.' });
  const input = parsed.data;
  const call = (path: string, body: Record<string, unknown>) => authRequest(context, request, path, body);
  switch (input.intent) {
    case 'change-password': {
      const res = await call('/change-password', { currentPassword: input.currentPassword, newPassword: input.newPassword, revokeOtherSessions: input.signOutOthers === 'on' });
      if (res.status === 429) return withCookies({ error: TOO_MANY });
      return withCookies(res.ok ? { ok: input.signOutOthers === 'on' ? 'Password changed. Your other devices were signed out.' : 'Password changed.' } : { error: (await passwordRefusal(res)) ?? 'Your current password is not right.' }, res);
    }
    case 'enable-2fa': {
      const res = await call('/two-factor/enable', { password: input.password });
      if (!res.ok) return withCookies({ error: res.status === 429 ? TOO_MANY : 'Your password is not right.' });
      const body = (await res.clone().json()) as { totpURI: string; backupCodes: string[] };
      return withCookies({ setup: { ...body, secret: new URL(body.totpURI).searchParams.get('secret') ?? '' } }, res);
    }
    case 'confirm-2fa': {
      const res = await call('/two-factor/verify-totp', { code: input.code });
      return withCookies(res.ok ? { ok: 'Two-factor sign-in is on. You will be asked for a code when you sign in.' } : { error: 'That code is not right. Check the time on your device and try again.' }, res);
    }
    case 'disable-2fa': {
      const res = await call('/two-factor/disable', { password: input.password });
      return withCookies(res.ok ? { ok: 'Two-factor sign-in is off.' } : { error: 'Your password is not right.' }, res);
    }
    case 'revoke': {
      const revoked = await trpc.account.revokeSession({ sessionId: input.sessionId }).then(
        () => true,
        () => false,
      );
      return withCookies(revoked ? { ok: 'That device was signed out.' } : { error: 'That device is no longer signed in.' });
    }
    case 'revoke-others': {
      await context.auth.api.revokeOtherSessions({ headers: request.headers });
      return withCookies({ ok: 'All your other devices were signed out.' });
    }
  }
}

export default function Security() {
  const { twoFactorEnabled, sessions, activity } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionResult | undefined;
  const busy = useNavigation().state !== 'idle';
  return (
    <div className="narrow-page">
      <div className="section-head">
        <h1>Security</h1>
        <span className="row gap">
          <Link to="/settings/account">Account</Link>
          <Link to="/settings/privacy">Your data</Link>
          <Link to="/settings/api">API</Link>
        </span>
      </div>
      {result?.ok ? (
        <p className="panel notice" role="status">
          {result.ok}
        </p>
      ) : null}
      <FormError message={result?.error} />

      <section className="panel stack" aria-labelledby="password-heading">
        <h2 id="password-heading">Password</h2>
        <Form method="post" className="stack">
          <input type="hidden" name="intent" value="change-password" />
          <div className="field">
            <label htmlFor="currentPassword">Current password</label>
            <input id="currentPassword" name="currentPassword" type="password" autoComplete="current-password" required />
          </div>
          <div className="field">
            <label htmlFor="newPassword">New password</label>
            <input id="newPassword" name="newPassword" type="password" autoComplete="new-password" minLength={8} required aria-describedby="newPassword-hint" />
            <p id="newPassword-hint" className="hint">
              {PASSWORD_HINT}
            </p>
          </div>
          <label className="checkbox">
            <input type="checkbox" name="signOutOthers" defaultChecked /> Sign out my other devices
          </label>
          <button type="submit" className="button primary" disabled={busy}>
            Change password
          </button>
        </Form>
      </section>

      <section className="panel stack" aria-labelledby="tfa-heading">
        <h2 id="tfa-heading">Two-factor sign-in</h2>
        {result?.setup ? (
          <div className="stack">
            <p>Add this key to your authenticator app (or open the link on your phone), then enter the code it shows.</p>
            <p>
              Key: <code data-testid="totp-secret">{result.setup.secret}</code> · <a href={result.setup.totpURI}>Open in authenticator app</a>
            </p>
            <p>Save these backup codes somewhere safe. Each works once if you lose your device:</p>
            <ul className="backup-codes" data-testid="backup-codes">
              {result.setup.backupCodes.map((c) => (
                <li key={c}>
                  <code>{c}</code>
                </li>
              ))}
            </ul>
            <Form method="post" className="row gap">
              <input type="hidden" name="intent" value="confirm-2fa" />
              <label htmlFor="confirm-code">Code from the app</label>
              <input id="confirm-code" name="code" inputMode="numeric" autoComplete="one-time-code" required className="seed-input" />
              <button type="submit" className="button primary" disabled={busy}>
                Turn on
              </button>
            </Form>
          </div>
        ) : (
          <>
            <p>{twoFactorEnabled ? 'On: you are asked for a code from your authenticator app when you sign in.' : 'Off. Turn it on to be asked for a code from an authenticator app when you sign in.'}</p>
            <Form method="post" className="row gap">
              <input type="hidden" name="intent" value={twoFactorEnabled ? 'disable-2fa' : 'enable-2fa'} />
              <label htmlFor="tfa-password">Your password</label>
              <input id="tfa-password" name="password" type="password" autoComplete="current-password" required className="seed-input" />
              <button type="submit" className={`button ${twoFactorEnabled ? 'danger-ghost' : 'primary'}`} disabled={busy}>
                {twoFactorEnabled ? 'Turn off' : 'Set up'}
              </button>
            </Form>
          </>
        )}
      </section>

      <section className="panel stack" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">Sessions and activity</h2>
        <ul className="session-list" aria-label="Sessions">
          {sessions.map((s) => (
            <li key={s.id}>
              <div>
                <strong>{s.device}</strong> {s.current ? <span className="badge">This device</span> : null}
                <div className="muted small">
                  Network {s.network} · last active {new Date(s.lastActive).toLocaleString('en')}
                </div>
              </div>
              {!s.current ? (
                <Form method="post">
                  <input type="hidden" name="intent" value="revoke" />
                  <input type="hidden" name="sessionId" value={s.id} />
                  <button type="submit" className="button ghost small">
                    Sign out
                  </button>
                </Form>
              ) : null}
            </li>
          ))}
        </ul>
        <h3 className="small-heading">Recent activity</h3>
        <DataTable
          columns={['When', 'What', 'Result', 'Device and network']}
          rows={activity}
          rowKey={(a, i) => `${String(a.at)}-${i}`}
          empty={<p className="muted">Nothing yet.</p>}
          label="Recent activity"
          cells={(a) => (
            <>
              <td>{new Date(a.at).toLocaleString('en')}</td>
              <td>
                <code>{a.route.replace(/^trpc:/, '')}</code>
              </td>
              <td>{a.status < 400 ? 'OK' : (a.error_code ?? a.status)}</td>
              <td>
                {a.device ?? 'Unknown'} · {a.ip_network ?? 'unknown network'}
              </td>
            </>
          )}
        />
        <p className="muted small">Kept for a limited time, then deleted automatically.</p>
        {sessions.length > 1 ? (
          <Form method="post">
            <input type="hidden" name="intent" value="revoke-others" />
            <button type="submit" className="button danger-ghost">
              Sign out all other devices
            </button>
          </Form>
        ) : null}
      </section>
    </div>
  );
}
