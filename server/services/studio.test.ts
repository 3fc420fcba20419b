import { sql } from 'kysely';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProviderError, type ModelProvider } from '../providers/types.js';
import { connectSocket, eventually, signUp, startTestServer, trpcClient, trpcErrorCode, waitForEvent, type TestServer, type TestUser } from '../testing/harness.js';
import { failAbandonedGeneration, runGeneration } from './generations.js';
import { balanceOf } from './credits.js';
import { ensurePersonalWorkspace } from './workspaces.js';

/**
 * A stand-in for the built-in provider whose behaviour each test chooses (the real local
 * provider is tested in providers/local.test.ts; here we need failures on demand).
 */
let behaviour: (attempt: number) => Promise<'ok' | 'garbage' | 'retryable' | 'fatal'> = async () => 'ok';
let calls = 0;
const scripted: ModelProvider = {
  name: 'local',
  async generate(req, ctx) {
    const attempt = calls++;
    const what = await behaviour(attempt);
    await ctx.onProgress(50);
    if (what === 'retryable') throw new ProviderError('RATE_LIMITED', 'slow down', true, 1);
    if (what === 'fatal') throw new ProviderError('CONTENT_REFUSED', 'moderated');
    if (what === 'garbage') return [{ data: Buffer.from('not an image'), mime: 'text/html', width: 0, height: 0 }];
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 10, b: 10 } } }).png().toBuffer();
    return Array.from({ length: req.count }, () => ({ data: png, mime: 'image/png', width: 64, height: 64 }));
  },
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'), { env: { SIGNUP_CREDITS: '20' }, start: { providers: [scripted], queueOptions: { generation: { retryDelay: 1, retryBackoff: false } } } });
});
afterAll(async () => {
  await server?.stop();
});

async function setup(): Promise<{ user: TestUser; workspaceId: string; api: ReturnType<typeof trpcClient> }> {
  behaviour = async () => 'ok';
  const user = await signUp(server);
  const api = trpcClient(server, user);
  const me = await api.me.get.query();
  return { user, workspaceId: me!.workspaces[0]!.id, api };
}
const ledger = (workspaceId: string) =>
  server.deps.db.selectFrom('credit_ledger').select(['reason', 'delta', 'ref']).where('workspace_id', '=', workspaceId).orderBy('created_at').execute();
const counts = async (workspaceId: string) => {
  const r = await sql<{ g: number; a: number; j: number; l: number }>`
    select (select count(*)::int from generation where workspace_id = ${workspaceId}) as g,
           (select count(*)::int from asset where workspace_id = ${workspaceId}) as a,
           (select count(*)::int from pgboss.job where name = 'generation' and data->>'generationId' in (select id::text from generation where workspace_id = ${workspaceId})) as j,
           (select count(*)::int from credit_ledger where workspace_id = ${workspaceId}) as l`.execute(server.deps.db);
  return r.rows[0]!;
};

