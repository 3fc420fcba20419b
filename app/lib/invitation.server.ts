import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { errorMessage } from './trpc.js';
import { workspaceCookie } from './workspace.server.js';

/**
 * Loader and action of the two invitation pages: /invite/{token} (the emailed link; anyone with the
 * link may look) and /invitations/{id} (from the notification; only for the signed-in invitee).
 */
export type InvitationBy = 'token' | 'id';

export async function invitationLoader(by: InvitationBy, { params, context, request }: LoaderFunctionArgs) {
  const trpc = await context.trpc();
  const me = await trpc.me.get();
  if (by === 'id' && !me) throw redirect(`/sign-in?next=${encodeURIComponent(new URL(request.url).pathname)}`);
  const info = await (by === 'token' ? trpc.workspace.invitation({ token: params.token! }) : trpc.workspace.invitationById({ invitationId: params.invitationId! })).catch(() => null);
  return { info, me: me ? { email: me.email } : null };
}

export async function invitationAction(by: InvitationBy, { params, context }: ActionFunctionArgs) {
  const trpc = await context.trpc();
  try {
    const r = await (by === 'token' ? trpc.workspace.acceptInvitation({ token: params.token! }) : trpc.workspace.acceptInvitationById({ invitationId: params.invitationId! }));
    return redirect('/boards', { headers: { 'Set-Cookie': workspaceCookie(context, r.workspaceId) } });
  } catch (err) {
    return { error: errorMessage(err) };
  }
}
