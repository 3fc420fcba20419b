import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, type LogLevel } from './log.js';

afterEach(() => vi.restoreAllMocks());

/** A real logger whose lines, as written to stdout and stderr, are kept instead of printed. */
function captured(level: LogLevel = 'debug', base: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const keep = (chunk: unknown) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  const log = createLogger(level, base);
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logger redaction', () => {
  it('redacts secrets by key, at any depth, whatever the case or spelling', () => {
    const { log, lines, parsed } = captured();
    log.info('request', {
      headers: { Cookie: 'better-auth.session_token=abc.def', 'set-cookie': ['sid=1; HttpOnly'], authorization: 'Basic dXNlcjpwdw==', 'x-api-key': 'k-123', 'X-Key': 'xk-9', accept: 'image/*' },
      body: { password: 'hunter2hunter2', newPassword: 'n3w-pass', token: 'tok-1', accessToken: 'at-1', refresh_token: 'rt-1', apiKey: 'ak-1', client_secret: 'cs-1', secret: 's-1', nested: [{ sessionToken: 'st-1' }] },
      count: 3,
    });
    const line = lines.join('\n');
    for (const secret of ['abc.def', 'sid=1', 'dXNlcjpwdw==', 'k-123', 'xk-9', 'hunter2hunter2', 'n3w-pass', 'tok-1', 'at-1', 'rt-1', 'ak-1', 'cs-1', 's-1', 'st-1']) {
      expect(line, secret).not.toContain(secret);
    }
    const [entry] = parsed();
    expect(entry).toMatchObject({ msg: 'request', count: 3, headers: { accept: 'image/*', authorization: '[redacted]' }, body: { password: '[redacted]' } });
  });

  it('redacts emails, bearer tokens and URL tokens inside any string, error messages and stacks included', () => {
    const { log, lines } = captured();
    const err = new Error('mail to ada@example.com failed: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig');
    (err as Error & { cause?: unknown }).cause = new Error('for Grace.Hopper+test@navy.mil at https://x.test/reset?token=reset-secret-1&next=/a');
    log.error('auth mail failed', { err, subject: 'Reset for bob@corp.example', url: 'http://localhost:3000/verify?callbackURL=/&token=verify-secret-2', note: 'cookie: sid=zzz-cookie' });
    const line = lines.join('\n');
    for (const leaked of ['ada@example.com', 'Grace.Hopper+test@navy.mil', 'bob@corp.example', 'eyJhbGciOiJIUzI1NiJ9', 'reset-secret-1', 'verify-secret-2', 'zzz-cookie']) {
      expect(line, leaked).not.toContain(leaked);
    }
    // what is not secret stays readable
    expect(line).toContain('auth mail failed');
    expect(line).toContain('next=/a');
    expect(line).toContain('callbackURL=/');
    const entry = JSON.parse(lines[0]!) as { err: { message: string; stack: string; cause: { message: string } } };
    expect(entry.err.message).toMatch(/^mail to \[email\] failed/);
    expect(entry.err.stack).toContain('[email]');
    expect(entry.err.cause.message).toContain('token=[redacted]');
  });

  it('redacts the base fields and survives cycles', () => {
    const { log, lines } = captured('info', { owner: 'ops@example.com' });
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    log.warn('cycle', { a });
    expect(lines[0]).not.toContain('ops@example.com');
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'cycle', a: { name: 'a', self: '[circular]' } });
  });

  it('redacts the message itself', () => {
    const { log, lines } = captured();
    log.info('signed in as eve@example.com with ?token=abc123');
    expect(lines[0]).not.toContain('eve@example.com');
    expect(lines[0]).not.toContain('abc123');
  });

  it('writes a line unredacted only when the caller asks for it by name, and still honours the level', () => {
    const { log, lines } = captured('info');
    log.unredacted('info', 'dev outbox link', { url: 'http://localhost:3000/verify?token=visible-1', to: 'dev@example.com' });
    log.unredacted('debug', 'below the level', { token: 'x' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('visible-1');
    expect(lines[0]).toContain('dev@example.com');
  });
});
