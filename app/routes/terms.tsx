import type { MetaFunction } from '@remix-run/node';
import { Link } from '@remix-run/react';
import { POLICIES } from '../../server/shared/policies.js';

export const meta: MetaFunction = () => [{ title: 'Terms of service — Flux Klein' }];

export default function Terms() {
  return (
    <article className="narrow-page prose">
      <h1>Terms of service</h1>
      <p className="muted small">Version {POLICIES.terms.version}</p>
      <h2>Using Flux Klein</h2>
      <p>You may use the service to make images and videos for any lawful purpose. Do not use it to make content that is illegal, that harms others, or that infringes someone else's rights, and do not try to break or overload it.</p>
      <h2>Your content</h2>
      <p>What you upload and make is yours. You let us store and process it to run the service for you and your team. You can delete it at any time.</p>
      <h2>Generated files are marked</h2>
      <p>
        Every image and video made here says so inside the file: its metadata records that it was generated, with the model and the service that made it and when (the IPTC
        &ldquo;digital source type&rdquo; in XMP, and in PNG and JPEG files also signed C2PA &ldquo;Content Credentials&rdquo;, which tools and platforms read to label AI content). The law in some places, such as the EU&rsquo;s AI Act, expects this. Please do
        not remove the mark when you publish what you made, and do not present generated content as a real photograph or recording where that could mislead people.
      </p>
      <h2>Credits and payments</h2>
      <p>Generations cost credits, shown before you start one. Credits for a job that fails or that you cancel come back. Plans renew monthly until you cancel them in the customer portal; payments are handled by Stripe.</p>
      <h2>Teams</h2>
      <p>A workspace owner manages its members and billing. Members spend the workspace's credits and see its library and boards.</p>
      <h2>Changes</h2>
      <p>When these terms change, we show signed-in people a notice with a summary and record which version they read. How we handle data is in the <Link to="/privacy">privacy policy</Link>.</p>
    </article>
  );
}
