import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { Fragment } from 'react';
import { TRPCError } from '@trpc/server';

export const meta: MetaFunction = () => [{ title: 'Development outbox — Flux Klein' }];

/**
 * Mail that would have been sent, when no SMTP_URL is configured. In production only at a localhost
 * BASE_URL and to requests from this machine; otherwise 404 (server/mail/index.ts `outboxAccess`).
 */
export async function loader({ context }: LoaderFunctionArgs) {
  const trpc = await context.trpc();
  const messages = await trpc.dev.outbox().catch((err: unknown) => {
    if (err instanceof TRPCError && err.code === 'NOT_FOUND') throw new Response('Not found', { status: 404 });
    throw err;
  });
  return { messages };
}

/** The message text with every http(s) URL as a link (the links a person would click in their mail). */
function TextWithLinks({ text }: { text: string }) {
  const parts = text.split(/(https?:\/\/[^\s]+)/g);
  return (
    <>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <a key={i} href={part}>
            {part}
          </a>
        ) : (
          <Fragment key={i}>{part}</Fragment>
        ),
      )}
    </>
  );
}

export default function Outbox() {
  const { messages } = useLoaderData<typeof loader>();
  return (
    <div className="narrow-page">
      <h1>Development outbox</h1>
      <p className="muted">Messages the product would have emailed. Set SMTP_URL to send real mail.</p>
      {messages.length === 0 ? <p className="panel empty-state">No messages yet.</p> : null}
      {messages.map((m) => (
        <article key={m.id} className="panel stack" aria-label={m.subject}>
          <h2>{m.subject}</h2>
          <p className="muted small">
            To {m.to} · {new Date(m.sentAt).toLocaleString('en')}
          </p>
          <pre className="outbox-text">
            <TextWithLinks text={m.text} />
          </pre>
        </article>
      ))}
    </div>
  );
}
