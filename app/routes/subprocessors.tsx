import type { MetaFunction } from '@remix-run/node';
import { DataTable } from '../components/DataTable.js';
import { POLICIES } from '../../server/shared/policies.js';

export const meta: MetaFunction = () => [{ title: 'Subprocessors — Flux Klein' }];

const ROWS: [string, string, string][] = [
  ['Hosting and database', 'Runs the service and its PostgreSQL database', 'Everything the service keeps, for as long as the privacy policy says'],
  ['File storage', 'Stores uploads, outputs, exports and backups', 'Files until deleted; exports and backups for their configured periods'],
  ['Email delivery', 'Sends account, invitation and export emails', 'Recipient address and message, for its delivery logs'],
  ['Stripe (payments)', 'Checkout, subscriptions, invoices, customer portal', 'Card and payment details under Stripe’s own terms; we keep only ids, brand and last four digits'],
  ['Black Forest Labs (model provider)', 'Runs FLUX.2 [klein] when configured', 'The prompt, settings and references of each request; result links expire after about ten minutes'],
  ['fal (model provider)', 'Runs FLUX.2 [klein] and video models when configured', 'Inputs and outputs of each request; we ask it not to store them and to expire results within an hour'],
  ['Replicate (model provider)', 'Runs FLUX.2 [klein] when configured', 'Inputs, outputs and logs of each request, deleted by Replicate after one hour'],
  ['Built-in renderer', 'Runs on our own servers when no provider is configured', 'Nothing leaves our servers'],
];

export default function Subprocessors() {
  return (
    <article className="narrow-page prose">
      <h1>Subprocessors</h1>
      <p className="muted small">Version {POLICIES.subprocessors.version}</p>
      <p>These services process data for us. Model providers receive only what a generation needs: the prompt, its settings and any reference images.</p>
      <DataTable
        label="Subprocessors"
        columns={['Service', 'What it does for us', 'What it keeps']}
        rows={ROWS}
        rowKey={([service]) => service}
        cells={([service, does, keeps]) => (
          <>
            <td>{service}</td>
            <td>{does}</td>
            <td>{keeps}</td>
          </>
        )}
      />
    </article>
  );
}
