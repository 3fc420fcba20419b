import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { POLICIES } from '../../server/shared/policies.js';

export const meta: MetaFunction = () => [{ title: 'Privacy policy — Flux Klein' }];

/** Retention periods come from the running configuration, so the page says what the product does. */
export function loader({ context }: LoaderFunctionArgs) {
  const r = context.publicConfig.retention;
  return { r };
}

export default function Privacy() {
  const { r } = useLoaderData<typeof loader>();
  return (
    <article className="narrow-page prose">
      <h1>Privacy policy</h1>
      <p className="muted small">Version {POLICIES.privacy.version}. When this page changes, signed-in people see a notice with a summary, and we record who read which version.</p>
      <h2>Who we are</h2>
      <p>Flux Klein is a service for making images and short videos with AI models, alone or in a team. Questions about your data: contact@flux-klein.com.</p>
      <h2>What we keep</h2>
      <ul>
        <li>Your account: email address, display name, and, if you sign in with GitHub or Google, the account id that provider gives us. Nothing more about you as a person.</li>
        <li>Payments: from Stripe we keep the customer and subscription ids, the plan and its state, the card brand and its last four digits, and invoice ids and amounts. Never a card number.</li>
        <li>What you make: the prompts, settings and reference images of your generations, and the outputs you keep, until you delete them. Outputs you never choose to keep are deleted after {r.unsavedOutputDays} days.</li>
        <li>A usage log of requests and errors: time, what was asked, the result, your device and browser, and your network (the address shortened to its first three parts, or first three groups for IPv6). It is kept {r.usageLogDays} days.</li>
        <li>Cookies and local storage for your session, your choices and, if you allow it, preferences and our own analytics. See the <Link to="/cookies">cookie policy</Link>.</li>
      </ul>
      <h2>Why</h2>
      <p>To sign you in, run your generations and deliver the results, charge for credits and plans, keep the service working and safe (finding errors, stopping abuse and fraud), and meet legal and tax duties.</p>
      <h2>Model providers</h2>
      <p>
        When a generation runs on an outside model provider (Black Forest Labs, fal or Replicate), it receives only what that generation needs: the prompt, the settings and any
        reference images. It receives no name, email or account data. Which provider keeps what, and for how long, is on the <Link to="/subprocessors">subprocessors</Link> page.
      </p>
      <h2>What generated files say about themselves</h2>
      <p>
        We write a mark into every image and video we generate, so anyone can tell it was made by AI: that it was generated, the model and where it ran, the name of this service and the
        time. The mark contains nothing about you: not your prompt, your name, your email or your workspace. Photos you upload as references have their location and camera data removed
        when they arrive; that removal never touches the marks on what we generate.
      </p>
      <h2>How long</h2>
      <ul>
        <li>Your files and prompts: until you delete them (unkept outputs: {r.unsavedOutputDays} days).</li>
        <li>Usage log: {r.usageLogDays} days. Analytics events: {r.analyticsDays} days. Data exports: {r.exportDays} days after they are ready.</li>
        <li>Billing records and the audit log of security and privacy actions: kept as the law and our operations require; after you delete your account they no longer carry your name or address.</li>
        <li>Backups and operational logs: a limited, configured period.</li>
      </ul>
      <h2>Your rights, in your own hands</h2>
      <ul>
        <li>See and take your data: <Link to="/settings/privacy">Your data</Link> prepares a ZIP of everything we hold about you.</li>
        <li>Correct it: change your name and email on the <Link to="/settings/account">account page</Link>.</li>
        <li>Delete it: delete your account on <Link to="/settings/privacy">Your data</Link>. It happens after {r.deletionGraceDays} days; signing in before then cancels it.</li>
        <li>Cookies and analytics: change your choice at any time on the <Link to="/cookies">cookie page</Link>.</li>
        <li>Anything else, including objecting to a use of your data: write to contact@flux-klein.com.</li>
      </ul>
      <h2>Who else sees data</h2>
      <p>We do not sell personal data. The companies that host, store, email and take payments for us, and the model providers above, process data on our behalf. We share data with authorities only when the law requires it, and with a company that takes over the service.</p>
    </article>
  );
}
