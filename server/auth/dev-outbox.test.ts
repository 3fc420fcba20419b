import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoaderFunctionArgs } from '@remix-run/node';
import { describe, expect, it } from 'vitest';
import { loader } from '../../app/routes/dev.outbox.js';
import { composeMail, createMailer, type OutboxEntry } from '../mail/index.js';
import { createLogger } from '../log.js';
import type { Context } from '../trpc/init.js';
import { createCaller } from '../trpc/router.js';

function contextFor(env: 'development' | 'production') {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-outbox-'));
  const mailer = createMailer({ smtpUrl: undefined, mailFrom: 'Flux Klein <no-reply@flux-klein.local>', dataDir }, createLogger('silent'));
  // The loader reads through the tRPC server-side caller, as every loader does (server/index.ts builds the same).
  const ctx = { deps: { config: { env }, mailer }, auth: null, user: null, headers: new Headers() } as unknown as Context;
  return { mailer, args: { request: new Request('http://localhost/dev/outbox'), params: {}, context: { trpc: async () => createCaller(ctx) } } as unknown as LoaderFunctionArgs };
}

describe('/dev/outbox', () => {
  it('lists the messages of the development outbox with their links', async () => {
    const { mailer, args } = contextFor('development');
    await mailer.send(composeMail({ to: 'a@example.test', subject: 'First', heading: 'H', paragraphs: ['p'], action: { label: 'Go', url: 'http://localhost/one' }, reason: 'Because.' }));
    await mailer.send(composeMail({ to: 'b@example.test', subject: 'Second', heading: 'H', paragraphs: ['p'], reason: 'Because.' }));
    const { messages } = (await loader(args)) as { messages: OutboxEntry[] };
    expect(messages.map((m) => m.subject).sort()).toEqual(['First', 'Second']);
    expect(messages.find((m) => m.subject === 'First')!.text).toContain('Go: http://localhost/one');
  });

  it('does not exist in production', async () => {
    const { mailer, args } = contextFor('production');
    await mailer.send(composeMail({ to: 'a@example.test', subject: 'Secret', heading: 'H', paragraphs: ['p'], reason: 'Because.' }));
    const thrown = await Promise.resolve(loader(args)).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(Response);
    expect((thrown as Response).status).toBe(404);
  });
});
