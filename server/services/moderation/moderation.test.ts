/**
 * Moderation through the real product: tRPC over HTTP, the generation job on pg-boss, the real
 * nsfwjs classifier on the WebAssembly backend, the hosted check against a local fake of OpenAI's
 * moderation API. Images are made here with sharp: a flat skin-coloured square, which the
 * classifier scores about 0.03 unsafe, and a drawn pattern it scores about 0.001; the threshold is
 * set between them (MODERATION_IMAGE_THRESHOLD=0.01), so which image is flagged is decided by the
 * classifier's real scores.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { ModelProvider } from '../../providers/types.js';
import { eventually, signUp, startTestServer, trpcClient, trpcErrorCode, type TestServer, type TestUser } from '../../testing/harness.js';
import { addMember, randomEmail, signUpAs, verify } from '../../testing/teams.js';
import { balanceOf } from '../credits.js';
import { collectUserData } from '../privacy.js';
import { classifierEngine, classifierRunsIn, createNsfwClassifier, modelLoads, unsafeScore } from './classifier.js';
import { setImagePolicy } from './settings.js';
import { startFakeModeration, type FakeModeration } from './testing/fake-moderation.js';
import { patternImage, skinImage, W } from './testing/pictures.js';


/** The model: "skin" in the prompt makes the skin square, "mixed" one of each, anything else the pattern. */
let providerCalls = 0;
const scripted: ModelProvider = {
  name: 'local',
  async generate(req, ctx) {
    providerCalls++;
    await ctx.onProgress(50);
    const out = async (b: Promise<Buffer>) => ({ data: await b, mime: 'image/png' as const, width: W, height: W });
    if (req.prompt.includes('mixed')) return [await out(skinImage()), await out(patternImage())];
    return Array.from({ length: req.count }, () => out(req.prompt.includes('skin') ? skinImage() : patternImage())).reduce(async (a, b) => [...(await a), await b], Promise.resolve([] as Awaited<ReturnType<typeof out>>[]));
  },
};

const OPERATOR = randomEmail('moderation-operator');
let fake: FakeModeration;
let server: TestServer;
beforeAll(async () => {
  fake = await startFakeModeration();
  server = await startTestServer(inject('pgAdminUrl'), {
    env: {
      SIGNUP_CREDITS: '50',
      ADMIN_EMAILS: OPERATOR,
      MODERATION_API_URL: fake.url,
      MODERATION_API_KEY: fake.key,
      MODERATION_IMAGE_THRESHOLD: '0.01',
      MODERATION_SLOW_AFTER: '2',
      MODERATION_SLOW_SECONDS: '60',
      MODERATION_SUSPEND_AFTER: '4',
      MODERATION_SUSPEND_HOURS: '24',
      MODERATION_REFUSAL_WINDOW_MINUTES: '60',
    },
    start: { providers: [scripted] },
  });
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await fake?.close();
});
beforeEach(() => {
  fake.mode = 'ok';
  fake.flags.clear();
});