describe('credits', () => {
  it('grants the sign-up credits exactly once', async () => {
    const { user, workspaceId } = await setup();
    await ensurePersonalWorkspace(server.deps.db, { id: user.id, name: 'again' }, { signupCredits: 20 });
    expect(await ledger(workspaceId)).toEqual([{ reason: 'signup_grant', delta: 20, ref: user.id }]);
    expect(await balanceOf(server.deps.db, workspaceId)).toBe(20);
  });

  it('reserves on accept, captures on success, and the balance updates live', async () => {
    const { user, workspaceId, api } = await setup();
    const socket = await connectSocket(server, user);
    const balanceEvent = waitForEvent(socket, 'credits:changed', (e) => e.workspaceId === workspaceId && e.balance === 17);
    const gen = await api.generation.create.mutate({ prompt: 'three of them', model: 'offline-preview', count: 3 });
    expect(gen.creditCost).toBe(3);
    expect(await balanceEvent).toMatchObject({ balance: 17 });
    await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded');
    const outputs = (await api.generation.get.query({ id: gen.id })).assets;
    expect(outputs).toHaveLength(3);
    // Each output shows the seed that makes it again: the generation's seed plus its position.
    const seeds = await Promise.all(outputs.map(async (a) => (await api.asset.get.query({ id: a.id })).seed));
    expect(seeds).toEqual([gen.seed, gen.seed + 1, gen.seed + 2]);
    expect(await ledger(workspaceId)).toEqual([
      expect.objectContaining({ reason: 'signup_grant', delta: 20 }),
      { reason: 'generation.reserve', delta: -3, ref: gen.id },
      { reason: 'generation.capture', delta: 0, ref: gen.id },
    ]);
    expect((await api.credits.balance.query({})).balance).toBe(17);
    socket.close();
  });

  it('releases the credits when a generation fails for good, and says why', async () => {
    const { user, workspaceId, api } = await setup();
    behaviour = async () => 'fatal';
    const socket = await connectSocket(server, user);
    const gen = await api.generation.create.mutate({ prompt: 'refused', count: 2 });
    const failed = await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'failed');
    expect(failed.errorMessage).toBe('The model refused this prompt or image. Try rephrasing it.');
    expect(await balanceOf(server.deps.db, workspaceId)).toBe(20);
    expect((await ledger(workspaceId)).map((l) => l.reason)).toEqual(['signup_grant', 'generation.reserve', 'generation.release']);
    socket.close();
  });

  it('treats a provider answer that is not media as a failure, stores nothing and releases the credits', async () => {
    const { user, workspaceId, api } = await setup();
    behaviour = async () => 'garbage';
    const socket = await connectSocket(server, user);
    const gen = await api.generation.create.mutate({ prompt: 'garbage in' });
    const failed = await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'failed');
    expect(failed.errorCode).toBe('BAD_RESPONSE');
    expect((await counts(workspaceId)).a).toBe(0);
    expect(await balanceOf(server.deps.db, workspaceId)).toBe(20);
    socket.close();
  });

  it('releases the credits on cancel, once, even if the worker finishes afterwards', async () => {
    const { workspaceId, api } = await setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    behaviour = async () => {
      await gate;
      return 'ok';
    };
    const gen = await api.generation.create.mutate({ prompt: 'cancel me', count: 2 });
    await eventually(async () => (await api.generation.get.query({ id: gen.id })).status === 'running');
    await api.generation.cancel.mutate({ id: gen.id });
    release();
    await eventually(async () => (await ledger(workspaceId)).length === 3);
    await new Promise((r) => setTimeout(r, 300));
    expect((await ledger(workspaceId)).map((l) => l.reason)).toEqual(['signup_grant', 'generation.reserve', 'generation.release']);
    expect(await balanceOf(server.deps.db, workspaceId)).toBe(20);
    expect((await api.generation.get.query({ id: gen.id })).status).toBe('canceled');
    expect((await counts(workspaceId)).a).toBe(0);
    // Cancelling someone else's job is NOT_FOUND.
    const other = await setup();
    expect(trpcErrorCode(await other.api.generation.cancel.mutate({ id: gen.id }).catch((e: unknown) => e))).toMatchObject({ httpStatus: 404 });
  });

  it('charges exactly once when the same job runs twice at the same time, and again after it finished', async () => {
    const { workspaceId, api } = await setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    behaviour = async () => {
      await gate;
      return 'ok';
    };
    const gen = await api.generation.create.mutate({ prompt: 'duplicated job', count: 2 });
    await eventually(async () => (await api.generation.get.query({ id: gen.id })).status === 'running');
    // The queue's worker holds it; two duplicates of the handler run beside it.
    const dupes = [runGeneration(server.deps, gen.id), runGeneration(server.deps, gen.id)];
    release();
    await Promise.all(dupes);
    await eventually(async () => (await api.generation.get.query({ id: gen.id })).status === 'succeeded').catch(async (e) => {
      throw new Error(`${e}: ${JSON.stringify(await api.generation.get.query({ id: gen.id }))}`);
    });
    await runGeneration(server.deps, gen.id); // a late retry
    await failAbandonedGeneration(server.deps, gen.id); // a dead letter for it
    await eventually(async () => (await counts(workspaceId)).a >= 2);
    const c = await counts(workspaceId);
    expect(c.a).toBe(2);
    expect((await ledger(workspaceId)).map((l) => l.reason)).toEqual(['signup_grant', 'generation.reserve', 'generation.capture']);
    expect(await balanceOf(server.deps.db, workspaceId)).toBe(18);
  });

  it('retries a retryable provider failure through pg-boss and succeeds, charging once', async () => {
    const { user, workspaceId, api } = await setup();
    behaviour = async (attempt) => (attempt === callsAtStart ? 'retryable' : 'ok');
    const callsAtStart = calls;
    const socket = await connectSocket(server, user);
    const gen = await api.generation.create.mutate({ prompt: 'busy provider' });
    await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded', 20_000);
    expect(calls - callsAtStart).toBe(2);
    expect((await ledger(workspaceId)).map((l) => l.reason)).toEqual(['signup_grant', 'generation.reserve', 'generation.capture']);
    socket.close();
  });

  it('ends as failed with its reason on the last attempt, and the dead-letter path releases too', async () => {
    const { workspaceId, api } = await setup();
    // Run the handler by hand as the last attempt: the queue itself has no worker for this row.
    const gen = await api.generation.create.mutate({ prompt: 'always busy' });
    await eventually(async () => ['succeeded', 'failed'].includes((await api.generation.get.query({ id: gen.id })).status));
    behaviour = async () => 'retryable';
    const g2 = await server.deps.db
      .insertInto('generation')
      .values({ workspace_id: workspaceId, user_id: (await api.me.get.query())!.id, kind: 'image', mode: 'text', prompt: 'x', params: JSON.stringify({ model: 'flux-2-klein-4b', aspectRatio: '1:1', width: 64, height: 64, seed: 1, count: 1 }), provider: 'local', credit_cost: 1 })
      .returning('id')
      .executeTakeFirstOrThrow();
    await runGeneration(server.deps, g2.id, { attempt: 3, maxRetries: 3 });
    const row = await server.deps.db.selectFrom('generation').select(['status', 'error_message']).where('id', '=', g2.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'failed', error_message: 'The model is busy right now. Please try again in a minute.' });
    // Dead letter on a queued one.
    const g3 = await server.deps.db
      .insertInto('generation')
      .values({ workspace_id: workspaceId, user_id: (await api.me.get.query())!.id, kind: 'image', mode: 'text', prompt: 'y', params: JSON.stringify({ model: 'flux-2-klein-4b', aspectRatio: '1:1', width: 64, height: 64, seed: 1, count: 1 }), provider: 'local', credit_cost: 0 })
      .returning('id')
      .executeTakeFirstOrThrow();
    await failAbandonedGeneration(server.deps, g3.id);
    expect((await server.deps.db.selectFrom('generation').select('status').where('id', '=', g3.id).executeTakeFirstOrThrow()).status).toBe('failed');
  });
});

