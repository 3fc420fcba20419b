import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { FormError } from '../components/FormError.js';
import { useLoaderData, useRevalidator } from '@remix-run/react';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { requireUser } from '../lib/session.server.js';
import { errorMessage, useTRPC } from '../lib/trpc.js';
import { DataTable } from '../components/DataTable.js';

export const meta: MetaFunction = () => [{ title: 'Privacy requests — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { trpc } = await requireUser(request, context);
  try {
    return { requests: await trpc.privacy.adminRequests() };
  } catch {
    throw new Response('Not found', { status: 404 });
  }
}

export default function AdminPrivacyRequests() {
  const { requests } = useLoaderData<typeof loader>();
  const trpc = useTRPC();
  const revalidator = useRevalidator();
  const [error, setError] = useState<string | null>(null);
  const setStatus = useMutation(trpc.privacy.setRequestStatus.mutationOptions({ onSuccess: () => revalidator.revalidate(), onError: (e) => setError(errorMessage(e)) }));
  return (
    <div className="library">
      <h1>Privacy requests</h1>
      <FormError message={error} />
      <DataTable
        label="Privacy requests"
        columns={['Received', 'From', 'About', 'Request', 'Status']}
        rows={requests}
        rowKey={(r) => r.id}
        empty={<p className="panel empty-state">No requests.</p>}
        cells={(r) => (
          <>
            <td>{new Date(r.created_at).toLocaleString('en')}</td>
            <td>{r.email ?? 'deleted account'}</td>
            <td>{r.kind}</td>
            <td>{r.message}</td>
            <td>
              <label className="visually-hidden" htmlFor={`status-${r.id}`}>
                Status
              </label>
              <select id={`status-${r.id}`} value={r.status} onChange={(e) => setStatus.mutate({ id: r.id, status: e.target.value as typeof r.status })}>
                <option value="open">open</option>
                <option value="in_progress">in progress</option>
                <option value="done">done</option>
                <option value="rejected">rejected</option>
              </select>
            </td>
          </>
        )}
      />
    </div>
  );
}
