import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useRevalidator, useSearchParams } from '@remix-run/react';
import { useState } from 'react';
import type { ReportReason } from '../../server/shared/report-words.js';
import { ReportListInput } from '../lib/page-schemas.server.js';
import { OperatorActionDialog, type OperatorAction } from '../components/OperatorActionDialog.js';
import { useToast } from '../components/Toaster.js';
import { requireUser } from '../lib/session.server.js';
import { useTRPCClient } from '../lib/trpc.js';

export const meta: MetaFunction = () => [{ title: 'Reports and appeals — Operator console — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { trpc } = await requireUser(request, context);
  const parsed = ReportListInput.safeParse({ status: new URL(request.url).searchParams.get('status') || undefined });
  const status = parsed.success ? parsed.data.status : 'open';
  try {
    const [reports, appeals] = await Promise.all([trpc.admin.reports({ status }), trpc.admin.appeals()]);
    return { status, reports, appeals };
  } catch {
    throw new Response('Not found', { status: 404 });
  }
}

const STATUSES = [
  { id: 'open', label: 'Open' },
  { id: 'actioned', label: 'Acted on' },
  { id: 'dismissed', label: 'Dismissed' },
] as const;

export default function AdminReports() {
  const { status, reports, appeals } = useLoaderData<typeof loader>();
  const [, setParams] = useSearchParams();
  const client = useTRPCClient();
  const revalidator = useRevalidator();
  const toast = useToast();
  const [action, setAction] = useState<OperatorAction | null>(null);
  const done = (title: string) => () => {
    toast({ tone: 'success', title });
    revalidator.revalidate();
  };
  const [doneTitle, setDoneTitle] = useState('Done');
  const open = (a: OperatorAction, title: string) => {
    setDoneTitle(title);
    setAction(a);
  };

  return (
    <>
      <h1>Reports and appeals</h1>

      <section className="stack" aria-labelledby="appeals" id="appeals-section">
        <h2 id="appeals">Appeals waiting ({appeals.length})</h2>
        {appeals.length === 0 ? (
          <p className="panel empty-state muted">Nobody is waiting for a review.</p>
        ) : (
          <ul className="stack" aria-label="Appeals">
            {appeals.map((a) => (
              <li key={a.id} className="panel report-card">
                {a.about.kind === 'asset' ? <img className="review" src={a.about.reviewUrl} alt="The hidden item" /> : <div className="review hidden-media" aria-hidden="true" />}
                <div className="stack-s">
                  <p>
                    <strong>{a.email}</strong> asks to look again at {a.about.kind === 'asset' ? `a hidden item (${a.about.reasonLabel})` : `their ${a.about.standing === 'good' ? 'account' : 'suspension'}${a.about.reasonLabel ? ` (${a.about.reasonLabel})` : ''}`}.
                  </p>
                  <blockquote className="excerpt">{a.message}</blockquote>
                  <p className="muted small">{new Date(a.createdAt).toLocaleString('en')}</p>
                  <div className="report-actions">
                    <button
                      type="button"
                      className="button primary small"
                      aria-haspopup="dialog"
                      onClick={() =>
                        open(
                          {
                            title: a.about.kind === 'asset' ? 'Grant: restore the item' : 'Grant: reinstate the account',
                            explain: 'They are told by notification and email that the decision was reversed.',
                            confirm: a.about.kind === 'asset' ? 'Restore it' : 'Reinstate',
                            run: ({ message }) => client.admin.answerAppeal.mutate({ appealId: a.id, grant: true, message }),
                          },
                          'Appeal granted',
                        )
                      }
                    >
                      Grant…
                    </button>
                    <button
                      type="button"
                      className="button ghost small"
                      aria-haspopup="dialog"
                      onClick={() =>
                        open(
                          {
                            title: 'Refuse the appeal',
                            explain: 'The decision stays. They are told by notification and email, with your message.',
                            confirm: 'Refuse',
                            run: ({ message }) => client.admin.answerAppeal.mutate({ appealId: a.id, grant: false, message }),
                          },
                          'Appeal refused',
                        )
                      }
                    >
                      Refuse…
                    </button>
                  </div>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="stack" aria-labelledby="reports-heading">
        <div className="section-head">
          <h2 id="reports-heading">Reports</h2>
          <div className="row gap-s" role="group" aria-label="Show reports">
            {STATUSES.map((s) => (
              <button key={s.id} type="button" className={`button small ${status === s.id ? 'primary' : 'ghost'}`} aria-pressed={status === s.id} onClick={() => setParams(s.id === 'open' ? {} : { status: s.id })}>
                {s.label}
              </button>
            ))}
          </div>
        </div>
        {reports.length === 0 ? (
          <p className="panel empty-state muted">{status === 'open' ? 'No open reports. Nothing to do.' : 'None.'}</p>
        ) : (
          <ul className="stack" aria-label="Reports">
            {reports.map((r) => {
              const subject = r.subject.email ?? 'a deleted account';
              const what = r.asset ? (r.asset.media === 'video' ? 'video' : 'image') : r.boardItem ? 'note' : 'item';
              return (
                <li key={r.id} className="panel report-card" aria-label={`Report: ${r.reasonLabel}`}>
                  {r.asset ? (
                    r.asset.mime?.startsWith('video/') ? (
                      <video className="review" src={r.asset.reviewUrl} controls muted aria-label={`Reported ${what}`} />
                    ) : (
                      <img className="review" src={r.asset.reviewUrl} alt={`Reported ${what}`} />
                    )
                  ) : (
                    <div className="review hidden-media" aria-hidden="true" />
                  )}
                  <div className="stack-s">
                    <p>
                      <strong>{r.reasonLabel}</strong> — {what === 'image' ? 'an' : 'a'} {what} by <Link to={`/admin/users?q=${encodeURIComponent(r.subject.email ?? '')}`}>{subject}</Link>
                      {r.subject.standing !== 'good' ? <span className={`pill standing-${r.subject.standing}`}> {r.subject.standing}</span> : null}
                      {r.asset?.hidden ? <span className="pill pill-failed"> hidden</span> : null}
                    </p>
                    {r.boardItem ? (
                      <p className="small muted">
                        On the board “{r.boardItem.boardName ?? 'deleted'}”{r.boardItem.excerpt !== null ? ':' : ''}
                      </p>
                    ) : null}
                    {r.boardItem?.excerpt ? <blockquote className="excerpt">{r.boardItem.excerpt}</blockquote> : null}
                    {r.note ? <p>Reporter’s note: “{r.note}”</p> : null}
                    <p className="muted small">
                      Reported by {r.via === 'link' ? 'someone with a share link to the board' : (r.reporterEmail ?? 'a deleted account')} on {new Date(r.createdAt).toLocaleString('en')}
                      {r.asset && r.asset.openReports > 1 ? ` · ${r.asset.openReports} open reports of this ${what}` : ''}
                      {r.resolvedAt ? ` · ${r.status === 'dismissed' ? 'dismissed' : 'acted on'} ${new Date(r.resolvedAt).toLocaleString('en')}` : ''}
                    </p>
                    <div className="report-actions">
                      {r.asset && !r.asset.hidden ? (
                        <button
                          type="button"
                          className="button danger small"
                          aria-haspopup="dialog"
                          onClick={() =>
                            open(
                              {
                                title: `Hide this ${what} everywhere`,
                                explain: `It disappears from the library, boards and its link for everyone in the workspace; the file is kept. ${subject} is told why by notification and email, and can ask for a review.`,
                                confirm: 'Hide it',
                                danger: true,
                                reason: r.reason as ReportReason,
                                run: ({ reason, message }) => client.admin.hideAsset.mutate({ assetId: r.asset!.id, reason, message }),
                              },
                              'Hidden',
                            )
                          }
                        >
                          Hide…
                        </button>
                      ) : null}
                      {r.asset?.hidden ? (
                        <button
                          type="button"
                          className="button ghost small"
                          aria-haspopup="dialog"
                          onClick={() =>
                            open(
                              { title: `Restore this ${what}`, explain: `It shows again everywhere it was. ${subject} is told.`, confirm: 'Restore it', run: ({ message }) => client.admin.restoreAsset.mutate({ assetId: r.asset!.id, message }) },
                              'Restored',
                            )
                          }
                        >
                          Restore…
                        </button>
                      ) : null}
                      {r.status === 'open' ? (
                        <button
                          type="button"
                          className="button ghost small"
                          aria-haspopup="dialog"
                          onClick={() =>
                            open({ title: 'Dismiss this report', explain: 'Nothing changes for the content or its maker; the report leaves the queue.', confirm: 'Dismiss', run: ({ message }) => client.admin.dismissReport.mutate({ reportId: r.id, message }) }, 'Report dismissed')
                          }
                        >
                          Dismiss…
                        </button>
                      ) : null}
                      {r.subject.userId && r.subject.standing === 'good' ? (
                        <button
                          type="button"
                          className="button ghost small"
                          aria-haspopup="dialog"
                          onClick={() =>
                            open(
                              {
                                title: `Suspend ${subject}`,
                                explain: 'They can still sign in, look and download, but not generate, upload or change boards. They are told why and how to ask for a review.',
                                confirm: 'Suspend',
                                danger: true,
                                reason: r.reason as ReportReason,
                                run: ({ reason, message }) => client.admin.setStanding.mutate({ userId: r.subject.userId!, standing: 'suspended', reason, message }),
                              },
                              'Account suspended',
                            )
                          }
                        >
                          Suspend maker…
                        </button>
                      ) : null}
                    </div>
                  </div>
                </li>
              );
            })}
          </ul>
        )}
      </section>
      {action ? <OperatorActionDialog action={action} onClose={() => setAction(null)} onDone={done(doneTitle)} /> : null}
    </>
  );
}
