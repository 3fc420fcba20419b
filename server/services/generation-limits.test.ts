import sharp from 'sharp';
import { sql } from 'kysely';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ModelProvider } from '../providers/types.js';
import { recordCredit } from './credits.js';
import { checkGenerationLimits } from './generation-limits.js';
import { connectSocket, eventually, signUp, startTestServer, trpcClient, waitForEvent, type TestServer, type TestUser } from '../testing/harness.js';

/** A provider that finishes at once, except for prompts starting with "hold", which wait until released. */
function heldProvider() {
  const held = new Map<string, () => void>();
  const provider: ModelProvider = {
    name: 'local',
    async generate(req, ctx) {
      if (req.prompt.startsWith('hold')) {
        await new Promise<void>((resolve, reject) => {
          held.set(req.prompt, resolve);
          ctx.signal?.addEventListener('abort', () => reject(new Error('canceled')));
        });
      }
      const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer();
      return Array.from({ length: req.count }, () => ({ data: png, mime: 'image/png', width: 8, height: 8 }));
    },
  };
  return { provider, held };
}

let server: TestServer;
const { provider, held } = heldProvider();
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'), {
    env: { GENERATION_RATE_PER_MINUTE: '3', GENERATION_MAX_IN_FLIGHT: '2', GENERATION_MAX_IN_FLIGHT_PER_WORKSPACE: '3', WORKER_CONCURRENCY: '8' },
    start: { providers: [provider] },
  });
});
afterAll(async () => {
  for (const release of held.values()) release();
  await server?.stop();
});