async function setup() {
  const user = await signUp(server);
  const api = trpcClient(server, user);
  const workspaceId = (await api.me.get.query())!.workspaces[0]!.id;
  return { user, api, workspaceId };
}
const failure = (p: Promise<unknown>) => p.then(() => ({ appCode: 'none' }) as ReturnType<typeof trpcErrorCode>, (e: unknown) => trpcErrorCode(e));
/** What a refusal must leave untouched: the workspace's generations, jobs, ledger and balance. */
async function footprint(workspaceId: string) {
  const r = await sql<{ g: number; j: number; l: number }>`
    select (select count(*)::int from generation where workspace_id = ${workspaceId}) as g,
           (select count(*)::int from pgboss.job where name = 'generation' and data->>'generationId' in (select id::text from generation where workspace_id = ${workspaceId})) as j,
           (select count(*)::int from credit_ledger where workspace_id = ${workspaceId}) as l`.execute(server.deps.db);
  return { ...r.rows[0]!, balance: await balanceOf(server.deps.db, workspaceId) };
}
const refusals = (userId: string) => server.deps.db.selectFrom('moderation_refusal').select(['category', 'source', 'workspace_id']).where('user_id', '=', userId).orderBy('created_at').execute();
async function finished(api: ReturnType<typeof trpcClient>, id: string) {
  return eventually(async () => {
    const g = await api.generation.get.query({ id });
    return g.status === 'succeeded' || g.status === 'failed' ? g : null;
  }, 30_000);
}
const fileStatus = async (user: TestUser, url: string) => (await fetch(`${server.url}${url}`, { headers: { cookie: user.cookie } })).status;
async function operator() {
  const existing = await server.deps.db.selectFrom('user').select('id').where('email', '=', OPERATOR).executeTakeFirst();
  const user = existing ? await signInAgain() : await signUpAs(server, OPERATOR, 'Operator');
  await verify(server.deps.db, user.id);
  return { user, api: trpcClient(server, user) };
}
async function signInAgain(): Promise<TestUser> {
  const res = await fetch(`${server.url}/api/auth/sign-in/email`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.config.baseUrl }, body: JSON.stringify({ email: OPERATOR, password: 'correct horse battery' }) });
  const body = (await res.json()) as { user: { id: string } };
  return { id: body.user.id, email: OPERATOR, cookie: res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') };
}

describe('prompts are moderated before anything is reserved or sent', () => {
  it('refuses a prompt on the term list in plain words, charges nothing, starts nothing, and counts it', async () => {
    const { user, api, workspaceId } = await setup();
    const before = await footprint(workspaceId);
    const calls = providerCalls;
    const err = await failure(api.generation.create.mutate({ prompt: 'a h3ntai poster' }));
    expect(err).toMatchObject({ httpStatus: 422, appCode: 'PROMPT_REFUSED' });
    expect(err.message).toBe('This prompt was not sent: it asks for sexual or pornographic content, which is not allowed here. Nothing was charged.');
    expect(await footprint(workspaceId)).toEqual(before);
    expect(providerCalls).toBe(calls);
    expect(fake.requests.filter((r) => (r.body as { input?: string }).input === 'a h3ntai poster')).toHaveLength(0); // the term list decided; nothing left the machine
    expect(await refusals(user.id)).toEqual([{ category: 'sexual', source: 'terms', workspace_id: workspaceId }]);
    // Never the prompt: nothing of it is stored anywhere.
    const stored = await sql<{ n: number }>`select count(*)::int as n from generation where prompt like '%h3ntai%'`.execute(server.deps.db);
    expect(stored.rows[0]!.n).toBe(0);
  });

  it('a re-run of an old prompt is checked again', async () => {
    const { api, workspaceId } = await setup();
    const gen = await api.generation.create.mutate({ prompt: 'a quiet harbour' });
    await finished(api, gen.id);
    await server.deps.db.updateTable('generation').set({ prompt: 'a quiet harbour, pornographic' }).where('id', '=', gen.id).execute();
    const before = await footprint(workspaceId);
    expect(await failure(api.generation.rerun.mutate({ id: gen.id }))).toMatchObject({ appCode: 'PROMPT_REFUSED' });
    expect(await footprint(workspaceId)).toEqual(before);
  });

  it('asks the hosted API when configured, and refuses what it flags with its category', async () => {
    const { user, api, workspaceId } = await setup();
    fake.flags.set('menacing letter', 'harassment/threatening');
    const before = await footprint(workspaceId);
    const err = await failure(api.generation.create.mutate({ prompt: 'a menacing letter to my neighbour' }));
    expect(err).toMatchObject({ httpStatus: 422, appCode: 'PROMPT_REFUSED' });
    expect(err.message).toContain('harassment or threats against people');
    expect(await footprint(workspaceId)).toEqual(before);
    expect(await refusals(user.id)).toEqual([{ category: 'harassment', source: 'api', workspace_id: workspaceId }]);
    expect(fake.requests.at(-1)).toEqual({ authorization: `Bearer ${fake.key}`, body: { model: 'omni-moderation-latest', input: 'a menacing letter to my neighbour' } });
    // A clean prompt passes both.
    const ok = await api.generation.create.mutate({ prompt: 'a letter on a desk' });
    expect((await finished(api, ok.id)).status).toBe('succeeded');
  });

  it('when the hosted API is down nothing is started or charged, and it is not held against the person', async () => {
    const { user, api, workspaceId } = await setup();
    fake.mode = 503;
    const before = await footprint(workspaceId);
    expect(await failure(api.generation.create.mutate({ prompt: 'a garden in spring' }))).toMatchObject({ appCode: 'MODERATION_UNAVAILABLE' });
    expect(await footprint(workspaceId)).toEqual(before);
    expect(await refusals(user.id)).toEqual([]);
  });
});

