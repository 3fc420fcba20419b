import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation, useRevalidator } from '@remix-run/react';
import { useCallback, useState } from 'react';
import { timeAgo } from '../components/NotificationBell.js';
import { useSocketEvent } from '../lib/realtime.js';
import { requireUser } from '../lib/session.server.js';
import { errorMessage } from '../lib/trpc.js';
import { workspaceCookie } from '../lib/workspace.server.js';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.workspace.name ?? 'Workspace'} — members and settings — Flux Klein` }];

const ROLE_LABEL: Record<string, string> = { owner: 'Owner', admin: 'Admin', editor: 'Editor', viewer: 'Viewer' };

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { me, trpc } = await requireUser(request, context);
  const workspaceId = params.workspaceId!;
  let workspace;
  try {
    workspace = await trpc.workspace.get({ workspaceId });
  } catch {
    throw new Response('Not found', { status: 404 });
  }
  const canManage = workspace.role === 'owner' || workspace.role === 'admin';
  const [members, invitations, credits, personal, imagePolicy, commentSettings, shareLinks] = await Promise.all([
    trpc.workspace.members({ workspaceId }),
    canManage ? trpc.workspace.invitations({ workspaceId }) : Promise.resolve([]),
    trpc.credits.balance({ workspaceId }),
    canManage && workspace.kind === 'team' ? trpc.credits.balance({}) : Promise.resolve(null),
    trpc.moderation.imagePolicy({ workspaceId }),
    trpc.comment.settings({ workspaceId }),
    trpc.share.setting({ workspaceId }),
  ]);
  // One id per rendering of the transfer form: sending the same form twice moves credits once.
  const transferId = crypto.randomUUID();
  return { me: { id: me.id, emailVerified: me.emailVerified }, workspace, members, invitations, canManage, credits: credits.balance, personalCredits: personal?.balance ?? null, transferId, imagePolicy, commentSettings, shareLinks };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { trpc } = await requireUser(request, context);
  const workspaceId = params.workspaceId!;
  const form = await request.formData();
  const intent = String(form.get('intent') ?? '');
  const userId = String(form.get('userId') ?? '');
  const invitationId = String(form.get('invitationId') ?? '');
  try {
    switch (intent) {
      case 'rename':
        await trpc.workspace.rename({ workspaceId, name: String(form.get('name') ?? '') });
        return { ok: 'The workspace was renamed.', intent };
      case 'invite': {
        const email = String(form.get('email') ?? '');
        await trpc.workspace.invite({ workspaceId, email, role: String(form.get('role') ?? 'editor') as 'editor' });
        return { ok: `Invitation sent to ${email.trim().toLowerCase()}.`, intent };
      }
      case 'revoke':
        await trpc.workspace.revokeInvitation({ invitationId });
        return { ok: 'The invitation was withdrawn.', intent };
      case 'resend':
        await trpc.workspace.resendInvitation({ invitationId });
        return { ok: 'A new invitation link was sent.', intent };
      case 'role':
        await trpc.workspace.setRole({ workspaceId, userId, role: String(form.get('role')) as 'editor' });
        return { ok: 'The role was changed.', intent };
      case 'remove':
        await trpc.workspace.removeMember({ workspaceId, userId });
        return { ok: 'The member was removed.', intent };
      case 'transfer':
        await trpc.workspace.transferOwnership({ workspaceId, userId });
        return { ok: 'Ownership was transferred. You are now an admin.', intent };
      case 'credits': {
        const amount = Number(form.get('amount'));
        const r = await trpc.credits.transfer({ transferId: String(form.get('transferId') ?? ''), toWorkspaceId: workspaceId, amount });
        return { ok: `Moved ${r.amount} credit${r.amount === 1 ? '' : 's'} from your personal workspace. This workspace now has ${r.balance}.`, intent };
      }
      case 'image-policy': {
        const value = String(form.get('policy') ?? 'default');
        const policy = value === 'block' || value === 'blur' ? value : null;
        const r = await trpc.moderation.setImagePolicy({ workspaceId, policy });
        return { ok: r.effective === 'block' ? 'Flagged images are now blocked in this workspace.' : 'Flagged images are now shown blurred in this workspace.', intent };
      }
      case 'comment-settings': {
        const r = await trpc.comment.setSettings({ workspaceId, viewersMayComment: form.get('viewersMayComment') === 'on' });
        return { ok: r.viewersMayComment ? 'Viewers can now comment on this workspace’s boards.' : 'Only editors, admins and the owner can comment now.', intent };
      }
      case 'share-links': {
        const allow = form.get('allow') === 'on';
        await trpc.share.setAllowed({ workspaceId, allow });
        return { ok: allow ? 'Boards of this workspace can be shared by link again.' : 'Sharing by link is off: every link of this workspace stopped working, and people watching through one were disconnected.', intent };
      }
      case 'leave':
        await trpc.workspace.leave({ workspaceId });
        return redirect('/workspaces', { headers: { 'Set-Cookie': workspaceCookie(context, null) } });
      case 'delete':
        await trpc.workspace.delete({ workspaceId, confirmName: String(form.get('confirmName') ?? '') });
        return redirect('/workspaces', { headers: { 'Set-Cookie': workspaceCookie(context, null) } });
      default:
        return { error: 'Unknown action.', intent };
    }
  } catch (err) {
    return { error: errorMessage(err), intent };
  }
}

export default function WorkspaceSettings() {
  const { me, workspace, members, invitations, canManage, credits, personalCredits, transferId, imagePolicy, commentSettings, shareLinks } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  const revalidator = useRevalidator();
  const onChanged = useCallback(
    (e: { workspaceId: string }) => {
      if (e.workspaceId === workspace.id && revalidator.state === 'idle') revalidator.revalidate();
    },
    [workspace.id, revalidator],
  );
  useSocketEvent('workspace:changed', onChanged);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const isOwner = workspace.role === 'owner';
  const result = (intent: string) =>
    data && 'intent' in data && data.intent === intent ? (
      'error' in data && data.error ? (
        <p className="form-error" role="alert">
          {data.error}
        </p>
      ) : 'ok' in data ? (
        <p className="form-ok" role="status">
          {data.ok}
        </p>
      ) : null
    ) : null;

  return (
    <div className="narrow-page">
      <div className="section-head">
        <h1>{workspace.name}</h1>
        <Link to="/boards" className="button ghost small">
          Boards
        </Link>
      </div>
      <p className="muted">
        You are {workspace.role === 'admin' ? 'an admin' : workspace.role === 'owner' ? 'the owner' : `an ${workspace.role}`} of this workspace.{' '}
        {workspace.role === 'viewer' ? 'You can see everything here but not change it.' : null}
      </p>

      <section className="panel stack" aria-labelledby="members-h">
        <h2 id="members-h">Members</h2>
        {result('role') ?? result('remove') ?? result('transfer')}
        <ul className="member-list" aria-label="Members">
          {members.map((m) => (
            <li key={m.userId}>
              <div className="grow">
                <strong>{m.name || m.email}</strong> {m.userId === me.id ? <span className="muted small">(you)</span> : null}
                <div className="muted small" suppressHydrationWarning>
                  {m.email} · {m.lastActiveAt ? `active ${timeAgo(m.lastActiveAt)}` : 'not active yet'}
                </div>
              </div>
              {canManage && m.role !== 'owner' && m.userId !== me.id ? (
                <Form method="post" className="row gap-s">
                  <input type="hidden" name="intent" value="role" />
                  <input type="hidden" name="userId" value={m.userId} />
                  <label htmlFor={`role-${m.userId}`} className="visually-hidden">
                    Role of {m.name || m.email}
                  </label>
                  <select id={`role-${m.userId}`} name="role" defaultValue={m.role} className="role-select">
                    <option value="admin">Admin</option>
                    <option value="editor">Editor</option>
                    <option value="viewer">Viewer</option>
                  </select>
                  <button type="submit" className="button ghost small" disabled={busy}>
                    Save role<span className="visually-hidden"> of {m.name || m.email}</span>
                  </button>
                </Form>
              ) : (
                <span className="pill">{ROLE_LABEL[m.role]}</span>
              )}
              {canManage && m.role !== 'owner' && m.userId !== me.id ? (
                <Form method="post">
                  <input type="hidden" name="intent" value="remove" />
                  <input type="hidden" name="userId" value={m.userId} />
                  <button type="submit" className="button danger-ghost small" disabled={busy}>
                    Remove<span className="visually-hidden"> {m.name || m.email}</span>
                  </button>
                </Form>
              ) : null}
              {isOwner && m.userId !== me.id ? (
                <Form method="post" onSubmit={(e) => void (!confirm(`Make ${m.name || m.email} the owner? You will become an admin.`) && e.preventDefault())}>
                  <input type="hidden" name="intent" value="transfer" />
                  <input type="hidden" name="userId" value={m.userId} />
                  <button type="submit" className="button ghost small" disabled={busy}>
                    Make owner<span className="visually-hidden">: {m.name || m.email}</span>
                  </button>
                </Form>
              ) : null}
            </li>
          ))}
        </ul>
      </section>

      {canManage ? (
        <section className="panel stack" aria-labelledby="invite-h">
          <h2 id="invite-h">Invite people</h2>
          {!me.emailVerified ? <p className="form-error">Confirm your email address before inviting others.</p> : null}
          <Form method="post" className="invite-form">
            <input type="hidden" name="intent" value="invite" />
            <div className="field grow">
              <label htmlFor="invite-email">Email address</label>
              <input id="invite-email" name="email" type="email" required autoComplete="off" />
            </div>
            <div className="field">
              <label htmlFor="invite-role">Role</label>
              <select id="invite-role" name="role" defaultValue="editor">
                <option value="viewer">Viewer — sees everything, changes nothing</option>
                <option value="editor">Editor — generates and edits boards</option>
                <option value="admin">Admin — also manages members</option>
              </select>
            </div>
            <button type="submit" className="button primary" disabled={busy}>
              Send invitation
            </button>
          </Form>
          {result('invite')}
          <h3 className="small-heading">Pending invitations</h3>
          {result('revoke') ?? result('resend')}
          {invitations.length === 0 ? (
            <p className="muted small">No pending invitations.</p>
          ) : (
            <ul className="member-list" aria-label="Pending invitations">
              {invitations.map((i) => (
                <li key={i.id}>
                  <div className="grow">
                    <strong>{i.email}</strong> <span className="muted small">· {ROLE_LABEL[i.role]}</span>
                    <div className={`small ${i.expired ? 'danger' : 'muted'}`} suppressHydrationWarning>
                      {i.expired ? 'Expired' : `Sent ${timeAgo(i.sentAt)}`}
                    </div>
                  </div>
                  <Form method="post">
                    <input type="hidden" name="intent" value="resend" />
                    <input type="hidden" name="invitationId" value={i.id} />
                    <button type="submit" className="button ghost small" disabled={busy}>
                      Resend<span className="visually-hidden"> to {i.email}</span>
                    </button>
                  </Form>
                  <Form method="post">
                    <input type="hidden" name="intent" value="revoke" />
                    <input type="hidden" name="invitationId" value={i.id} />
                    <button type="submit" className="button danger-ghost small" disabled={busy}>
                      Withdraw<span className="visually-hidden"> invitation to {i.email}</span>
                    </button>
                  </Form>
                </li>
              ))}
            </ul>
          )}
        </section>
      ) : null}

      <section className="panel stack" aria-labelledby="credits-h">
        <h2 id="credits-h">Credits</h2>
        <p>
          This workspace has <strong>{credits}</strong> credit{credits === 1 ? '' : 's'}. Generations started here are paid from them.
        </p>
        {personalCredits !== null ? (
          <Form method="post" className="row gap wrap" aria-label="Move credits from your personal workspace">
            <input type="hidden" name="intent" value="credits" />
            <input type="hidden" name="transferId" value={transferId} />
            <label htmlFor="credits-amount">Move from your personal workspace ({personalCredits} available)</label>
            <input id="credits-amount" name="amount" type="number" inputMode="numeric" min={1} max={Math.max(1, personalCredits)} step={1} required defaultValue={Math.min(10, personalCredits) || ''} />
            <button type="submit" className="button ghost" disabled={busy || personalCredits < 1}>
              Move credits
            </button>
          </Form>
        ) : null}
        {result('credits')}
      </section>

      {workspace.kind === 'team' ? (
      <section className="panel stack" aria-labelledby="comments-h">
        <h2 id="comments-h">Comments on boards</h2>
        <p className="small muted">
          Editors, admins and the owner can comment on boards. {commentSettings.viewersMayComment ? 'Viewers can comment too.' : 'Viewers can read comments but not write them.'}
        </p>
        {canManage ? (
          <Form method="post" className="row gap wrap" key={String(commentSettings.viewersMayComment)}>
            <input type="hidden" name="intent" value="comment-settings" />
            <label className="row gap-s">
              <input type="checkbox" name="viewersMayComment" defaultChecked={commentSettings.viewersMayComment} />
              Let viewers comment
            </label>
            <button type="submit" className="button ghost" disabled={busy}>
              Save
            </button>
          </Form>
        ) : (
          <p className="small muted">Only admins and the owner can change this.</p>
        )}
        {result('comment-settings')}
      </section>
      ) : null}

      <section className="panel stack" aria-labelledby="images-h">
        <h2 id="images-h">Flagged images</h2>
        <p className="small muted">
          Every generated image and every reference used in a generation is checked on our servers by an image classifier. When it finds an image likely to be sexual, this
          workspace {imagePolicy.effective === 'block' ? 'blocks it: it is not shown, listed or downloadable.' : 'shows it blurred, with a “Show” button.'}
          {imagePolicy.operatorDefault === 'block' ? ' This service blocks flagged images everywhere.' : ''}
        </p>
        {isOwner && imagePolicy.operatorDefault === 'blur' ? (
          <Form method="post" className="stack-s">
            <input type="hidden" name="intent" value="image-policy" />
            <fieldset className="stack-s plain-fieldset">
              <legend className="small-heading">What this workspace does with flagged images</legend>
              <label className="row gap-s">
                <input type="radio" name="policy" value="default" defaultChecked={imagePolicy.chosen !== 'block'} />
                Blur them; anyone in the workspace can click “Show” (the service’s default)
              </label>
              <label className="row gap-s">
                <input type="radio" name="policy" value="block" defaultChecked={imagePolicy.chosen === 'block'} />
                Block them: not shown, listed or downloadable (stricter)
              </label>
            </fieldset>
            <div>
              <button type="submit" className="button ghost" disabled={busy}>
                Save image policy
              </button>
            </div>
          </Form>
        ) : !isOwner ? (
          <p className="small muted">Only the owner can make this stricter.</p>
        ) : null}
        {result('image-policy')}
      </section>

      <section className="panel stack" aria-labelledby="share-links-h">
        <h2 id="share-links-h">Share links</h2>
        <p className="small muted">
          Editors can make view-only links to a board for people without an account.{' '}
          {shareLinks.allowed ? 'Sharing by link is on.' : 'Sharing by link is off: no link of this workspace works.'}
        </p>
        {shareLinks.canChange ? (
          <Form method="post" className="stack-s" key={String(shareLinks.allowed)}>
            <input type="hidden" name="intent" value="share-links" />
            <label className="checkbox">
              <input type="checkbox" name="allow" defaultChecked={shareLinks.allowed} /> Allow share links
            </label>
            <p className="hint">Turning it off stops every existing link at once and disconnects whoever is watching; turning it back on makes the links that were not revoked or expired work again.</p>
            <div>
              <button type="submit" className="button ghost" disabled={busy}>
                Save sharing setting
              </button>
            </div>
          </Form>
        ) : (
          <p className="small muted">Only admins and the owner can change this.</p>
        )}
        {result('share-links')}
      </section>

      {isOwner ? (
        <section className="panel stack" aria-labelledby="settings-h">
          <h2 id="settings-h">Settings</h2>
          <Form method="post" className="row gap">
            <input type="hidden" name="intent" value="rename" />
            <label htmlFor="ws-rename" className="visually-hidden">
              Workspace name
            </label>
            <input id="ws-rename" name="name" defaultValue={workspace.name} required maxLength={60} className="grow" />
            <button type="submit" className="button ghost" disabled={busy}>
              Rename
            </button>
          </Form>
          {result('rename')}
          {workspace.kind === 'team' ? (
            <div className="confirm stack-s">
              <h3 className="small-heading">Delete this workspace</h3>
              <p className="small">Deletes its boards, library and generations for every member. This cannot be undone.</p>
              {confirmDelete ? (
                <Form method="post" className="row gap">
                  <input type="hidden" name="intent" value="delete" />
                  <label htmlFor="ws-confirm" className="small">
                    Type <strong>{workspace.name}</strong> to confirm
                  </label>
                  <input id="ws-confirm" name="confirmName" required autoComplete="off" className="grow" />
                  <button type="submit" className="button danger" disabled={busy}>
                    Delete workspace
                  </button>
                  <button type="button" className="button ghost" onClick={() => setConfirmDelete(false)}>
                    Cancel
                  </button>
                </Form>
              ) : (
                <button type="button" className="button danger-ghost small" onClick={() => setConfirmDelete(true)}>
                  Delete workspace…
                </button>
              )}
              {result('delete')}
            </div>
          ) : null}
        </section>
      ) : (
        <section className="panel stack" aria-labelledby="leave-h">
          <h2 id="leave-h">Leave</h2>
          <Form method="post" onSubmit={(e) => void (!confirm(`Leave ${workspace.name}? You will lose access to its boards.`) && e.preventDefault())}>
            <input type="hidden" name="intent" value="leave" />
            <button type="submit" className="button danger-ghost" disabled={busy}>
              Leave workspace
            </button>
          </Form>
          {result('leave')}
        </section>
      )}
    </div>
  );
}