/** Calls generation.create over plain HTTP, as the browser does, to see the status and headers. */
async function createOverHttp(user: TestUser, input: Record<string, unknown>) {
  const res = await fetch(`${server.url}/trpc/generation.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.config.baseUrl, cookie: user.cookie },
    body: JSON.stringify(superjson.serialize(input)),
  });
  const raw = (await res.json()) as { error?: { json: { message: string; data: { appCode: string; httpStatus: number } } } };
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: { error: raw.error?.json } };
}

const stored = async (userId: string) => {
  const { rows } = await sql<{ g: number; l: number; j: number }>`
    select (select count(*)::int from generation where user_id = ${userId}) as g,
           (select count(*)::int from credit_ledger where user_id = ${userId} and reason = 'generation.reserve') as l,
           (select count(*)::int from pgboss.job where name = 'generation' and data->>'generationId' in (select id::text from generation where user_id = ${userId})) as j`.execute(server.deps.db);
  return rows[0]!;
};
const balance = async (workspaceId: string) =>
  Number((await sql<{ b: number }>`select coalesce(sum(delta), 0)::int as b from credit_ledger where workspace_id = ${workspaceId}`.execute(server.deps.db)).rows[0]!.b);
const personalWorkspace = async (user: TestUser) => (await trpcClient(server, user).me.get.query())!.workspaces[0]!.id;

/** Starts a held generation and waits until the provider holds it (it is in flight). */
async function startHeld(user: TestUser, prompt: string, workspaceId?: string) {
  const gen = await trpcClient(server, user).generation.create.mutate({ prompt, workspaceId });
  await eventually(async () => held.has(prompt));
  return gen;
}
async function release(prompt: string, user: TestUser, id: string) {
  const socket = await connectSocket(server, user);
  const done = waitForEvent(socket, 'generation:update', (e) => e.id === id && e.status === 'succeeded');
  held.get(prompt)!();
  await done;
  socket.close();
}

describe('generation rate limits', () => {
  it('refuses a user’s generation over the per-minute limit: 429 RATE_LIMITED, a Retry-After, and nothing stored or charged', async () => {
    const user = await signUp(server);
    const ws = await personalWorkspace(user);
    const socket = await connectSocket(server, user);
    for (const i of [1, 2, 3]) {
      const gen = await trpcClient(server, user).generation.create.mutate({ prompt: `quick ${i}` });
      await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded');
    }
    socket.close();
    const before = { ...(await stored(user.id)), balance: await balance(ws) };

    const refused = await createOverHttp(user, { prompt: 'one too many' });
    expect(refused.status).toBe(429);
    expect(refused.body.error?.data.appCode).toBe('RATE_LIMITED');
    expect(refused.body.error?.message).toMatch(/^You have started 3 generations in the last minute\. Try again in \d+ seconds?\.$/);
    const seconds = Number(refused.retryAfter);
    expect(Number.isInteger(seconds) && seconds >= 1 && seconds <= 60).toBe(true);
    expect(refused.body.error?.message).toContain(`in ${seconds} second`);

    expect({ ...(await stored(user.id)), balance: await balance(ws) }).toEqual(before);
    expect(before.g).toBe(3);
  });

  it('refuses a user’s generation over the in-flight limit, and accepts it once one finishes', async () => {
    const user = await signUp(server);
    const a = await startHeld(user, 'hold user a');
    await startHeld(user, 'hold user b');
    const before = await stored(user.id);

    const refused = await createOverHttp(user, { prompt: 'third at once' });
    expect(refused.status).toBe(429);
    expect(refused.body.error?.data.appCode).toBe('RATE_LIMITED');
    expect(refused.body.error?.message).toMatch(/^You have 2 generations in progress, the most at once\. Try again when one finishes/);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(await stored(user.id)).toEqual(before);

    await release('hold user a', user, a.id);
    const accepted = await createOverHttp(user, { prompt: 'third after one finished' });
    expect(accepted.status).toBe(200);
    expect(accepted.retryAfter).toBeNull();
    expect((await stored(user.id)).g).toBe(before.g + 1);
    held.get('hold user b')!();
  });

  it('refuses over the workspace’s in-flight limit, whoever of its members starts it', async () => {
    const owner = await signUp(server);
    const member = await signUp(server);
    const ws = (await trpcClient(server, owner).workspace.create.mutate({ name: 'Team' })).id;
    await server.deps.db.insertInto('membership').values({ workspace_id: ws, user_id: member.id, role: 'editor' }).execute();
    await recordCredit(server.deps.db, { workspaceId: ws, delta: 100, reason: 'adjustment', ref: `test-${ws}` });
    await startHeld(owner, 'hold ws 1', ws);
    await startHeld(owner, 'hold ws 2', ws);
    const third = await trpcClient(server, member).generation.create.mutate({ workspaceId: ws, prompt: 'hold ws 3' });
    await eventually(async () => held.has('hold ws 3'));
    const before = { member: await stored(member.id), balance: await balance(ws) };

    const refused = await createOverHttp(member, { workspaceId: ws, prompt: 'fourth in the workspace' });
    expect(refused.status).toBe(429);
    expect(refused.body.error?.data.appCode).toBe('RATE_LIMITED');
    expect(refused.body.error?.message).toMatch(/^This workspace has 3 generations in progress, the most at once\. Try again when one finishes/);
    expect(refused.retryAfter).not.toBeNull();
    expect({ member: await stored(member.id), balance: await balance(ws) }).toEqual(before);

    // The member's own personal workspace is not affected.
    expect((await createOverHttp(member, { prompt: 'in my own workspace' })).status).toBe(200);

    await release('hold ws 3', member, third.id);
    expect((await createOverHttp(member, { workspaceId: ws, prompt: 'fits again' })).status).toBe(200);
    held.get('hold ws 1')!();
    held.get('hold ws 2')!();
  });

  it('counts race-safely: a request waits for one being counted, then counts what it stored', async () => {
    const user = await signUp(server);
    const ws = await personalWorkspace(user);
    await startHeld(user, 'hold serial 1'); // 1 of 2 in flight
    let commit!: () => void;
    const gate = new Promise<void>((r) => (commit = r));
    // Another request is between its count (1 < 2: allowed) and its commit.
    const other = server.deps.db.transaction().execute(async (trx) => {
      await checkGenerationLimits(trx, server.config.generationLimits, { userId: user.id, workspaceId: ws });
      await gate;
      await trx
        .insertInto('generation')
        .values({ workspace_id: ws, user_id: user.id, kind: 'image', mode: 'text', prompt: 'counted first', params: JSON.stringify({ model: 'flux-2-klein-4b', aspectRatio: '1:1', width: 1024, height: 1024, seed: 1 }), provider: 'local', credit_cost: 0 })
        .execute();
    });
    const mine = createOverHttp(user, { prompt: 'counted second' });
    // This request must wait on the other's lock rather than count now (when it would see 1 of 2).
    try {
      await eventually(async () => {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock' and (query ilike '%pg_advisory_xact_lock%' or query ilike '%from "workspace"%for no key update%')`.execute(server.deps.db);
        return rows[0]!.n > 0;
      });
    } finally {
      commit();
    }
    await other;
    const refused = await mine;
    expect(refused.status).toBe(429);
    expect(refused.body.error?.message).toMatch(/^You have 2 generations in progress/);
    held.get('hold serial 1')!();
  });

  it('of many requests at once, exactly the limit get through', async () => {
    const user = await signUp(server);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => createOverHttp(user, { prompt: `hold race ${i}` })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(2);
    expect(results.filter((r) => r.status === 429)).toHaveLength(4);
    expect((await stored(user.id)).g).toBe(2);
    await eventually(async () => [...held.keys()].filter((k) => k.startsWith('hold race')).length === 2);
    for (const [k, release] of held) if (k.startsWith('hold race')) release();
  });
});