describe('bad input changes nothing', () => {
  it('refuses each bad request with a clear message and leaves no row, job, file or ledger entry', async () => {
    const { workspaceId, api } = await setup();
    const before = await counts(workspaceId);
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ prompt: 'x', model: 'no-such-model' }, 400, /no model called/],
      // The FLUX.2 [klein] models are offered only when a provider serves them; here none does.
      [{ prompt: 'x', model: 'flux-2-klein-4b' }, 400, /no model called “flux-2-klein-4b”/],
      // The offline preview ignores steps and guidance, so it takes neither.
      [{ prompt: 'x', model: 'offline-preview', steps: 4 }, 400, /has a fixed number of steps/],
      [{ prompt: 'x', model: 'offline-preview', guidance: 3 }, 400, /does not take a guidance/],
      [{ prompt: 'x', count: 5 }, 400, /1 to 4 outputs/],
      [{ prompt: 'x', kind: 'video', model: 'offline-preview' }, 400, /pick a video model/],
      [{ prompt: 'x', kind: 'video', model: 'local-motion', durationSeconds: 3 }, 400, /Clip length must be one of 2, 4, 6/],
      [{ prompt: 'x', durationSeconds: 4 }, 400, /video models only/],
      [{ prompt: 'x', referenceAssetIds: Array.from({ length: 5 }, (_, i) => `00000000-0000-4000-8000-00000000000${i}`) }, 400, /at most 4 reference/],
      [{ prompt: 'x', referenceAssetIds: ['00000000-0000-4000-8000-000000000001'] }, 404, /reference image was not found/],
      [{ prompt: 'x', count: 4, model: 'offline-preview', seed: 1 }, 200, /./], // 4 credits: fine
    ];
    for (const [input, status, message] of cases) {
      const res = await api.generation.create.mutate(input as never).then(
        () => ({ httpStatus: 200, message: 'ok' }),
        (e: unknown) => trpcErrorCode(e),
      );
      expect(res, JSON.stringify(input)).toMatchObject({ httpStatus: status, message: expect.stringMatching(message) });
    }
    const after = await counts(workspaceId);
    expect(after.g - before.g).toBe(1); // only the valid one
    expect(after.j - before.j).toBe(1);
  });

  it('refuses a generation the workspace cannot pay for', async () => {
    const { workspaceId, api } = await setup();
    for (const prompt of ['first', 'second', 'third', 'fourth']) await api.generation.create.mutate({ prompt, model: 'offline-preview', count: 4 }); // 16 of 20
    await api.generation.create.mutate({ prompt: 'fifth', model: 'offline-preview', count: 3 }); // 19 of 20
    const before = await counts(workspaceId);
    const refused = trpcErrorCode(await api.generation.create.mutate({ prompt: 'sixth', model: 'offline-preview', count: 4 }).catch((e: unknown) => e));
    expect(refused).toMatchObject({ httpStatus: 402, appCode: 'INSUFFICIENT_CREDITS', message: 'This needs 4 credits and the workspace has 1. Buy credits, or make fewer or smaller outputs.' });
    const after = await counts(workspaceId);
    expect({ g: after.g, j: after.j }).toEqual({ g: before.g, j: before.j });
    expect((await ledger(workspaceId)).filter((l) => l.reason === 'generation.reserve')).toHaveLength(5);
    // A cheaper one still fits.
    expect((await api.generation.create.mutate({ prompt: 'fits', model: 'offline-preview', count: 1 })).creditCost).toBe(1);
  });
});

