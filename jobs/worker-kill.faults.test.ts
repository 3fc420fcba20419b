/**
 * Fault: a worker process is SIGKILLed in the middle of a generation. Within a heartbeat (plus one
 * supervision pass) the job is retried on another worker, or, when it has no retry left, ends
 * failed with its credits released once; the author's browser hears the end state live.
 */
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectSocket, createTestDatabase, eventually, signUp, startTestServer, trpcClient, waitForEvent, type TestServer } from '../server/testing/harness.js';
import { killAll, startWorkerProcess, type Proc } from '../server/testing/process.js';

// Short in tests, through configuration (the defaults are 30 s and 10 s).
const FAST = { GENERATION_HEARTBEAT_SECONDS: '10', JOB_SUPERVISE_SECONDS: '1' };
/** The promise under test: a killed job reaches its end within 60 s of the kill. */
const WITHIN_MS = 60_000;

let web: TestServer;
let databaseUrl: string;
const procs: Proc[] = [];

beforeAll(async () => {
  databaseUrl = await createTestDatabase(inject('pgAdminUrl'));
  web = await startTestServer(inject('pgAdminUrl'), { databaseUrl, env: { RUN_WORKER: 'false', ...FAST } });
});
// Each test starts its own workers: none may pick up the next test's job.
afterEach(async () => {
  await killAll(procs.splice(0));
});
afterAll(async () => {
  await web?.stop();
});

const ledgerFor = (generationId: string) =>
  web.deps.db.selectFrom('credit_ledger').select(['reason', 'delta']).where('ref', '=', generationId).orderBy('reason').execute();

async function startSlowJobAndKillItsWorker(opts: { lastAttempt: boolean }) {
  const user = await signUp(web);
  const socket = await connectSocket(web, user);
  // 8 steps of 4 s: the job must outlast the second worker's start below (a process start loads the
  // whole server, C2PA signing included, and takes well over 10 s on a busy 2-core machine).
  const slow = await startWorkerProcess({ databaseUrl, dataDir: web.dataDir, env: { LOCAL_PROVIDER_STEP_MS: '4000', ...FAST } });
  procs.push(slow);
  const gen = await trpcClient(web, user).generation.create.mutate({ prompt: 'a job whose worker dies' });
  if (opts.lastAttempt) {
    // As if this were its last try: no retry left once this attempt is lost.
    await sql`update pgboss.job set retry_limit = 0 where name = 'generation' and data->>'generationId' = ${gen.id}`.execute(web.deps.db);
  }
  const started = waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'running', 30_000);
  const midJob = waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'running' && e.progress > 0, 60_000);
  midJob.catch(() => {}); // awaited below; a failure before then is not an unhandled one
  await started;
  // A second worker is already running, as in a deployment with several: the 60 s are its to keep,
  // not a process start's. It starts once the slow worker holds the job (so it cannot take it),
  // while that job makes its first step.
  const next = await startWorkerProcess({ databaseUrl, dataDir: web.dataDir, env: { LOCAL_PROVIDER_STEP_MS: '5', ...FAST } });
  procs.push(next);
  await midJob;
  expect(await slow.kill('SIGKILL')).toBe('SIGKILL');
  const killedAt = Date.now();
  expect(() => process.kill(slow.pid, 0)).toThrow(); // really gone, not a wrapper around a survivor
  // The row still says running: nobody has told it otherwise.
  expect((await trpcClient(web, user).generation.get.query({ id: gen.id })).status).toBe('running');
  return { user, socket, gen, killedAt, next };
}

describe('a worker killed mid-job', () => {
  it('the job is retried on another worker and succeeds, charged once; the browser sees it live', async () => {
    const { user, socket, gen, killedAt, next } = await startSlowJobAndKillItsWorker({ lastAttempt: false });
    const done = await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && (e.status === 'succeeded' || e.status === 'failed'), WITHIN_MS).catch((err) => {
      throw new Error(`${err}\nsecond worker output:\n${next.output()}`);
    });
    expect(Date.now() - killedAt).toBeLessThan(WITHIN_MS);
    expect(done.status).toBe('succeeded');
    expect(done.assetIds).toHaveLength(1);
    const notification = await waitForEvent(socket, 'notification:new', (n) => n.kind === 'job_succeeded', 10_000);
    expect(notification.link).toBe('/studio');

    const stored = await trpcClient(web, user).generation.get.query({ id: gen.id });
    expect(stored).toMatchObject({ status: 'succeeded', progress: 100 });
    // One reservation, one capture, no release: charged exactly once.
    expect(await ledgerFor(gen.id)).toEqual([
      { reason: 'generation.capture', delta: 0 },
      { reason: 'generation.reserve', delta: -gen.creditCost },
    ]);
    const notes = await web.deps.db.selectFrom('notification').select('kind').where('ref', '=', gen.id).execute();
    expect(notes).toEqual([{ kind: 'job_succeeded' }]);
    socket.close();
  });

  it('a job with no retry left ends failed, its credits released once; the browser sees it live', async () => {
    const { user, socket, gen, killedAt, next } = await startSlowJobAndKillItsWorker({ lastAttempt: true });
    const done = await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && (e.status === 'succeeded' || e.status === 'failed'), WITHIN_MS).catch((err) => {
      throw new Error(`${err}\nsecond worker output:\n${next.output()}`);
    });
    expect(Date.now() - killedAt).toBeLessThan(WITHIN_MS);
    expect(done.status).toBe('failed');
    expect(done.errorMessage).toMatch(/credits were returned/);
    await waitForEvent(socket, 'notification:new', (n) => n.kind === 'job_failed', 10_000);
    expect(await ledgerFor(gen.id)).toEqual([
      { reason: 'generation.release', delta: gen.creditCost },
      { reason: 'generation.reserve', delta: -gen.creditCost },
    ]);
    // Nothing else happens to it later (no second release, no late success).
    const unfinishedJobs = async () =>
      (await sql<{ n: number }>`select count(*)::int as n from pgboss.job where data->>'generationId' = ${gen.id} and state in ('created', 'retry', 'active')`.execute(web.deps.db)).rows[0]!.n;
    await eventually(async () => (await unfinishedJobs()) === 0, 10_000);
    expect((await trpcClient(web, user).generation.get.query({ id: gen.id })).status).toBe('failed');
    socket.close();
  });
});
