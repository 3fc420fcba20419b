import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { can } from '../../server/shared/permissions.js';
import { QueuePanel } from '../components/studio/QueuePanel.js';
import { requireUser } from '../lib/session.server.js';
import { pickWorkspace } from '../lib/workspace.server.js';

export const meta: MetaFunction = () => [{ title: 'Queue — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { me } = await requireUser(request, context);
  const workspace = pickWorkspace(request, me.workspaces);
  return { workspaceId: workspace?.id, role: workspace?.role ?? null };
}

/** The workspace's queue on a page of its own (the studio shows the same panel beside the results). */
export default function QueuePage() {
  const { workspaceId, role } = useLoaderData<typeof loader>();
  return (
    <div className="narrow-page">
      <QueuePanel workspaceId={workspaceId} mayGenerate={can(role, 'generation.create')} mayCancel={can(role, 'generation.cancel')} headingLevel={1} />
    </div>
  );
}
