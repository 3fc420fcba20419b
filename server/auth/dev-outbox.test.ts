/**
 * The outbox: mail that was not sent (no SMTP_URL). In development anyone sees it at /dev/outbox;
 * under `npm start` (production) only at a localhost BASE_URL, only to requests from this machine,
 * and each message's links are then also in the log; otherwise it does not exist.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoaderFunctionArgs } from '@remix-run/node';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { loader } from '../../app/routes/dev.outbox.js';
import { composeMail, createMailer, isLoopbackAddress, isLoopbackHost, mayReadOutbox, outboxAccess, type OutboxEntry } from '../mail/index.js';
import { createLogger } from '../log.js';
import type { Context } from '../trpc/init.js';
import { createCaller } from '../trpc/router.js';
import { createMetrics } from '../observability/metrics.js';
import { signUp, startTestServer } from '../testing/harness.js';

afterEach(() => vi.restoreAllMocks());

function contextFor(env: 'development' | 'production', opts: { baseUrl?: string; smtpUrl?: string; remoteAddress?: string; headers?: Record<string, string> } = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-outbox-'));
  const mailer = createMailer({ smtpUrl: undefined, mailFrom: 'Flux Klein <no-reply@flux-klein.local>', dataDir }, createLogger('silent'));
  // The loader reads through the tRPC server-side caller, as every loader does (server/index.ts builds the same).
  const ctx = { deps: { config: { env, baseUrl: opts.baseUrl, smtpUrl: opts.smtpUrl }, mailer, metrics: createMetrics({ enabled: false }) }, auth: null, user: null, headers: new Headers(opts.headers), remoteAddress: opts.remoteAddress } as unknown as Context;
  return { mailer, args: { request: new Request('http://localhost/dev/outbox'), params: {}, context: { trpc: async () => createCaller(ctx) } } as unknown as LoaderFunctionArgs };
}

const message = (to = 'a@example.test') =>
  composeMail({ to, subject: 'Reset your password', heading: 'H', paragraphs: ['p'], action: { label: 'Choose a new password', url: 'http://localhost:3000/reset-password?token=secret-reset-1' }, reason: 'Because.' });

/** A real logger whose lines are kept instead of printed. */
function capturedLog() {
  const lines: string[] = [];
  const keep = (chunk: unknown) => (lines.push(...String(chunk).split('\n').filter(Boolean)), true);
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  return { log: createLogger('info'), lines };
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

  it('in production at a localhost BASE_URL, shows the outbox to this machine only (the TCP peer, not a header)', async () => {
    for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      const { mailer, args } = contextFor('production', { baseUrl: 'http://localhost:3000', remoteAddress });
      await mailer.send(message());
      const { messages } = (await loader(args)) as { messages: OutboxEntry[] };
      expect(messages.map((m) => m.subject), remoteAddress).toEqual(['Reset your password']);
    }
    const refused: { remoteAddress?: string; headers?: Record<string, string> }[] = [
      { remoteAddress: '192.0.2.7' },
      { remoteAddress: '10.0.0.5', headers: { 'x-forwarded-for': '127.0.0.1', host: 'localhost:3000' } },
      // through a proxy on this machine: the peer is local, the person is not
      { remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.9' } },
      { remoteAddress: '127.0.0.1', headers: { forwarded: 'for=203.0.113.9' } },
      {},
    ];
    for (const r of refused) {
      const { mailer, args } = contextFor('production', { baseUrl: 'http://localhost:3000', ...r });
      await mailer.send(message());
      const thrown = await Promise.resolve(loader(args)).catch((e: unknown) => e);
      expect((thrown as Response).status, JSON.stringify(r)).toBe(404);
    }
  });

  it('never exists with SMTP configured or a public BASE_URL, even for this machine', async () => {
    for (const cfg of [
      { env: 'production' as const, baseUrl: 'https://flux.example.com' },
      { env: 'production' as const, baseUrl: 'http://localhost:3000', smtpUrl: 'smtp://mail.example.com:587' },
      { env: 'development' as const, baseUrl: 'http://localhost:3000', smtpUrl: 'smtp://mail.example.com:587' },
    ]) {
      const { mailer, args } = contextFor(cfg.env, { ...cfg, remoteAddress: '127.0.0.1' });
      await mailer.send(message());
      const thrown = await Promise.resolve(loader(args)).catch((e: unknown) => e);
      expect((thrown as Response).status, JSON.stringify(cfg)).toBe(404);
    }
  });

  it('the rule: who may read the outbox', () => {
    expect(outboxAccess({ env: 'development', smtpUrl: undefined, baseUrl: 'https://flux.example.com' })).toBe('anyone');
    expect(outboxAccess({ env: 'production', smtpUrl: undefined, baseUrl: 'http://localhost:3000' })).toBe('loopback');
    expect(outboxAccess({ env: 'production', smtpUrl: undefined, baseUrl: 'http://127.0.0.1:8080' })).toBe('loopback');
    expect(outboxAccess({ env: 'production', smtpUrl: undefined, baseUrl: 'http://[::1]:3000' })).toBe('loopback');
    expect(outboxAccess({ env: 'production', smtpUrl: undefined, baseUrl: 'http://app.localhost:3000' })).toBe('loopback');
    expect(outboxAccess({ env: 'production', smtpUrl: undefined, baseUrl: 'https://flux.example.com' })).toBe('none');
    expect(outboxAccess({ env: 'production', smtpUrl: undefined, baseUrl: 'http://localhost.example.com' })).toBe('none');
    expect(outboxAccess({ env: 'production', smtpUrl: undefined, baseUrl: 'http://192.168.1.10:3000' })).toBe('none');
    expect(outboxAccess({ env: 'production', smtpUrl: 'smtp://h:587', baseUrl: 'http://localhost:3000' })).toBe('none');
    expect(outboxAccess({ env: 'development', smtpUrl: 'smtp://h:587', baseUrl: 'http://localhost:3000' })).toBe('none');
    expect([isLoopbackHost('LOCALHOST'), isLoopbackHost('127.1.2.3'), isLoopbackHost('[::1]'), isLoopbackHost('localhostx'), isLoopbackHost('0.0.0.0')]).toEqual([true, true, true, false, false]);
    expect([isLoopbackAddress('127.0.0.1'), isLoopbackAddress('::ffff:127.0.0.1'), isLoopbackAddress('::1'), isLoopbackAddress('::ffff:10.0.0.1'), isLoopbackAddress(undefined)]).toEqual([true, true, true, false, false]);
    expect(mayReadOutbox('loopback', { remoteAddress: '127.0.0.1', headers: new Headers() })).toBe(true);
    expect(mayReadOutbox('loopback', { remoteAddress: '127.0.0.1', headers: new Headers({ 'x-forwarded-for': '127.0.0.1' }) })).toBe(false);
    expect(mayReadOutbox('none', { remoteAddress: '127.0.0.1', headers: new Headers() })).toBe(false);
  });

  it('at a localhost BASE_URL, logs each message’s subject, recipient and links (on purpose, unredacted)', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-outbox-'));
    const { log, lines } = capturedLog();
    await createMailer({ smtpUrl: undefined, mailFrom: 'x <x@example.test>', dataDir, baseUrl: 'http://localhost:3000' }, log).send(message('dev@example.test'));
    const line = JSON.parse(lines.find((l) => l.includes('local outbox'))!) as Record<string, unknown>;
    expect(line).toMatchObject({ subject: 'Reset your password', to: 'dev@example.test', links: ['http://localhost:3000/reset-password?token=secret-reset-1'] });
  });

  it('at a public BASE_URL, logs no link, token or address', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-outbox-'));
    const { log, lines } = capturedLog();
    await createMailer({ smtpUrl: undefined, mailFrom: 'x <x@example.test>', dataDir, baseUrl: 'https://flux.example.com' }, log).send(message('dev@example.test'));
    expect(lines.join('\n')).toContain('Reset your password');
    expect(lines.join('\n')).not.toMatch(/secret-reset-1|dev@example\.test|reset-password/);
  });
});