describe('concurrency', () => {
  it('accepts many generations at once in one workspace without deadlocks or overspending', async () => {
    const { workspaceId, api } = await setup(); // 20 credits
    const results = await Promise.allSettled(Array.from({ length: 25 }, (_, i) => api.generation.create.mutate({ prompt: `burst ${i}` })));
    const accepted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected').map((r) => trpcErrorCode((r as PromiseRejectedResult).reason));
    expect(accepted).toHaveLength(20);
    expect(refused.every((e) => e.appCode === 'INSUFFICIENT_CREDITS')).toBe(true);
    expect(await balanceOf(server.deps.db, workspaceId)).toBe(0);
  });
});

describe('re-running', () => {
  it('re-runs with the same seed, a given one, or a random one, keeping the references', async () => {
    const { api } = await setup();
    const gen = await api.generation.create.mutate({ prompt: 'again', seed: 7, count: 2, aspectRatio: '4:3' });
    const same = await api.generation.rerun.mutate({ id: gen.id });
    expect(same).toMatchObject({ seed: 7, count: 2, aspectRatio: '4:3', prompt: 'again' });
    const given = await api.generation.rerun.mutate({ id: gen.id, seed: 99 });
    expect(given.seed).toBe(99);
    const random = await api.generation.rerun.mutate({ id: gen.id, seed: null });
    expect(random.id).not.toBe(gen.id);
  });
});
