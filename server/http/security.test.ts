import http from 'node:http';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, signUp, startTestServer, type TestServer } from '../testing/harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'));
});
afterAll(async () => {
  await server?.stop();
});

const count = async (table: 'session' | 'asset' | 'usage_log') => (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(server.deps.db)).rows[0]!.n;
const EVIL = 'https://evil.example';

function rawRequest(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, server.url), { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('one Origin check in front of every state-changing request', () => {
  it('refuses login CSRF: a foreign-Origin sign-in with good credentials gets 403 and no session', async () => {
    const user = await signUp(server);
    const before = await count('session');
    const res = await fetch(`${server.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: EVIL },
      body: JSON.stringify({ email: user.email, password: 'correct horse battery' }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { code: 'FOREIGN_ORIGIN', message: 'This request came from another site and was refused.' } });
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await count('session')).toBe(before);
    // A browser that says the post is cross-site is refused without an Origin too.
    const crossSite = await fetch(`${server.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
      body: JSON.stringify({ email: user.email, password: 'correct horse battery' }),
    });
    expect(crossSite.status).toBe(403);
    expect(await count('session')).toBe(before);
  });

  it('answers a cross-site form post to a page with a readable 403 page, not an error page', async () => {
    const user = await signUp(server);
    // node:http, because fetch sets Sec-Fetch-Mode itself; these are the headers a browser sends for a form post.
    const res = await rawRequest('POST', '/workspaces/switch', {
      cookie: user.cookie,
      origin: EVIL,
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'navigate',
      accept: 'text/html,application/xhtml+xml',
      'content-type': 'application/x-www-form-urlencoded',
    }, 'workspaceId=00000000-0000-4000-8000-000000000000&redirectTo=%2Fboards');
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.body).toContain('<h1>Request refused</h1>');
    expect(res.body).toContain('This request came from another site and was refused.');
  });

  it('refuses foreign-Origin posts to every kind of endpoint and lets our own and non-browser clients through', async () => {
    const user = await signUp(server);
    for (const path of ['/trpc/generation.create', '/uploads', '/api/consent', '/api/auth/sign-out', '/sign-in', '/anything.data']) {
      const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { cookie: user.cookie, origin: EVIL, 'content-type': 'application/json' }, body: '{}' });
      expect([path, res.status]).toEqual([path, 403]);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FOREIGN_ORIGIN');
    }
    // Our own origin, and a client that is not a browser (no Origin, no Sec-Fetch-Site), as today.
    for (const headers of [{ origin: server.config.baseUrl }, {}, { 'sec-fetch-site': 'same-origin' }] as Record<string, string>[]) {
      const res = await fetch(`${server.url}/api/consent`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ choice: { preferences: false, analytics: false }, source: 'banner' }) });
      expect(res.status).toBe(200);
    }
  });

  it('lets the Stripe webhook through without an Origin check (its signature authenticates it)', async () => {
    const res = await fetch(`${server.url}/api/stripe/webhook`, { method: 'POST', headers: { origin: EVIL, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, body: '{}' });
    // It reached the webhook, which refused the missing signature itself.
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_SIGNATURE');
  });
});

describe('Express routes answer errors through the shared code table', () => {
  it('answers consent and policy errors as { error: { code, message } } with the table status', async () => {
    const bad = await fetch(`${server.url}/api/consent`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ analytics: 'yes' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_INPUT');
    const anon = await fetch(`${server.url}/api/policies/accept`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anon.status).toBe(401);
    expect(await anon.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: 'Please sign in to continue.' } });
  });
});

