/**
 * The public API over real HTTP: keys (shown once, stored hashed, scoped, revocable, last use
 * recorded), the same authorisation as the UI, rate limits per key, and the OpenAPI document
 * compared with the routes the server really mounts.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, signUp, startTestServer, trpcClient, trpcErrorCode, type TestServer, type TestUser } from '../../testing/harness.js';
import { addMember, verify } from '../../testing/teams.js';
import { ApiGeneration, ApiLibraryPage } from '../../shared/api.js';
import { apiV1Router, expressPath } from './index.js';
import { collectUserData } from '../../services/privacy.js';

let server: TestServer;
const RATE = 12;
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'), { env: { API_RATE_PER_MINUTE: String(RATE), LOCAL_PROVIDER_STEP_MS: '5' } });
});
afterAll(async () => {
  await server?.stop();
});

const api = (path: string, init: RequestInit & { key?: string } = {}) =>
  fetch(`${server.url}/api/v1${path}`, { ...init, headers: { ...(init.key ? { authorization: `Bearer ${init.key}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) } });
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

async function keyFor(user: TestUser, scopes: ('read' | 'generate')[], extra: { workspaceId?: string } = {}) {
  return trpcClient(server, user).api.createKey.mutate({ name: `key ${scopes.join('+')}`, scopes, ...extra });
}
const generationCount = async (userId: string) => Number((await server.deps.db.selectFrom('generation').select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow()).n);

describe('API keys', () => {
  it('are shown once, stored only as a hash, and listed by name and prefix with their last use', async () => {
    const user = await signUp(server);
    const { key, token } = await keyFor(user, ['read']);
    expect(token).toMatch(/^fk_[A-Za-z0-9_-]{43}$/);
    expect(key).toMatchObject({ name: 'key read', kind: 'personal', scopes: ['read'], prefix: token.slice(0, 10), lastUsedAt: null, revokedAt: null });
    // The database holds the hash and the prefix, never the key.
    const row = await server.deps.db.selectFrom('api_key').selectAll().where('id', '=', key.id).executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(token);
    // The list never shows it again.
    const listed = await trpcClient(server, user).api.keys.query({});
    expect(JSON.stringify(listed)).not.toContain(token);
    expect(listed.personal.map((k) => k.id)).toEqual([key.id]);

    expect((await api('/library', { key: token })).status).toBe(200);
    const after = await trpcClient(server, user).api.keys.query({});
    expect(after.personal[0]!.lastUsedAt).not.toBeNull();
  });

  it('are in their maker’s data export by name, prefix, scopes and state, never the key or its hash', async () => {
    const user = await signUp(server);
    const { key, token } = await keyFor(user, ['read', 'generate']);
    await trpcClient(server, user).api.revokeKey.mutate({ id: key.id });
    const data = await collectUserData(server.deps, user.id);
    expect(data.apiKeys).toEqual([expect.objectContaining({ id: key.id, name: 'key read+generate', kind: 'personal', prefix: token.slice(0, 10), scopes: ['read', 'generate'] })]);
    expect(data.apiKeys[0]!.revokedAt).not.toBeNull();
    expect(JSON.stringify(data)).not.toContain(token);
    expect(JSON.stringify(data)).not.toContain(createHash('sha256').update(token).digest('hex'));
  });

  it("refuses a bad name or no scope, and another person's key is theirs alone", async () => {
    const [alice, bob] = [await signUp(server), await signUp(server)];
    expect(trpcErrorCode(await trpcClient(server, alice).api.createKey.mutate({ name: ' ', scopes: ['read'] }).catch((e) => e))).toMatchObject({ appCode: 'INVALID_INPUT', message: expect.stringMatching(/name/) });
    expect(trpcErrorCode(await trpcClient(server, alice).api.createKey.mutate({ name: 'x', scopes: [] }).catch((e) => e))).toMatchObject({ appCode: 'INVALID_INPUT', message: 'Choose at least one scope.' });
    const { key } = await keyFor(alice, ['read']);
    expect(trpcErrorCode(await trpcClient(server, bob).api.revokeKey.mutate({ id: key.id }).catch((e) => e))).toMatchObject({ appCode: 'NOT_FOUND' });
    expect((await trpcClient(server, bob).api.keys.query({})).personal).toEqual([]);
    expect((await server.deps.db.selectFrom('api_key').select('revoked_at').where('id', '=', key.id).executeTakeFirstOrThrow()).revoked_at).toBeNull();
  });
});

describe('/api/v1 authentication', () => {
  it('refuses a missing, malformed, unknown or cookie-only credential with a code and a sentence', async () => {
    const user = await signUp(server);
    const missing = await api('/library');
    expect(missing.status).toBe(401);
    expect(await errorOf(missing)).toEqual({ code: 'API_KEY_MISSING', message: expect.stringContaining('Authorization: Bearer') });
    const malformed = await api('/library', { key: 'not-a-key' });
    expect(malformed.status).toBe(401);
    expect(await errorOf(malformed)).toMatchObject({ code: 'API_KEY_INVALID', message: expect.stringContaining('not valid') });
    const unknown = await api('/library', { key: `fk_${'A'.repeat(43)}` });
    expect(unknown.status).toBe(401);
    expect((await errorOf(unknown)).code).toBe('API_KEY_INVALID');
    // The session cookie that works for the UI does not authenticate the API.
    const cookieOnly = await api('/library', { headers: { cookie: user.cookie } });
    expect(cookieOnly.status).toBe(401);
    expect((await errorOf(cookieOnly)).code).toBe('API_KEY_MISSING');
    const post = await api('/generations', { method: 'POST', headers: { cookie: user.cookie }, body: JSON.stringify({ prompt: 'by cookie' }) });
    expect(post.status).toBe(401);
    expect(await generationCount(user.id)).toBe(0);
  });

  it('refuses a revoked key at once, and nothing is created with it', async () => {
    const user = await signUp(server);
    const { key, token } = await keyFor(user, ['read', 'generate']);
    expect((await api('/library', { key: token })).status).toBe(200);
    const revoked = await trpcClient(server, user).api.revokeKey.mutate({ id: key.id });
    expect(revoked.revokedAt).not.toBeNull();
    const res = await api('/generations', { method: 'POST', key: token, body: JSON.stringify({ prompt: 'after revoking' }) });
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toEqual({ code: 'API_KEY_REVOKED', message: expect.stringContaining('revoked') });
    expect((await api('/library', { key: token })).status).toBe(401);
    expect(await generationCount(user.id)).toBe(0);
    // Still listed, as revoked.
    expect((await trpcClient(server, user).api.keys.query({})).personal[0]).toMatchObject({ id: key.id, revokedAt: expect.anything() });
    // Both recorded in the audit log, without the secret.
    const audit = await server.deps.db.selectFrom('audit_log').select(['action', 'detail']).where('user_id', '=', user.id).where('action', 'like', 'api-key.%').orderBy('created_at').execute();
    expect(audit.map((a) => a.action)).toEqual(['api-key.created', 'api-key.revoked']);
    expect(audit[1]!.detail).toMatchObject({ keyId: key.id });
    expect(JSON.stringify(audit)).not.toContain(token);
  });
});

describe('/api/v1 scopes and authorisation', () => {
  it('a read key reads but cannot generate; a generate key starts a job that is followed to its file', async () => {
    const user = await signUp(server);
    const read = await keyFor(user, ['read']);
    const refused = await api('/generations', { method: 'POST', key: read.token, body: JSON.stringify({ prompt: 'a quiet harbour' }) });
    expect(refused.status).toBe(403);
    expect(await errorOf(refused)).toEqual({ code: 'API_KEY_SCOPE', message: expect.stringContaining('“generate”') });
    expect(await generationCount(user.id)).toBe(0);

    const gen = await keyFor(user, ['generate']);
    const created = await api('/generations', { method: 'POST', key: gen.token, body: JSON.stringify({ prompt: 'a quiet harbour', aspectRatio: '4:3', seed: 7 }) });
    expect(created.status).toBe(201);
    const job = ApiGeneration.parse(await created.json());
    expect(job).toMatchObject({ prompt: 'a quiet harbour', aspectRatio: '4:3', seed: 7, status: 'queued' });
    expect(created.headers.get('location')).toBe(`/api/v1/generations/${job.id}`);
    // generate alone may not read
    expect((await errorOf(await api(`/generations/${job.id}`, { key: gen.token }))).code).toBe('API_KEY_SCOPE');

    const done = await eventually(async () => {
      const g = ApiGeneration.parse(await (await api(`/generations/${job.id}`, { key: read.token })).json());
      return g.status === 'succeeded' ? g : null;
    }, 20_000);
    expect(done.outputs).toHaveLength(1);
    expect(done.outputs[0]!.fileUrl).toBe(`${server.config.baseUrl}/api/v1/assets/${done.outputs[0]!.id}/file`);

    const file = await api(`/assets/${done.outputs[0]!.id}/file`, { key: read.token });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await file.arrayBuffer());
    const stored = await server.deps.db.selectFrom('asset').select('sha256').where('id', '=', done.outputs[0]!.id).executeTakeFirstOrThrow();
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(stored.sha256);

    const library = ApiLibraryPage.parse(await (await api('/library?limit=5&kind=images', { key: read.token })).json());
    expect(library.items.map((a) => a.id)).toEqual([done.outputs[0]!.id]);
    expect(library.items[0]).toMatchObject({ prompt: 'a quiet harbour', generationId: job.id, preview: true });
  });

  it('acts with the key owner\'s role: a viewer cannot generate, an outsider sees nothing, a workspace key stays in its workspace', async () => {
    const [owner, viewer, outsider] = [await signUp(server, 'Owner'), await signUp(server, 'Viewer'), await signUp(server, 'Outsider')];
    await verify(server.deps.db, owner.id);
    const team = await trpcClient(server, owner).workspace.create.mutate({ name: 'API team' });
    await addMember(server.deps.db, team.id, viewer.id, 'viewer');

    const viewerKey = await keyFor(viewer, ['read', 'generate']);
    const res = await api('/generations', { method: 'POST', key: viewerKey.token, body: JSON.stringify({ prompt: 'not allowed', workspaceId: team.id }) });
    expect(res.status).toBe(403);
    expect(await errorOf(res)).toEqual({ code: 'FORBIDDEN', message: expect.stringContaining('You are a viewer') });
    expect((await api(`/library?workspaceId=${team.id}`, { key: viewerKey.token })).status).toBe(200);

    // A workspace key: only an admin or the owner may make one; it acts in its workspace only.
    expect(trpcErrorCode(await trpcClient(server, viewer).api.createKey.mutate({ name: 'x', scopes: ['read'], workspaceId: team.id }).catch((e) => e))).toMatchObject({ appCode: 'FORBIDDEN' });
    const teamKey = await keyFor(owner, ['read', 'generate'], { workspaceId: team.id });
    const made = ApiGeneration.parse(await (await api('/generations', { method: 'POST', key: teamKey.token, body: JSON.stringify({ prompt: 'for the team' }) })).json());
    expect(made.workspaceId).toBe(team.id);
    const personalWs = (await trpcClient(server, owner).workspace.list.query()).find((w) => w.kind === 'personal')!.id;
    expect((await errorOf(await api(`/library?workspaceId=${personalWs}`, { key: teamKey.token }))).code).toBe('NOT_FOUND');
    const ownPersonal = ApiGeneration.parse(await (await api('/generations', { method: 'POST', key: (await keyFor(owner, ['generate', 'read'])).token, body: JSON.stringify({ prompt: 'mine alone' }) })).json());
    expect((await errorOf(await api(`/generations/${ownPersonal.id}`, { key: teamKey.token }))).code).toBe('NOT_FOUND');
    // The team's key is listed to its managers, not to the viewer.
    expect((await trpcClient(server, owner).api.keys.query({ workspaceId: team.id })).workspace!.map((k) => k.id)).toEqual([teamKey.key.id]);
    expect((await trpcClient(server, viewer).api.keys.query({ workspaceId: team.id })).workspace).toBeNull();

    // Someone else's generation is NOT_FOUND, never FORBIDDEN.
    const outsiderKey = await keyFor(outsider, ['read']);
    const other = await api(`/generations/${made.id}`, { key: outsiderKey.token });
    expect(other.status).toBe(404);
    expect((await errorOf(other)).code).toBe('NOT_FOUND');
  });

  it('refuses bad input with the schema\'s own message and creates nothing', async () => {
    const user = await signUp(server);
    const { token } = await keyFor(user, ['generate', 'read']);
    const empty = await api('/generations', { method: 'POST', key: token, body: JSON.stringify({ prompt: '  ' }) });
    expect(empty.status).toBe(400);
    expect(await errorOf(empty)).toEqual({ code: 'INVALID_INPUT', message: 'Enter a prompt describing the image.' });
    const notJson = await api('/generations', { method: 'POST', key: token, headers: { 'content-type': 'text/plain' }, body: 'prompt=cat' });
    expect((await errorOf(notJson)).message).toMatch(/Content-Type: application\/json/);
    const broken = await api('/generations', { method: 'POST', key: token, headers: { 'content-type': 'application/json' }, body: '{"prompt":' });
    expect(await errorOf(broken)).toMatchObject({ code: 'INVALID_INPUT', message: 'The request body is not valid JSON.' });
    expect((await errorOf(await api('/library?limit=1000', { key: token }))).code).toBe('INVALID_INPUT');
    expect((await errorOf(await api('/generations/not-a-uuid', { key: token }))).code).toBe('INVALID_INPUT');
    expect(await generationCount(user.id)).toBe(0);
    const unknown = await api('/nothing-here', { key: token });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).message).toContain('openapi.json');
  });
});

describe('/api/v1 rate limit', () => {
  it(`allows ${RATE} requests a minute per key, then answers 429 with Retry-After; other keys are not affected`, async () => {
    const user = await signUp(server);
    const [a, b] = [await keyFor(user, ['read']), await keyFor(user, ['read'])];
    for (let i = 0; i < RATE; i++) expect((await api('/library?limit=1', { key: a.token })).status).toBe(200);
    const over = await api('/library?limit=1', { key: a.token });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await errorOf(over)).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining(`${RATE} requests`) });
    expect((await api('/library?limit=1', { key: b.token })).status).toBe(200);
  });
});

describe('/api/v1/openapi.json', () => {
  it('documents exactly the routes the server mounts, each with its method, scope and schemas', async () => {
    const res = await fetch(`${server.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown>; requestBody?: unknown; parameters?: { name: string; in: string }[] }>>; components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> } };
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${expressPath(p)}`)).sort();

    // What Express really routes under /api/v1 (the router the server mounts, read from its stack).
    const router = apiV1Router(server.deps) as unknown as { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
    const mounted = router.stack.filter((l) => l.route).flatMap((l) => Object.keys(l.route!.methods).map((m) => `${m.toUpperCase()} ${l.route!.path}`)).sort();
    expect(documented).toEqual(mounted);
    expect(mounted).toEqual(['GET /assets/:id', 'GET /assets/:id/file', 'GET /generations/:id', 'GET /library', 'GET /openapi.json', 'POST /generations'].sort());

    // And each documented operation is answered by the running server (a bad key: 401, never the catch-all 404).
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        if (p === '/openapi.json') continue;
        const url = p.replace('{id}', '00000000-0000-4000-8000-000000000000');
        const answer = await api(url, { method: method.toUpperCase(), key: 'fk_wrong', ...(method === 'post' ? { body: '{}' } : {}) });
        expect(`${method} ${p}: ${answer.status}`).toBe(`${method} ${p}: 401`);
        expect(ops[method]!.security).toEqual([{ bearerAuth: [] }]);
        expect(ops[method]!.responses).toHaveProperty('401');
      }
    }
    // Schemas come from the zod schemas the UI uses.
    expect(doc.components.securitySchemes).toHaveProperty('bearerAuth');
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Generation', 'Asset', 'LibraryPage', 'Error']));
    const create = JSON.stringify(doc.paths['/generations']!.post!.requestBody);
    expect(create).toContain('"prompt"');
    expect(create).toContain('"maxLength":2000');
    expect(doc.paths['/library']!.get!.parameters!.map((q) => q.name)).toEqual(expect.arrayContaining(['limit', 'cursor', 'q', 'kind']));
  });
});
