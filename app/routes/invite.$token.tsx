import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useActionData, useLoaderData } from '@remix-run/react';
import { InvitationCard } from '../components/InvitationCard.js';
import { invitationAction, invitationLoader } from '../lib/invitation.server.js';

export const meta: MetaFunction = () => [{ title: 'Invitation — Flux Klein' }, { name: 'referrer', content: 'no-referrer' }];

export const loader = (args: LoaderFunctionArgs) => invitationLoader('token', args);
export const action = (args: ActionFunctionArgs) => invitationAction('token', args);

export default function Invite() {
  const { info, me } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  return <InvitationCard info={info} me={me} error={data && 'error' in data ? data.error : undefined} notFound="This invitation link is not valid. Check that you opened the whole link from the email." />;
}
