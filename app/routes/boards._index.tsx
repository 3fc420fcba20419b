import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { FormError } from '../components/FormError.js';
import { Form, Link, useActionData, useLoaderData, useLocation, useNavigation, useRevalidator } from '@remix-run/react';
import { useCallback, useState } from 'react';
import { DeleteBoardDialog } from '../components/DeleteBoardDialog.js';
import { timeAgo } from '../components/NotificationBell.js';
import { useSocketEvent } from '../lib/realtime.js';
import { requireUser } from '../lib/session.server.js';
import { errorMessage } from '../lib/trpc.js';
import { pickWorkspace } from '../lib/workspace.server.js';
import { can, deniedReason } from '../../server/shared/permissions.js';

export const meta: MetaFunction = () => [{ title: 'Boards — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { me, trpc } = await requireUser(request, context);
  const workspace = pickWorkspace(request, me.workspaces)!;
  const boards = await trpc.board.list({ workspaceId: workspace.id });
  return { workspace, boards, canEdit: can(workspace.role, 'board.create'), canDelete: can(workspace.role, 'board.delete'), createReason: deniedReason(workspace.role, 'board.create') };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { me, trpc } = await requireUser(request, context);
  const workspace = pickWorkspace(request, me.workspaces)!;
  const form = await request.formData();
  try {
    const board = await trpc.board.create({ workspaceId: workspace.id, name: String(form.get('name') ?? '') });
    return redirect(`/boards/${board.id}`);
  } catch (err) {
    return { error: errorMessage(err) };
  }
}

export default function Boards() {
  const { workspace, boards, canEdit, canDelete, createReason } = useLoaderData<typeof loader>();
  const [deleting, setDeleting] = useState<{ id: string; name: string } | null>(null);
  const [deletedHere, setDeletedHere] = useState<string | null>(null);
  const data = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  const revalidator = useRevalidator();
  // Set by the board page after deleting a board.
  const deleted = deletedHere ?? (useLocation().state as { deletedBoard?: string } | null)?.deletedBoard;
  const onChanged = useCallback(
    (e: { workspaceId: string; what: string }) => {
      if (e.workspaceId === workspace.id && e.what === 'boards' && revalidator.state === 'idle') revalidator.revalidate();
    },
    [workspace.id, revalidator],
  );
  useSocketEvent('workspace:changed', onChanged);
  return (
    <div className="stack">
      <div className="section-head">
        <h1>Boards</h1>
        <span className="muted small">in {workspace.name}</span>
      </div>
      {canEdit ? (
        <Form method="post" className="row gap board-new">
          <label htmlFor="board-name" className="visually-hidden">
            Board name
          </label>
          <input id="board-name" name="name" required maxLength={80} placeholder="New board name, e.g. Spring campaign" className="grow" />
          <button type="submit" className="button primary" disabled={busy}>
            Create board
          </button>
        </Form>
      ) : (
        <p className="gate-hint">{createReason} You can view the boards of this workspace; ask an admin for editor access to create one.</p>
      )}
      <FormError message={data?.error} />
      {deleted ? (
        <p className="form-ok" role="status">
          Deleted “{deleted}”.
        </p>
      ) : null}
      {boards.length === 0 ? (
        <div className="panel empty-state">
          <h2>No boards yet</h2>
          <p className="muted">A board is a shared canvas for generated images, references and notes. Everyone in the workspace sees changes as they happen.</p>
        </div>
      ) : (
        <ul className="board-grid" aria-label="Boards">
          {boards.map((b) => (
            <li key={b.id} className={canDelete ? 'board-tile-wrap deletable' : 'board-tile-wrap'}>
              <Link to={`/boards/${b.id}`} className="board-tile">
                <strong>{b.name}</strong>
                <span className="muted small" suppressHydrationWarning>
                  Updated {timeAgo(b.updatedAt)}
                </span>
              </Link>
              {canDelete ? (
                <button type="button" className="button ghost small board-tile-delete" aria-label={`Delete ${b.name}`} onClick={() => setDeleting({ id: b.id, name: b.name })}>
                  Delete
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {deleting ? (
        <DeleteBoardDialog
          boardId={deleting.id}
          name={deleting.name}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            setDeletedHere(deleting.name);
            setDeleting(null);
            revalidator.revalidate();
          }}
        />
      ) : null}
    </div>
  );
}
