import type { LoaderFunctionArgs } from '@remix-run/node';
import { filterFromSearch, LEDGER_CSV_HEADER, LedgerFilterInput, ledgerCsvLine } from '../../server/shared/ledger.js';
import { requireUser } from '../lib/session.server.js';
import { pickWorkspace } from '../lib/workspace.server.js';

/** /billing/ledger.csv: the ledger page's entries (same filter), all of them, as a spreadsheet file. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { trpc, me } = await requireUser(request, context);
  const workspace = pickWorkspace(request, me.workspaces);
  const parsed = LedgerFilterInput.safeParse({ ...filterFromSearch(new URL(request.url).searchParams), workspaceId: workspace?.id });
  if (!parsed.success) return new Response(`${parsed.error.issues[0]?.message ?? 'Check the filter.'}\n`, { status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  const { rows } = await trpc.credits.ledgerExport(parsed.data);
  const body = [LEDGER_CSV_HEADER.join(','), ...rows.map(ledgerCsvLine)].join('\r\n') + '\r\n';
  const day = new Date().toISOString().slice(0, 10);
  return new Response(body, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="credit-history-${day}.csv"`,
      'cache-control': 'private, no-store',
    },
  });
}
