import { redirect, type ActionFunctionArgs } from '@remix-run/node';
import { requireUser } from '../lib/session.server.js';
import { safeDestination } from '../../server/shared/redirect.js';
import { workspaceCookie } from '../lib/workspace.server.js';

/** Switches the current workspace (after checking membership) and goes back where the person was. */
export async function action({ request, context }: ActionFunctionArgs) {
  const { me } = await requireUser(request, context);
  const form = await request.formData();
  const id = String(form.get('workspaceId') ?? '');
  const target = me.workspaces.find((w) => w.id === id);
  const to = safeDestination(form.get('redirectTo'), '/boards');
  if (!target) return redirect(to);
  return redirect(to, { headers: { 'Set-Cookie': workspaceCookie(context, target.id) } });
}

export async function loader() {
  return redirect('/workspaces');
}
