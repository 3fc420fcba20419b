import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

/**
 * A local OAuth 2.0 provider in GitHub's shape: /login/oauth/authorize (consents at once and
 * redirects back with a code), /login/oauth/access_token, /user and /user/emails. The identity it
 * hands out is set per test through `nextUser`.
 */
export interface FakeOAuth {
  url: string;
  nextUser: { id: number; login: string; name: string; email: string | null };
  tokenRequests: Record<string, string>[];
  close(): Promise<void>;
}

export async function startFakeGithub(): Promise<FakeOAuth> {
  const codes = new Map<string, FakeOAuth['nextUser']>();
  const tokens = new Map<string, FakeOAuth['nextUser']>();
  const fake = { nextUser: { id: 4242, login: 'octo', name: 'Octo Cat', email: 'octo@example.test' }, tokenRequests: [] } as unknown as FakeOAuth;
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', fake.url);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString();
    const json = (status: number, v: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    if (url.pathname === '/login/oauth/authorize') {
      const code = randomBytes(8).toString('hex');
      codes.set(code, { ...fake.nextUser });
      const back = new URL(url.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.toString() });
      return void res.end();
    }
    if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      const form = Object.fromEntries(new URLSearchParams(body));
      fake.tokenRequests.push(form);
      const user = codes.get(form.code ?? '');
      if (!user) return json(400, { error: 'bad_verification_code' });
      codes.delete(form.code!);
      const token = `gho_${randomBytes(10).toString('hex')}`;
      tokens.set(token, user);
      return json(200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
    }
    const user = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (url.pathname === '/user') return user ? json(200, { id: user.id, login: user.login, name: user.name, email: user.email, avatar_url: null }) : json(401, { message: 'Bad credentials' });
    if (url.pathname === '/user/emails') return user ? json(200, [{ email: `${user.login}@users.example.test`, primary: true, verified: true }]) : json(401, { message: 'Bad credentials' });
    json(404, { message: 'Not Found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise((r) => server.close(() => r()));
  return fake;
}
