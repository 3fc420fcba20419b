import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useActionData, useLoaderData } from '@remix-run/react';
import { InvitationCard } from '../components/InvitationCard.js';
import { invitationAction, invitationLoader } from '../lib/invitation.server.js';

export const meta: MetaFunction = () => [{ title: 'Invitation — Flux Klein' }, { name: 'referrer', content: 'no-referrer' }];

export const loader = (args: LoaderFunctionArgs) => invitationLoader('id', args);
export const action = (args: ActionFunctionArgs) => invitationAction('id', args);

export default function Invite() {
  const { info, me } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  return <InvitationCard info={info} me={me} error={data && 'error' in data ? data.error : undefined} notFound="This invitation was not found for your account. It may be for another email address: open the link in the invitation email instead." />;
}
