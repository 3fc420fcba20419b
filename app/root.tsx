import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Links, Meta, Outlet, Scripts, ScrollRestoration, isRouteErrorResponse, useLoaderData, useRouteError, useRouteLoaderData, Link } from '@remix-run/react';
import { QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import './lib/context.js';
import { AppHeader } from './components/AppHeader.js';
import { pickWorkspace } from './lib/workspace.server.js';
import { DeletionCancelNotice } from './components/DeletionCancelNotice.js';
import { JobToasts } from './components/JobToasts.js';
import { Toaster } from './components/Toaster.js';
import { ShortcutsProvider } from './components/Shortcuts.js';
import { RealtimeProvider } from './lib/realtime.js';
import { ConsentBanner, ConsentProvider } from './components/ConsentBanner.js';
import { PolicyNotice } from './components/PolicyNotice.js';
import { SiteFooter } from './components/SiteFooter.js';
import { SupportReference } from './components/SupportReference.js';
import { makeQueryClient, makeTrpcClient, TRPCProvider } from './lib/trpc.js';
import styles from './styles/app.css';

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: styles },
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
];

export const meta: MetaFunction = () => [
  { title: 'Flux Klein — generate images together' },
  { name: 'description', content: 'Generate images and short videos with AI models, keep what you like, and work on it together.' },
];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const trpc = await context.trpc();
  const me = await trpc.me.get();
  const [consent, policies, cancelled] = await Promise.all([trpc.me.consent(), me ? trpc.me.pendingPolicies() : [], me ? trpc.privacy.takeDeletionCancelNotice() : null]);
  // The date in words here, so the server's and the browser's rendering agree.
  const deletionNotice = cancelled ? { date: cancelled.scheduledFor.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }) } : null;
  return { nonce: context.cspNonce, me, policies, currentWorkspaceId: me ? (pickWorkspace(request, me.workspaces)?.id ?? null) : null, consent, deletionNotice };
}

export function Layout({ children }: { children: React.ReactNode }) {
  // The response's CSP nonce: Remix's scripts run only with it (server/http/security.ts).
  const nonce = useRouteLoaderData<typeof loader>('root')?.nonce;
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="dark" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  const { me, policies, consent, currentWorkspaceId, deletionNotice } = useLoaderData<typeof loader>();
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(makeTrpcClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <RealtimeProvider enabled={Boolean(me)}>
          <ConsentProvider initial={consent}>
          <Toaster>
          <ShortcutsProvider>
            <AppHeader user={me} currentWorkspaceId={currentWorkspaceId} />
            {me && !me.emailVerified ? (
              <div className="verify-banner" role="region" aria-label="Email confirmation">
                <span>Please confirm your email address: we sent a link to {me.email}. Until then you cannot invite others.</span>
                <Link to="/settings/account">Resend the link</Link>
              </div>
            ) : null}
            {me?.standing === 'suspended' ? (
              <div className="verify-banner suspended-banner" role="region" aria-label="Account suspended">
                <span>Your account is suspended: you can look at, download and delete your work, but not generate, upload or change boards.</span>
                <Link to="/settings/account#moderation">Why, and how to ask for a review</Link>
              </div>
            ) : null}
            {me ? <DeletionCancelNotice notice={deletionNotice} /> : null}
            {me ? <PolicyNotice policies={policies} /> : null}
            <main id="main" className="main">
              <Outlet />
            </main>
            <SiteFooter />
            {me ? <JobToasts userId={me.id} /> : null}
            <ConsentBanner />
          </ShortcutsProvider>
          </Toaster>
          </ConsentProvider>
        </RealtimeProvider>
      </TRPCProvider>
    </QueryClientProvider>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  return (
    <main id="main" className="main narrow">
      <div className="panel empty-state">
        <h1>{notFound ? 'Page not found' : 'Something went wrong'}</h1>
        <p>{notFound ? 'That page does not exist, or it was deleted.' : 'An unexpected error happened on our side. Please reload the page or try again in a minute.'}</p>
        {notFound ? null : <SupportReference />}
        <Link className="button primary" to="/">
          Go to the start page
        </Link>
      </div>
    </main>
  );
}