/** The first address of this machine that is not loopback (a request to it does not come from 127.0.0.1). */
const outsideAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

describe('dev.outbox under npm start (production), over real HTTP', () => {
  it('answers a request from 127.0.0.1 and refuses one that reaches the server from another address', async () => {
    const server = await startTestServer(inject('pgAdminUrl'), { env: { NODE_ENV: 'production', HOST: '0.0.0.0' } });
    try {
      expect(outboxAccess(server.config)).toBe('loopback');
      await signUp(server); // sends the address confirmation mail
      const call = (host: string, headers: Record<string, string> = {}) => fetch(`http://${host}:${new URL(server.url).port}/trpc/dev.outbox`, { headers });
      const local = await call('127.0.0.1');
      expect(local.status).toBe(200);
      expect(JSON.stringify(await local.json())).toMatch(/Confirm your email address/);
      // A header cannot make a request local, and a local proxy's forwarded request is not local either.
      expect((await call('127.0.0.1', { 'x-forwarded-for': '198.51.100.4' })).status).toBe(404);
      if (outsideAddress) {
        const outside = await call(outsideAddress, { 'x-forwarded-for': '127.0.0.1', host: 'localhost' });
        expect(outside.status).toBe(404);
        expect(JSON.stringify(await outside.json())).not.toMatch(/Confirm your email address/);
      }
    } finally {
      await server.stop();
    }
  });
});
