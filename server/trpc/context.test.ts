import { describe, expect, it } from 'vitest';
import type { Auth } from '../auth/index.js';
import type { Deps } from '../services/deps.js';
import { createContext } from './init.js';

/** An Auth whose session lookup records that it was asked (the real one is exercised by server/auth/sessions.test.ts). */
function countingAuth() {
  const calls: Headers[] = [];
  const auth = {
    api: {
      getSession: async ({ headers }: { headers: Headers }) => {
        calls.push(headers);
        return { user: { id: 'u1', name: 'Ada', email: 'ada@example.test', emailVerified: true }, session: { id: 's1' } };
      },
    },
  } as unknown as Auth;
  return { auth, calls };
}

const deps = {} as Deps;

describe('tRPC context', () => {
  it('treats a request without a session cookie as signed out without looking the session up', async () => {
    const { auth, calls } = countingAuth();
    const ctx = await createContext(deps, auth, new Headers({ cookie: 'fk_consent=2026-11-24.00.1764000000000; other=1' }));
    expect(ctx.user).toBeNull();
    expect(calls).toHaveLength(0);
    const bare = await createContext(deps, auth, new Headers());
    expect(bare.user).toBeNull();
    expect(calls).toHaveLength(0);
  });

  it('looks the session up when the session cookie is there, over http and https', async () => {
    for (const name of ['better-auth.session_token', '__Secure-better-auth.session_token']) {
      const { auth, calls } = countingAuth();
      const ctx = await createContext(deps, auth, new Headers({ cookie: `${name}=abc.def` }));
      expect(calls).toHaveLength(1);
      expect(ctx.user).toMatchObject({ id: 'u1', sessionId: 's1', emailVerified: true });
    }
  });

  it('from a Node request: no session cookie, no lookup and no copy of the headers until a procedure reads them', async () => {
    const { auth, calls } = countingAuth();
    const req = { headers: { host: 'example.test', cookie: 'fk_consent=1; other=2', 'x-forwarded-for': ['a', 'b'] as unknown as string } };
    const ctx = await createContext(deps, auth, req);
    expect(ctx.user).toBeNull();
    expect(calls).toHaveLength(0);
    expect(Object.getOwnPropertyDescriptor(ctx, 'headers')?.get).toBeDefined(); // not made yet
    expect(ctx.headers.get('cookie')).toBe('fk_consent=1; other=2');
    expect(ctx.headers.get('x-forwarded-for')).toBe('a, b');
    expect(ctx.headers).toBe(ctx.headers); // made once
    // A middleware that passes a new context spreads it: the headers go along.
    expect({ ...ctx }.headers.get('host')).toBe('example.test');
  });

  it('from a Node request with the session cookie: looks the session up with all the headers', async () => {
    const { auth, calls } = countingAuth();
    const locals: Record<string, unknown> = {};
    const ctx = await createContext(deps, auth, { headers: { cookie: '__Secure-better-auth.session_token=abc.def', 'user-agent': 'test' } }, locals);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.get('user-agent')).toBe('test');
    expect(ctx.user).toMatchObject({ id: 'u1' });
    expect(locals.userId).toBe('u1');
  });
});