/** Posts `total` bytes in chunks, sending the next only after the previous was written; resolves with the answer and how much was sent by then. */
function slowUpload(path: string, total: number, headers: Record<string, string> = {}): Promise<{ status: number; body: string; sentWhenAnswered: number }> {
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': String(total), origin: server.config.baseUrl, ...headers } }, (res) => {
      answered = true;
      const sentWhenAnswered = sent;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sentWhenAnswered }));
    });
    req.on('error', (err) => (answered ? undefined : reject(err)));
    const chunk = Buffer.alloc(64 * 1024, 1);
    const pump = () => {
      if (answered || sent >= total) return;
      sent += chunk.length;
      req.write(chunk, () => setImmediate(pump));
    };
    pump();
  });
}

describe('uploads check the session before reading the body', () => {
  it('refuses an anonymous 20 MB upload while it is still being sent, and stores nothing', async () => {
    const before = await count('asset');
    const r = await slowUpload('/uploads', 20 * 1024 * 1024);
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body)).toEqual({ error: { code: 'UNAUTHORIZED', message: 'Please sign in to continue.' } });
    expect(r.sentWhenAnswered).toBeLessThan(20 * 1024 * 1024);
    expect(await count('asset')).toBe(before);
  });

  it('refuses an upload into a workspace the user is not an editor of before reading it', async () => {
    const user = await signUp(server);
    const before = await count('asset');
    const r = await slowUpload('/uploads?workspaceId=00000000-0000-4000-8000-000000000000', 20 * 1024 * 1024, { cookie: user.cookie });
    expect(r.status).toBe(404);
    expect(r.sentWhenAnswered).toBeLessThan(20 * 1024 * 1024);
    expect(await count('asset')).toBe(before);
  });
});

describe('X-Forwarded-For is believed only from a trusted proxy (TRUST_PROXY)', () => {
  /** The client network the usage log records for one request from this machine (127.0.0.1) carrying X-Forwarded-For. */
  async function recordedNetwork(trustProxy: string): Promise<string | null> {
    const s = await startTestServer(inject('pgAdminUrl'), { env: { TRUST_PROXY: trustProxy } });
    try {
      const res = await fetch(`${s.url}/api/consent`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
      expect(res.status).toBe(200);
      const row = await eventually(() => s.deps.db.selectFrom('usage_log').select('ip_network').where('route', '=', '/api/consent').executeTakeFirst());
      return row.ip_network;
    } finally {
      await s.stop();
    }
  }

  it('honours the header from a trusted proxy and ignores it from anyone else', async () => {
    // Loopback is trusted by default: the request came through a proxy on this machine.
    expect(await recordedNetwork('loopback')).toBe('203.0.113.0/24');
    // When only the proxies on 10.0.0.0/8 are trusted, a request from 127.0.0.1 cannot choose its address.
    expect(await recordedNetwork('10.0.0.0/8')).toBe('127.0.0.0/24');
    expect(await recordedNetwork('false')).toBe('127.0.0.0/24');
  });
});

describe('page headers', () => {
  it('sends a nonce-based CSP, a fresh nonce per response, and HSTS only behind https', async () => {
    const a = await fetch(`${server.url}/healthz`);
    const b = await fetch(`${server.url}/healthz`);
    const csp = a.headers.get('content-security-policy') ?? '';
    for (const d of ["script-src 'nonce-", "'strict-dynamic'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "img-src 'self' data: blob:", `connect-src 'self' ws://${new URL(server.config.baseUrl).host}`]) expect(csp).toContain(d);
    expect(csp).not.toBe(b.headers.get('content-security-policy'));
    expect(a.headers.get('x-content-type-options')).toBe('nosniff');
    expect(a.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(a.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(a.headers.get('strict-transport-security')).toBeNull();
    const { pageCsp, securityHeaders } = await import('./security.js');
    expect(pageCsp('n0nce', 'https://flux.example')).toContain("connect-src 'self' wss://flux.example");
    const set: Record<string, string> = {};
    securityHeaders({ https: true, baseUrl: 'https://flux.example' })({} as never, { setHeader: (k: string, v: string) => (set[k] = v), locals: {} } as never, () => {});
    expect(set['Strict-Transport-Security']).toBe('max-age=31536000; includeSubDomains');
  });
});
