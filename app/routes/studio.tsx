import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { can } from '../../server/shared/permissions.js';
import { useGate } from '../components/Gate.js';
import { StudioForm } from '../components/studio/StudioForm.js';
import { StudioResults } from '../components/studio/StudioResults.js';
import { useStudioForm } from '../components/studio/useStudioForm.js';
import { useStudioJobs } from '../components/studio/useStudioJobs.js';
import { requireUser } from '../lib/session.server.js';
import { pickWorkspace } from '../lib/workspace.server.js';
import { usePageShortcuts } from '../components/Shortcuts.js';
import { STUDIO_SHORTCUTS } from '../lib/shortcuts.js';

export const meta: MetaFunction = () => [{ title: 'Studio — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { trpc, me } = await requireUser(request, context);
  const workspace = pickWorkspace(request, me.workspaces);
  const workspaceId = workspace?.id;
  const [recent, models, credits, standing] = await Promise.all([trpc.generation.list({ limit: 12, workspaceId }), trpc.generation.models(), trpc.credits.balance({ workspaceId }), trpc.moderation.standing()]);
  return { recent, models, balance: credits.balance, workspaceId, role: workspace?.role ?? null, standing };
}

/** The studio: the form (components/studio/StudioForm) beside the workspace's recent jobs (StudioResults). */
export default function Studio() {
  const { recent, models, workspaceId, role, standing } = useLoaderData<typeof loader>();
  // What this person's role in the workspace lets them do (the same table the server checks).
  const generateGate = useGate(role, 'generation.create');
  const mayCancel = can(role, 'generation.cancel');
  const mayKeep = can(role, 'asset.edit');
  const studio = useStudioForm(models, workspaceId);
  const results = useStudioJobs(recent.items, workspaceId);
  usePageShortcuts(STUDIO_SHORTCUTS, { slash: '#prompt' });

  return (
    <div className="studio">
      <StudioForm studio={studio} workspaceId={workspaceId} gate={generateGate} mayUpload={can(role, 'asset.upload')} initialStanding={standing} onCreated={results.add} />
      <StudioResults
        jobs={results.jobs}
        models={models}
        announcement={results.announcement}
        queue={{ workspaceId, mayGenerate: generateGate.allowed, mayCancel }}
        actions={{
          onCancel: mayCancel ? (id) => results.cancel.mutate({ id }) : undefined,
          onRerun: generateGate.allowed ? (gen, s) => results.rerun.mutate({ id: gen.id, seed: s }) : undefined,
          onReuse: studio.reuse,
          onUseAsReference: generateGate.allowed ? studio.useAsReference : undefined,
          onKeep: mayKeep ? (id, saved) => results.keep.mutate({ ids: [id], saved }) : undefined,
        }}
      />
    </div>
  );
}
