import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { errorMessage } from '../lib/trpc.js';
import { requireUser } from '../lib/session.server.js';
import { pickWorkspace, workspaceCookie } from '../lib/workspace.server.js';

export const meta: MetaFunction = () => [{ title: 'Workspaces — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { me } = await requireUser(request, context);
  return { workspaces: me.workspaces, currentId: pickWorkspace(request, me.workspaces)?.id ?? null };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { trpc } = await requireUser(request, context);
  const form = await request.formData();
  try {
    const ws = await trpc.workspace.create({ name: String(form.get('name') ?? '') });
    return redirect(`/workspaces/${ws.id}`, { headers: { 'Set-Cookie': workspaceCookie(context, ws.id) } });
  } catch (err) {
    return { error: errorMessage(err) };
  }
}

export default function Workspaces() {
  const { workspaces, currentId } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  return (
    <div className="narrow-page">
      <h1>Workspaces</h1>
      <section className="panel stack" aria-labelledby="ws-list">
        <h2 id="ws-list">Your workspaces</h2>
        <ul className="member-list">
          {workspaces.map((w) => (
            <li key={w.id}>
              <div className="grow">
                <strong>{w.name}</strong>
                <span className="muted small"> · {w.kind === 'personal' ? 'Personal' : `Team · ${w.role}`}</span>
                {w.id === currentId ? <span className="pill pill-succeeded ws-current">Current</span> : null}
              </div>
              {w.id !== currentId ? (
                <Form method="post" action="/workspaces/switch">
                  <input type="hidden" name="workspaceId" value={w.id} />
                  <input type="hidden" name="redirectTo" value="/boards" />
                  <button type="submit" className="button ghost small">
                    Switch to {w.kind === 'personal' ? 'personal' : w.name}
                  </button>
                </Form>
              ) : null}
              {w.kind === 'team' ? (
                <Link to={`/workspaces/${w.id}`} className="button ghost small">
                  Members and settings<span className="visually-hidden"> of {w.name}</span>
                </Link>
              ) : (
                <Link to={`/workspaces/${w.id}`} className="button ghost small">
                  Settings<span className="visually-hidden"> of your personal workspace</span>
                </Link>
              )}
            </li>
          ))}
        </ul>
      </section>
      <section className="panel stack" aria-labelledby="ws-new">
        <h2 id="ws-new">New team workspace</h2>
        <p className="muted">A team workspace has its own boards, library and members. You can invite people by email once it exists.</p>
        <Form method="post" className="row gap">
          <label htmlFor="ws-name" className="visually-hidden">
            Workspace name
          </label>
          <input id="ws-name" name="name" required maxLength={60} placeholder="Workspace name, e.g. Studio Nord" className="grow" aria-invalid={data?.error ? true : undefined} aria-describedby={data?.error ? 'ws-error' : undefined} />
          <button type="submit" className="button primary" disabled={busy}>
            Create workspace
          </button>
        </Form>
        {data?.error ? (
          <p id="ws-error" className="form-error" role="alert">
            {data.error}
          </p>
        ) : null}
      </section>
    </div>
  );
}
