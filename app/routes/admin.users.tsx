import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, useLoaderData, useNavigation, useRevalidator } from '@remix-run/react';
import { useState } from 'react';
import { UserSearchInput } from '../lib/page-schemas.server.js';
import { OperatorActionDialog, type OperatorAction } from '../components/OperatorActionDialog.js';
import { useToast } from '../components/Toaster.js';
import { formatBytes } from '../lib/format.js';
import { requireUser } from '../lib/session.server.js';
import { useTRPCClient } from '../lib/trpc.js';
import { DataTable } from '../components/DataTable.js';

export const meta: MetaFunction = () => [{ title: 'Users — Operator console — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { trpc } = await requireUser(request, context);
  const parsed = UserSearchInput.safeParse({ q: new URL(request.url).searchParams.get('q') || undefined });
  const q = parsed.success ? parsed.data.q : undefined;
  try {
    return { q: q ?? '', users: await trpc.admin.users({ q }) };
  } catch {
    throw new Response('Not found', { status: 404 });
  }
}

export default function AdminUsers() {
  const { q, users } = useLoaderData<typeof loader>();
  const client = useTRPCClient();
  const revalidator = useRevalidator();
  const toast = useToast();
  const searching = useNavigation().state === 'loading';
  const [action, setAction] = useState<{ a: OperatorAction; title: string } | null>(null);
  return (
    <>
      <h1>Users</h1>
      <Form method="get" className="row gap-s" role="search">
        <label htmlFor="user-q" className="visually-hidden">
          Search by email or name
        </label>
        <input id="user-q" name="q" type="search" defaultValue={q} placeholder="Email or name" className="grow" maxLength={200} />
        <button type="submit" className="button primary small">
          {searching ? 'Searching…' : 'Search'}
        </button>
      </Form>
      <DataTable
        label="Accounts"
        columns={['Account', 'Standing', 'Generations', 'Credits spent', 'Storage', 'Signed in', { hidden: 'Actions' }]}
        rows={users}
        rowKey={(u) => u.id}
        empty={<p className="panel empty-state muted">{q ? `No account matches “${q}”.` : 'No accounts yet.'}</p>}
        wrap="panel table-wrap"
        caption={`Accounts${q ? ` matching ${q}` : ', newest first'} (at most 50)`}
        cells={(u) => (
          <>
            <th scope="row">
              <span>{u.email}</span>
              <br />
              <span className="muted small">
                {u.name} · joined {new Date(u.createdAt).toLocaleDateString('en')}
                {u.confirmed ? '' : ' · not confirmed'}
                {u.operator ? ' · operator' : ''}
              </span>
            </th>
            <td>
              {u.standing === 'good' ? (
                <span className="muted">good</span>
              ) : (
                <span className={`pill standing-${u.standing}`} title={u.standingReason ?? undefined}>
                  {u.standing}
                </span>
              )}
              {u.standingReason ? <div className="small muted">{u.standingReason}</div> : null}
              {u.standing !== 'good' ? (
                <div className="small muted">
                  {u.standingSource === 'moderation' ? 'automatic, after refused prompts' : 'by an operator'}
                  {u.standingDetail ? ` (${u.standingDetail.replace(/\.$/, '')})` : ''}
                  {u.standingUntil ? `; ends ${new Date(u.standingUntil).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })}` : '; until lifted'}
                </div>
              ) : null}
            </td>
            <td>{u.usage.generations}</td>
            <td>{u.usage.creditsSpent}</td>
            <td>{formatBytes(u.usage.storageBytes)}</td>
            <td>{u.usage.activeSessions > 0 ? `${u.usage.activeSessions} session${u.usage.activeSessions === 1 ? '' : 's'}` : 'no'}</td>
            <td>
              {u.operator ? null : (
                <div className="row gap-s">
                  {u.standing === 'good' ? (
                    <>
                      <button
                        type="button"
                        className="button ghost small"
                        aria-haspopup="dialog"
                        aria-label={`Suspend ${u.email}`}
                        onClick={() =>
                          setAction({
                            title: 'Account suspended',
                            a: {
                              title: `Suspend ${u.email}`,
                              explain: 'They can still sign in, look, download and delete, but not generate, upload or change boards. They are told why and how to ask for a review.',
                              confirm: 'Suspend',
                              danger: true,
                              reason: 'other',
                              run: ({ reason, message }) => client.admin.setStanding.mutate({ userId: u.id, standing: 'suspended', reason, message }),
                            },
                          })
                        }
                      >
                        Suspend…
                      </button>
                    </>
                  ) : (
                    <button
                      type="button"
                      className="button ghost small"
                      aria-haspopup="dialog"
                      aria-label={`Reinstate ${u.email}`}
                      onClick={() =>
                        setAction({
                          title: 'Account reinstated',
                          a: { title: `Reinstate ${u.email}`, explain: 'The suspension or ban ends at once; they are told by notification and email.', confirm: 'Reinstate', run: ({ message }) => client.admin.reinstate.mutate({ userId: u.id, message }) },
                        })
                      }
                    >
                      Reinstate…
                    </button>
                  )}
                  {u.standing !== 'banned' ? (
                    <button
                      type="button"
                      className="button danger-ghost small"
                      aria-haspopup="dialog"
                      aria-label={`Ban ${u.email}`}
                      onClick={() =>
                        setAction({
                          title: 'Account banned',
                          a: {
                            title: `Ban ${u.email}`,
                            explain: 'They are signed out everywhere at once (open pages and live boards too) and cannot sign in again. They are told why by email, with where to appeal.',
                            confirm: 'Ban',
                            danger: true,
                            reason: 'other',
                            run: ({ reason, message }) => client.admin.setStanding.mutate({ userId: u.id, standing: 'banned', reason, message }),
                          },
                        })
                      }
                    >
                      Ban…
                    </button>
                  ) : null}
                </div>
              )}
            </td>
          </>
        )}
      />
      {action ? (
        <OperatorActionDialog
          action={action.a}
          onClose={() => setAction(null)}
          onDone={() => {
            toast({ tone: 'success', title: action.title });
            revalidator.revalidate();
          }}
        />
      ) : null}
    </>
  );
}