describe('abuse limits: repeated refusals slow, then suspend', () => {
  it('slows after MODERATION_SLOW_AFTER refusals, suspends after MODERATION_SUSPEND_AFTER, shows why and takes an appeal', async () => {
    const { user, api, workspaceId } = await setup();
    const age = (seconds: number) =>
      server.deps.db.updateTable('moderation_refusal').set({ created_at: sql`created_at - make_interval(secs => ${seconds})` }).where('user_id', '=', user.id).execute();

    expect((await failure(api.generation.create.mutate({ prompt: 'gore porn' }))).message).not.toContain('try again');
    const second = await failure(api.generation.create.mutate({ prompt: 'xxx' }));
    expect(second.message).toContain('After 2 refusals, you can try again in 60 seconds; 2 more suspend your account for 24 hours.');
    // Slowed: even a clean prompt waits, with Retry-After, and costs nothing.
    const before = await footprint(workspaceId);
    const res = await fetch(`${server.url}/trpc/generation.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.config.baseUrl, cookie: user.cookie },
      body: JSON.stringify({ json: { prompt: 'a bowl of fruit' } }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(50);
    expect(((await res.json()) as { error: { json: { data: { appCode: string } } } }).error.json.data.appCode).toBe('GENERATION_SLOWED');
    expect(await footprint(workspaceId)).toEqual(before);
    expect((await api.moderation.standing.query()).slowedUntil).not.toBeNull();

    // A minute later a clean prompt goes through.
    await age(61);
    const ok = await api.generation.create.mutate({ prompt: 'a bowl of fruit' });
    expect((await finished(api, ok.id)).status).toBe('succeeded');

    await failure(api.generation.create.mutate({ prompt: 'pipe bomb' }));
    await age(61);
    const fourth = await failure(api.generation.create.mutate({ prompt: 's e l f h a r m' }));
    expect(fourth.message).toContain('Your account is now suspended for 24 hours: until then you cannot generate, upload or change boards.');
    await age(3600); // the window has passed, the suspension has not
    // The suspension is the account's one standing record: the same refusal as an operator's, with the reason, the end and how to appeal.
    const suspended = await failure(api.generation.create.mutate({ prompt: 'a bowl of fruit' }));
    expect(suspended).toMatchObject({ httpStatus: 403, appCode: 'ACCOUNT_SUSPENDED' });
    expect(suspended.message).toMatch(
      /^Your account is suspended until .+ UTC\. Reason: Many of your prompts were refused in a short time \(4 prompts were refused within 60 minutes, the last one for self-harm or suicide\)\. .*ask for a review on your account page/,
    );
    expect(await server.deps.db.selectFrom('account_standing').select(['status', 'source', 'reason']).where('user_id', '=', user.id).execute()).toEqual([{ status: 'suspended', source: 'moderation', reason: 'refused_prompts' }]);
    const standing = await api.moderation.standing.query();
    expect(standing.suspended).toMatchObject({ appealed: false, reason: expect.stringContaining('4 prompts were refused'), until: expect.any(Date) });

    // The appeal: the account appeal every suspension uses (once), then an operator lifts it (audited) and the person can generate again.
    expect(await failure(api.report.appeal.mutate({ message: 'short' }))).toMatchObject({ appCode: 'INVALID_INPUT' });
    const appeal = await api.report.appeal.mutate({ message: 'I was testing how the filter reacts; it will not happen again.' });
    expect((await api.report.appeal.mutate({ message: 'And once more, please look at it.' })).id).toBe(appeal.id);
    expect((await api.moderation.standing.query()).suspended).toMatchObject({ appealed: true });
    // The person's data export holds these records, without a word of the prompts.
    const exported = await collectUserData(server.deps, user.id);
    expect(exported.moderation.refusedPrompts.map((r) => r.category)).toEqual(['violence', 'sexual', 'illicit', 'self-harm']);
    expect(exported.moderation.standing).toMatchObject({ status: 'suspended', source: 'moderation', until: expect.any(Date) });
    expect(exported.moderation.appeals).toEqual([expect.objectContaining({ message: 'I was testing how the filter reacts; it will not happen again.', status: 'open' })]);
    expect(JSON.stringify(exported.moderation)).not.toMatch(/gore porn|pipe bomb|xxx/);
    const op = await operator();
    const listed = (await op.api.moderation.admin.query()).suspensions.find((s) => s.email === user.email);
    expect(listed).toMatchObject({ userId: user.id, appeal: 'I was testing how the filter reacts; it will not happen again.' });
    await op.api.admin.reinstate.mutate({ userId: listed!.userId });
    expect((await op.api.moderation.admin.query()).suspensions.find((s) => s.email === user.email)).toBeUndefined();
    const again = await api.generation.create.mutate({ prompt: 'a bowl of fruit' });
    expect((await finished(api, again.id)).status).toBe('succeeded');
    expect(await refusals(user.id)).toEqual([]); // lifting clears the count, or the next refusal would suspend again at once
    const actions = await server.deps.db.selectFrom('audit_log').select('action').where('user_id', '=', user.id).where('action', 'in', ['moderation.suspended', 'appeal.created', 'account.reinstated']).orderBy('created_at').execute();
    expect(actions.map((a) => a.action)).toEqual(['moderation.suspended', 'appeal.created', 'account.reinstated']);
  });
});

describe('operators extend the term list', () => {
  it('an addition refuses prompts at once, is audited, and can be removed; nobody else sees the list', async () => {
    const { api } = await setup();
    expect(await failure(api.moderation.admin.query())).toMatchObject({ httpStatus: 404, appCode: 'NOT_FOUND' });
    expect(await failure(api.moderation.addTerm.mutate({ term: 'glorp', category: 'violence' }))).toMatchObject({ httpStatus: 404 });

    const op = await operator();
    expect(await failure(op.api.moderation.addTerm.mutate({ term: '  ', category: 'violence' }))).toMatchObject({ appCode: 'INVALID_INPUT' });
    expect(await failure(op.api.moderation.addTerm.mutate({ term: 'Porn*', category: 'sexual' }))).toMatchObject({ appCode: 'CONFLICT' });
    const term = await op.api.moderation.addTerm.mutate({ term: 'zorbly gloop', category: 'violence' });
    expect(await failure(op.api.moderation.addTerm.mutate({ term: 'ZORBLY GLOOP', category: 'hate' }))).toMatchObject({ appCode: 'CONFLICT' });
    const err = await failure(api.generation.create.mutate({ prompt: 'A Zorbly-Glööp in the garden' }));
    expect(err).toMatchObject({ appCode: 'PROMPT_REFUSED' });
    expect(err.message).toContain('graphic violence or gore');
    expect((await op.api.moderation.admin.query()).added).toContainEqual(expect.objectContaining({ term: 'zorbly gloop', category: 'violence', addedBy: OPERATOR }));

    await op.api.moderation.removeTerm.mutate({ id: term.id });
    const ok = await api.generation.create.mutate({ prompt: 'A Zorbly-Glööp in the garden' });
    expect(ok.status).toBe('queued');
    const audit = await server.deps.db.selectFrom('audit_log').select(['action', 'detail']).where(sql<boolean>`detail->>'termId' = ${term.id}`).orderBy('created_at').execute();
    expect(audit.map((a) => [a.action, a.detail])).toEqual([
      ['moderation.term.added', { termId: term.id, term: 'zorbly gloop', category: 'violence' }],
      ['moderation.term.removed', { termId: term.id, term: 'zorbly gloop', category: 'violence' }],
    ]);
  });
});

describe('images are classified in the job, with the real classifier', () => {
  it('stores each output’s scores and model, as the classifier gives them for that very file', async () => {
    const { user, api } = await setup();
    const gen = await api.generation.create.mutate({ prompt: 'mixed tiles', count: 2 });
    const done = await finished(api, gen.id);
    expect(done.status).toBe('succeeded');
    const rows = await server.deps.db.selectFrom('asset').select(['id', 'storage_key', 'mime', 'nsfw_scores', 'nsfw_model', 'nsfw_flagged', 'classified_at']).where('generation_id', '=', gen.id).orderBy('output_index').execute();
    expect(rows).toHaveLength(2);
    const classifier = createNsfwClassifier();
    for (const r of rows) {
      expect(r.nsfw_model).toMatch(/^nsfwjs 4\.\d+\.\d+ MobileNetV2 \(onnxruntime-node 1\.\d+\.\d+\)$/);
      expect(r.classified_at).toBeInstanceOf(Date);
      const file = await (await fetch(`${server.url}/files/${r.id}`, { headers: { cookie: user.cookie } })).arrayBuffer();
      const again = await classifier.classify(Buffer.from(file), r.mime);
      for (const [k, v] of Object.entries(again!.scores)) expect(r.nsfw_scores![k]).toBeCloseTo(v, 4);
    }
    // The skin square crosses the threshold, the pattern does not: the classifier's own scores decided.
    expect(unsafeScore(rows[0]!.nsfw_scores!)).toBeGreaterThan(0.01);
    expect(unsafeScore(rows[1]!.nsfw_scores!)).toBeLessThan(0.01);
    expect(rows.map((r) => r.nsfw_flagged)).toEqual([true, false]);
    // Under the default policy (blur) both are shown; the flagged one marked to blur, everywhere it is listed.
    expect(done.assets.map((a) => a.moderation)).toEqual(['blur', 'none']);
    expect(done.withheld).toBe(0);
    const library = await api.asset.list.query({});
    expect(library.items.filter((a) => a.generationId === gen.id).map((a) => [a.id, a.moderation]).sort()).toEqual(rows.map((r, i) => [r.id, i === 0 ? 'blur' : 'none']).sort());
    expect((await api.asset.get.query({ id: rows[0]!.id })).moderation).toBe('blur');
    expect(await fileStatus(user, `/files/${rows[0]!.id}`)).toBe(200);
    // The model was loaded once in this process, however many images it classified, in its own thread, on onnxruntime.
    expect(modelLoads()).toBe(1);
    expect(classifierRunsIn()).toBe('thread');
    expect(classifierEngine()).toBe('onnxruntime');
  });

  it('an owner’s stricter policy (block) hides and refuses flagged outputs, also those already made', async () => {
    const { user, api, workspaceId } = await setup();
    const gen = await api.generation.create.mutate({ prompt: 'mixed tiles', count: 2 });
    await finished(api, gen.id);
    const [flagged, clean] = (await server.deps.db.selectFrom('asset').select('id').where('generation_id', '=', gen.id).orderBy('output_index').execute()).map((r) => r.id);
    // What a board asks about its images: only flagged ones are named, with how this workspace shows them.
    expect(await api.moderation.verdicts.query({ workspaceId, assetIds: [flagged!, clean!] })).toEqual({ [flagged!]: 'blur' });
    const stranger = await setup();
    expect(await failure(stranger.api.moderation.verdicts.query({ workspaceId: stranger.workspaceId, assetIds: [flagged!] }))).toMatchObject({ appCode: 'NOT_FOUND' });
    const policy = await api.moderation.setImagePolicy.mutate({ workspaceId, policy: 'block' });
    expect(policy).toMatchObject({ operatorDefault: 'blur', chosen: 'block', effective: 'block' });

    expect(await api.moderation.verdicts.query({ workspaceId, assetIds: [flagged!, clean!] })).toEqual({ [flagged!]: 'block' });
    const view = await api.generation.get.query({ id: gen.id });
    expect(view.assets.map((a) => a.id)).toEqual([clean]);
    expect(view.withheld).toBe(1);
    expect((await api.asset.list.query({})).items.map((a) => a.id)).not.toContain(flagged);
    expect(await failure(api.asset.get.query({ id: flagged! }))).toMatchObject({ appCode: 'NOT_FOUND' });
    expect(await fileStatus(user, `/files/${flagged}`)).toBe(404);
    expect(await fileStatus(user, `/files/${flagged}?thumb=1`)).toBe(404);
    expect(await fileStatus(user, `/files/archive?ids=${flagged},${clean}`)).toBe(404);
    expect(await fileStatus(user, `/files/${clean}`)).toBe(200);
    const res = await fetch(`${server.url}/files/${flagged}`, { headers: { cookie: user.cookie } });
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('withheld');

    // A new generation whose every output is flagged ends without a result, and without a charge.
    const balance = await balanceOf(server.deps.db, workspaceId);
    const blocked = await api.generation.create.mutate({ prompt: 'skin swatch' });
    const end = await finished(api, blocked.id);
    expect(end).toMatchObject({ status: 'failed', errorCode: 'OUTPUT_BLOCKED', assets: [], withheld: 1 });
    expect(end.errorMessage).toBe('The result was classified as sexual content, which this workspace does not allow, so it is not shown. Your credits were returned.');
    expect(await balanceOf(server.deps.db, workspaceId)).toBe(balance);

    // Back to the default: shown blurred again.
    await api.moderation.setImagePolicy.mutate({ workspaceId, policy: null });
    expect((await api.generation.get.query({ id: gen.id })).assets.map((a) => a.moderation)).toEqual(['blur', 'none']);
    const changes = await server.deps.db.selectFrom('audit_log').select('detail').where('action', '=', 'moderation.image-policy.changed').where('user_id', '=', user.id).orderBy('created_at').execute();
    expect(changes.map((c) => c.detail)).toEqual([{ workspaceId, policy: 'block' }, { workspaceId, policy: 'default' }]);
  });

  it('a generation partly blocked by the policy is charged only for the outputs delivered, through the ledger, and says so', async () => {
    const { api, workspaceId } = await setup();
    await api.moderation.setImagePolicy.mutate({ workspaceId, policy: 'block' });
    const start = await balanceOf(server.deps.db, workspaceId);
    // Two outputs: the skin square (the classifier flags it, so it is blocked) and the pattern (delivered).
    const gen = await api.generation.create.mutate({ prompt: 'mixed tiles, blocked half', count: 2 });
    expect(await balanceOf(server.deps.db, workspaceId)).toBe(start - gen.creditCost);
    const end = await finished(api, gen.id);
    expect(end).toMatchObject({ status: 'succeeded', withheld: 1, creditsReturned: gen.creditCost / 2 });
    expect(end.assets).toHaveLength(1);
    // The classifier's own verdict decided it: the blocked file is the one it flagged, with its scores stored.
    const rows = await server.deps.db.selectFrom('asset').select(['id', 'nsfw_flagged', 'nsfw_scores']).where('generation_id', '=', gen.id).orderBy('output_index').execute();
    expect(rows.map((r) => r.nsfw_flagged)).toEqual([true, false]);
    expect(rows.every((r) => r.nsfw_scores !== null)).toBe(true);
    expect(end.assets[0]!.id).toBe(rows[1]!.id);
    expect(await balanceOf(server.deps.db, workspaceId)).toBe(start - gen.creditCost / 2);
    const ledger = await server.deps.db.selectFrom('credit_ledger').select(['reason', 'delta']).where('ref', '=', gen.id).orderBy('created_at').orderBy('reason').execute();
    expect(ledger).toEqual([
      { reason: 'generation.reserve', delta: -gen.creditCost },
      { reason: 'generation.capture', delta: 0 },
      { reason: 'generation.partial_release', delta: gen.creditCost / 2 },
    ]);

    // Four asked for, two made, one blocked: charged for the one delivered.
    const short = await api.generation.create.mutate({ prompt: 'mixed tiles, four asked', count: 4 });
    const shortEnd = await finished(api, short.id);
    expect(shortEnd).toMatchObject({ status: 'succeeded', withheld: 1, creditsReturned: (short.creditCost * 3) / 4 });
    expect(await balanceOf(server.deps.db, workspaceId)).toBe(start - gen.creditCost / 2 - short.creditCost / 4);

    // With the default policy (blur) the flagged output is delivered, blurred, and charged.
    await api.moderation.setImagePolicy.mutate({ workspaceId, policy: null });
    const blurred = await api.generation.create.mutate({ prompt: 'mixed tiles, blurred', count: 2 });
    expect(await finished(api, blurred.id)).toMatchObject({ status: 'succeeded', withheld: 0, creditsReturned: 0 });
    expect(await server.deps.db.selectFrom('credit_ledger').select('reason').where('ref', '=', blurred.id).where('reason', '=', 'generation.partial_release').execute()).toEqual([]);
    // The person sees it in their workspace's history too: the ledger is what the balance is made of.
    expect((await api.credits.ledger.query({ filter: { workspaceId } })).items.some((e) => e.reason === 'generation.partial_release' && e.subject?.id === gen.id)).toBe(true);
  });

  it('only an owner may choose the policy, and never a looser one than the operator’s', async () => {
    const { api, workspaceId } = await setup();
    const team = await api.workspace.create.mutate({ name: 'Policy team' });
    const other = await setup();
    await addMember(server.deps.db, team.id, other.user.id, 'admin');
    expect(await failure(other.api.moderation.setImagePolicy.mutate({ workspaceId: team.id, policy: 'block' }))).toMatchObject({ httpStatus: 403, appCode: 'FORBIDDEN' });
    expect(await failure(other.api.moderation.setImagePolicy.mutate({ workspaceId, policy: 'block' }))).toMatchObject({ httpStatus: 404 });
    expect((await api.moderation.imagePolicy.query({ workspaceId: team.id })).chosen).toBeNull();
    const strictOperator = { ...server.deps, config: { ...server.deps.config, moderation: { ...server.deps.config.moderation, imagePolicy: 'block' as const } } };
    const me = { userId: (await api.me.get.query())!.id };
    await expect(setImagePolicy(strictOperator, me, { workspaceId, policy: 'blur' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect((await api.moderation.imagePolicy.query({ workspaceId })).chosen).toBeNull();
  });

  it('classifies a reference when a job first uses it, and sends nothing when the workspace blocks it', async () => {
    const { user, api, workspaceId } = await setup();
    const up = async (b: Buffer) =>
      ((await (await fetch(`${server.url}/uploads`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', origin: server.config.baseUrl, cookie: user.cookie }, body: new Uint8Array(b) })).json()) as { asset: { id: string } }).asset.id;
    const skinRef = await up(await skinImage());
    const classifiedAt = async () => (await server.deps.db.selectFrom('asset').select(['classified_at', 'nsfw_flagged']).where('id', '=', skinRef).executeTakeFirstOrThrow());
    expect(await classifiedAt()).toEqual({ classified_at: null, nsfw_flagged: null }); // not on the request path

    await api.moderation.setImagePolicy.mutate({ workspaceId, policy: 'block' });
    const calls = providerCalls;
    const balance = await balanceOf(server.deps.db, workspaceId);
    const gen = await api.generation.create.mutate({ prompt: 'this, as a watercolour', referenceAssetIds: [skinRef] });
    const end = await finished(api, gen.id);
    expect(end).toMatchObject({ status: 'failed', errorCode: 'REFERENCE_BLOCKED' });
    expect(end.errorMessage).toContain('nothing was sent to the model');
    expect(providerCalls).toBe(calls);
    expect(await balanceOf(server.deps.db, workspaceId)).toBe(balance);
    expect(await classifiedAt()).toEqual({ classified_at: expect.any(Date), nsfw_flagged: true });

    // A clean reference goes through, and is classified too.
    const patternRef = await up(await patternImage());
    const ok = await api.generation.create.mutate({ prompt: 'this, as a watercolour', referenceAssetIds: [patternRef] });
    expect((await finished(api, ok.id)).status).toBe('succeeded');
    expect((await server.deps.db.selectFrom('asset').select('nsfw_flagged').where('id', '=', patternRef).executeTakeFirstOrThrow()).nsfw_flagged).toBe(false);
  });
});
