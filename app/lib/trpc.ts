import { QueryClient } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import superjson from 'superjson';
import type { AppRouter } from '../../server/trpc/router.js';
import { messageFor } from '../../server/shared/errors.js';

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export function makeQueryClient() {
  return new QueryClient({
    defaultOptions: { queries: { staleTime: 10_000, retry: 1, refetchOnWindowFocus: false } },
  });
}

export function makeTrpcClient() {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: '/trpc', transformer: superjson })],
  });
}

/** The sentence to show a person for any error from a procedure. */
export function errorMessage(err: unknown): string {
  if (err instanceof TRPCClientError) {
    const data = err.data as { appCode?: string; requestId?: string } | undefined;
    const message = messageFor(data?.appCode, err.message);
    // A failure on our side: the request id lets a person quote it to support (it names the server's log lines).
    return data?.appCode === 'INTERNAL' && data.requestId ? `${message} (reference: ${data.requestId})` : message;
  }
  if (err instanceof TypeError) return 'We could not reach the server. Check your connection and try again.';
  return messageFor(undefined);
}

/** The error code (server/shared/errors.ts) of an error from a procedure, if it has one. */
export function errorCode(err: unknown): string | undefined {
  return err instanceof TRPCClientError ? (err.data as { appCode?: string } | undefined)?.appCode : undefined;
}
