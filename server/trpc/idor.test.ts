/**
 * Every tRPC procedure, called with another workspace's ids: NOT_FOUND (or FORBIDDEN for a member
 * without the role), and nothing in the database changes.
 *
 * The procedures are enumerated from `appRouter`, and each one's input is built by walking its zod
 * input schema: every id field (`id`, `ids`, `*Id`, `*Ids`, or a uuid) gets the victim's row of that
 * kind. A procedure the walker cannot build input for, or that takes no id, must be in NO_ID_INPUT
 * with a reason; a new procedure that is in neither fails the first test, so nothing is left out.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { z } from 'zod';
import { eventually, signUp, startTestServer, trpcClient, trpcErrorCode, type TestServer, type TestUser } from '../testing/harness.js';
import { addMember, verify } from '../testing/teams.js';
import { appRouter } from './router.js';

// ---------------------------------------------------------------------------------------------
// What the walk covers

/** Queries whose input is a secret token (possession is the authorisation): they have no "own data" to list. */
const TAKES_A_SECRET = new Set(['workspace.invitation', 'share.open']);

/** A refusal code, or `null`: the procedure answers null, as it does for an id that does not exist. */
type Expected = 'NOT_FOUND' | 'FORBIDDEN' | null;

/** Procedures that take no id of anyone's data (they act on the caller's own), or whose secret is the input itself. */
const NO_ID_INPUT: Record<string, string> = {
  'me.get': 'the caller themself',
  'me.consent': "the caller's own consent choice",
  'me.pendingPolicies': "the caller's own policy acceptances",
  'generation.models': 'the model catalogue, the same for everyone',
  'billing.catalog': 'the price list, public',
  'privacy.createRequest': "files a request for the caller's own data",
  'privacy.myRequests': "the caller's own privacy requests",
  'privacy.adminRequests': 'operators only (ADMIN_EMAILS); takes no id (refusal tested in privacy-requests.test.ts)',
  'privacy.consentHistory': "the caller's own consent records",
  'privacy.exports': "the caller's own exports",
  'privacy.requestExport': "exports the caller's own data",
  'privacy.deletion': "the caller's own pending deletion",
  'privacy.takeDeletionCancelNotice': "the caller's own cancelled deletion; takes no id",
  'privacy.requestDeletion': "deletes the caller's own account (after the password)",
  'workspace.list': "the caller's own workspaces",
  'workspace.create': 'creates a new workspace owned by the caller',
  'workspace.invitation': 'takes an invitation token, which is the secret itself (possession is the authorisation; invitations.test.ts)',
  'workspace.acceptInvitation': 'takes an invitation token, which is the secret itself (invitations.test.ts)',
  'prompts.history': "the caller's own recent prompts",
  'prompts.clearHistory': "clears the caller's own recent prompts; takes no id",
  'share.open': 'takes a share-link token, which is the secret itself (possession is the authorisation; share-links.test.ts)',
  'share.report': 'takes a share-link token, which is the secret itself (share-links.test.ts)',
  'notification.list': "the caller's own notifications",
  'notification.unread': "the caller's own unread count",
  'account.methods': "the caller's own sign-in methods",
  'account.sessions': "the caller's own sessions",
  'account.activity': "the caller's own usage log",
  'report.mine': "the caller's own standing and appeals",
  'admin.isOperator': 'whether the caller is an operator; takes no id and reveals nothing else',
  'admin.overview': 'operators only (ADMIN_EMAILS); takes no id (refusals tested in server/services/reports.test.ts)',
  'admin.reports': 'operators only; takes a status, no id (reports.test.ts)',
  'admin.appeals': 'operators only; takes no id (reports.test.ts)',
  'admin.users': 'operators only; takes a search text, no id (reports.test.ts)',
  'admin.jobs': 'operators only; takes a status and a provider name, no id (reports.test.ts)',
  'moderation.standing': "the caller's own moderation standing",
  'moderation.admin': 'operators only (ADMIN_EMAILS); takes no id (refusal tested in moderation.test.ts)',
  'moderation.addTerm': 'operators only; adds a term, takes no id (refusal tested in moderation.test.ts)',
  'dev.outbox': 'development only (NOT_FOUND in production, but to this machine at a localhost BASE_URL), mirrors the /dev/outbox page; takes no id',
};

/** Where the answer to an outsider is not NOT_FOUND, and why that reveals nothing about the id. */
const OUTSIDER_EXPECTS: Record<string, Expected> = {
  // "Is this invitation for me?": null for one addressed to someone else, as for one that does not exist.
  'workspace.invitationById': null,
};

/**
 * Second pass, a viewer member of the victim's workspace calling mutations. FORBIDDEN unless listed:
 * 'NOT_FOUND' where the row belongs to a person rather than the workspace, 'allowed' where a viewer
 * may do it (not called: it would change the database as intended).
 */
const VIEWER_EXPECTS: Record<string, Expected | 'allowed'> = {
  'workspace.leave': 'allowed',
  'notification.markRead': 'NOT_FOUND', // the victim's own notifications
  'prompts.forget': 'NOT_FOUND', // the victim's own recent prompts: nobody else's, whatever their role
  'account.revokeSession': 'NOT_FOUND', // the victim's own session
  'workspace.acceptInvitationById': 'NOT_FOUND', // addressed to someone else
  'moderation.removeTerm': 'NOT_FOUND', // operators only
  'privacy.setRequestStatus': 'NOT_FOUND', // operators only; to anyone else /admin does not exist (server/services/operators.ts)
  // Any member may report what their workspace shows (server/services/reports.ts).
  'report.asset': 'allowed',
  'report.boardItem': 'allowed',
  'report.appeal': 'NOT_FOUND', // only the asset's maker may ask for a review
  // The operator console: NOT_FOUND to everyone else, members included.
  'admin.hideAsset': 'NOT_FOUND',
  'admin.restoreAsset': 'NOT_FOUND',
  'admin.dismissReport': 'NOT_FOUND',
  'admin.setStanding': 'NOT_FOUND',
  'admin.reinstate': 'NOT_FOUND',
  'admin.answerAppeal': 'NOT_FOUND',
  'admin.retryJob': 'NOT_FOUND',
  'admin.cancelJob': 'NOT_FOUND',
};

/** Tables a refused call may still write, and why. Everything else must be byte-for-byte unchanged. */
const CHANGES_PER_REQUEST: Record<string, string> = {
  usage_log: 'the request log: one row for every /trpc request, refused or not (that is its purpose)',
};

// ---------------------------------------------------------------------------------------------
// The data: a victim's team workspace full of rows, and the same for the attacker

interface Seed {
  user: TestUser;
  workspace: string;
  workspaceName: string;
  member: string;
  board: string;
  /** a named version of the board (server/boards/versions.ts) */
  version: string;
  /** a comment thread on the board and its first comment (server/boards/comments.ts) */
  thread: string;
  comment: string;
  generation: string;
  asset: string;
  invitation: string;
  notification: string;
  privacyRequest: string;
  session: string;
  exportId: string;
  report: string;
  appeal: string;
  /** a workspace API key, a webhook and one of its deliveries (issue 18) */
  apiKey: string;
  webhook: string;
  delivery: string;
  /** a view-only share link to the board (issue 17) */
  shareLink: string;
  /** a recent prompt of the user's and a style preset of the workspace (issue 18) */
  promptEntry: string;
  preset: string;
}

let server: TestServer;
let victim: Seed;
let attacker: Seed;
let viewer: TestUser;
const api = (u: TestUser) => trpcClient(server, u);

async function seed(name: string): Promise<Seed> {
  const user = await signUp(server, name);
  await verify(server.deps.db, user.id);
  const colleague = await signUp(server, `${name}'s colleague`);
  const workspaceName = `${name}'s team`;
  const ws = await api(user).workspace.create.mutate({ name: workspaceName });
  await addMember(server.deps.db, ws.id, colleague.id, 'editor');
  await server.deps.db.insertInto('credit_ledger').values({ workspace_id: ws.id, delta: 100, reason: 'adjustment', ref: `idor-${ws.id}` }).execute();
  const board = await api(user).board.create.mutate({ workspaceId: ws.id, name: 'Moodboard' });
  const gen = await api(user).generation.create.mutate({ workspaceId: ws.id, boardId: board.id, prompt: 'a lighthouse at dusk' });
  const version = await api(user).board.createVersion.mutate({ boardId: board.id, name: 'Before review' });
  const thread = await api(user).comment.start.mutate({ boardId: board.id, x: 10, y: 20, body: 'Is the horizon level?' });
  await eventually(async () => (await api(user).generation.get.query({ id: gen.id })).status === 'succeeded');
  const asset = (await api(user).asset.list.query({ workspaceId: ws.id })).items[0]!.id;
  const invitation = (await api(user).workspace.invite.mutate({ workspaceId: ws.id, email: `invitee-${user.id.slice(0, 8)}@example.test`, role: 'editor' })).id;
  const notification = await eventually(async () => (await api(user).notification.list.query({})).items[0]?.id);
  const privacyRequest = (await api(user).privacy.createRequest.mutate({ kind: 'access', message: 'Please send me everything you hold.' })).id;
  const exportId = (await api(user).privacy.requestExport.mutate()).id;
  await eventually(async () => (await api(user).privacy.exports.query()).every((x) => x.status === 'ready'), 20_000);
  const [session] = await server.deps.db.selectFrom('session').select('id').where('userId', '=', user.id).execute();
  const report = (await api(colleague).report.asset.mutate({ assetId: asset, reason: 'spam' })).id;
  const appeal = (await server.deps.db.insertInto('appeal').values({ user_id: user.id, asset_id: asset, message: 'Please look at this again.' }).returning('id').executeTakeFirstOrThrow()).id;
  const apiKey = (await api(user).api.createKey.mutate({ name: 'Team key', scopes: ['read'], workspaceId: ws.id })).key.id;
  // Inserted directly: saving through the service resolves the URL's host (the SSRF guard), which this machine may not.
  const webhook = (await server.deps.db.insertInto('webhook_endpoint').values({ workspace_id: ws.id, url: 'https://hooks.example.test/flux', secret: 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', events: ['generation.succeeded'], created_by: user.id }).returning('id').executeTakeFirstOrThrow()).id;
  const delivery = (await server.deps.db.insertInto('webhook_delivery').values({ endpoint_id: webhook, workspace_id: ws.id, message_id: `msg_${ws.id.replaceAll('-', '')}`, event_type: 'generation.succeeded', payload: '{}', status: 'failed' }).returning('id').executeTakeFirstOrThrow()).id;
  const shareLink = (await api(user).share.create.mutate({ boardId: board.id, label: 'Client review' })).link.id;
  const promptEntry = (await eventually(async () => (await api(user).prompts.history.query({})).find((h) => h.prompt === 'a lighthouse at dusk')))!.id;
  const preset = (await api(user).prompts.createPreset.mutate({ workspaceId: ws.id, name: 'Film look', promptSuffix: 'shot on 35 mm film' })).id;
  return { user, workspace: ws.id, workspaceName, member: colleague.id, board: board.id, generation: gen.id, asset, invitation, notification, privacyRequest, session: session!.id, exportId, report, appeal, version: version.id, apiKey, webhook, delivery, thread: thread.id, comment: thread.comments[0]!.id, shareLink, promptEntry, preset };
}

/** The seed's value for an id field of a procedure, or undefined when the walker does not know the field. */
function idFor(path: string, key: string, s: Seed): unknown {
  const area = path.split('.')[0];
  const table: Record<string, unknown> = {
    workspaceId: s.workspace,
    toWorkspaceId: s.workspace,
    boardId: s.board,
    versionId: s.version,
    threadId: s.thread,
    commentId: s.comment,
    linkId: s.shareLink,
    invitationId: s.invitation,
    userId: s.member,
    sessionId: s.session,
    referenceAssetIds: [s.asset],
    assetId: s.asset,
    reportId: s.report,
    appealId: s.appeal,
    generationId: s.generation,
    'generation:id': s.generation,
    'asset:id': s.asset,
    'report:id': s.asset,
    'asset:ids': [s.asset],
    'prompts.forget:id': s.promptEntry,
    'prompts.deletePreset:id': s.preset,
    'prompts.updatePreset:id': s.preset,
    'queue:ids': [s.generation], // queue.reorder: jobs to put in an order
    'notification:ids': [s.notification],
    'privacy:id': s.privacyRequest,
    assetIds: [s.asset], // moderation.verdicts
    // Operator-only procedures on global rows (a term, a suspension): to anyone else every id is NOT_FOUND.
    'moderation:id': s.asset,
    // Settings → API (issue 18): one area, three kinds of row
    'api.revokeKey:id': s.apiKey,
    'api.deleteWebhook:id': s.webhook,
    'api.webhookSecret:id': s.webhook,
    'api.resendDelivery:id': s.delivery,
    ...NOT_ROWS,
  };
  return table[`${path}:${key}`] ?? table[`${area}:${key}`] ?? table[key];
}

/** Fields named like ids that are not anyone's rows (a note's key inside the board, a catalogue item): the same value for everyone. */
const NOT_ROWS: Record<string, unknown> = { noteId: 'note-1', itemId: 'pack-100', transferId: randomUUID() /* an idempotency key the caller picks, scoped to the caller */ };

/** An id of the same shape as the victim's that names nothing: the answer must be the same (no oracle for existence). */
function nonexistent(key: string, victimValue: unknown): unknown {
  if (key in NOT_ROWS) return victimValue;
  const fresh = (v: unknown) => (typeof v === 'string' && /^[0-9a-f-]{36}$/.test(v) ? randomUUID() : `no-such-${key}-${randomUUID()}`);
  return Array.isArray(victimValue) ? victimValue.map(fresh) : fresh(victimValue);
}

// ---------------------------------------------------------------------------------------------
// The walker over zod v4 schemas

type AnySchema = z.ZodType & { _zod: { def: Record<string, unknown> & { type: string } } };
class Unbuildable extends Error {}

const isIdKey = (key: string) => key === 'id' || key === 'ids' || /Ids?$/.test(key);
const isUuid = (s: AnySchema) => (s._zod as unknown as { bag?: { format?: string } }).bag?.format === 'uuid';

/** A valid value for a field that is not an id: the first candidate the schema accepts. */
function plainValue(schema: AnySchema, key: string, fixed: Record<string, unknown>): unknown {
  if (key in fixed) return fixed[key];
  const d = schema._zod.def;
  switch (d.type) {
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
      return plainValue(d.innerType as AnySchema, key, fixed);
    case 'pipe':
      return plainValue(d.in as AnySchema, key, fixed);
    case 'enum':
      return Object.values(d.entries as Record<string, unknown>)[0];
    case 'literal':
      return (d.values as unknown[])[0];
    case 'boolean':
      return true;
    case 'array':
      return [plainValue(d.element as AnySchema, key, fixed)];
    case 'object':
      return buildObject(schema, '', () => undefined, fixed);
    default: {
      const candidates = ['Walker value', 'walker@example.test', 'A walker value that is long enough', 1, 10];
      const ok = candidates.find((c) => schema.safeParse(c).success);
      if (ok === undefined) throw new Unbuildable(`no value for field ${key} (${d.type})`);
      return ok;
    }
  }
}

function unwrap(schema: AnySchema): AnySchema {
  const d = schema._zod.def;
  if (d.type === 'optional' || d.type === 'default' || d.type === 'prefault' || d.type === 'nullable') return unwrap(d.innerType as AnySchema);
  if (d.type === 'pipe') return unwrap(d.in as AnySchema);
  return schema;
}

/** Builds an object input: ids from `ids(key)`, required plain fields from their schema, optional plain fields left out. */
function buildObject(schema: AnySchema, path: string, ids: (key: string) => unknown, fixed: Record<string, unknown>): Record<string, unknown> {
  const inner = unwrap(schema);
  if (inner._zod.def.type !== 'object') throw new Unbuildable(`input is a ${inner._zod.def.type}, not an object`);
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(inner._zod.def.shape as Record<string, AnySchema>)) {
    const base = unwrap(field);
    const elem = base._zod.def.type === 'array' ? unwrap(base._zod.def.element as AnySchema) : base;
    const union = base._zod.def.type === 'union' ? (base._zod.def.options as AnySchema[]).map(unwrap) : [];
    const idLike = isIdKey(key) || isUuid(elem) || union.some((o) => isUuid(o) || (o._zod.def.type === 'array' && isUuid(unwrap(o._zod.def.element as AnySchema))));
    if (idLike) {
      const v = ids(key);
      if (v === undefined) throw new Unbuildable(`${path}: no victim value for id field ${key}`);
      out[key] = v;
      continue;
    }
    // A nested object that holds ids (e.g. a list's `filter: { workspaceId }`) is walked too.
    if (base._zod.def.type === 'object' && nestedIdKeys(base, path).length > 0) {
      out[key] = buildObject(base, path, ids, fixed);
      continue;
    }
    const optional = field.safeParse(undefined).success;
    if (!optional || key in fixed) out[key] = plainValue(field, key, fixed);
  }
  return out;
}

interface Proc {
  path: string;
  type: 'query' | 'mutation' | 'subscription';
  input?: AnySchema;
}
const procedures: Proc[] = Object.entries((appRouter as unknown as { _def: { procedures: Record<string, { _def: { type: Proc['type']; inputs: AnySchema[] } }> } })._def.procedures).map(
  ([path, p]) => ({ path, type: p._def.type, input: p._def.inputs[0] }),
);

/** The id fields of a nested object input (none: it is built as a plain value). */
function nestedIdKeys(schema: AnySchema, path: string): string[] {
  const seen: string[] = [];
  try {
    buildObject(schema, path, (key) => (seen.push(key), 'probe'), {});
  } catch {
    return [];
  }
  return seen;
}

/** The id fields a procedure's input has (empty: it takes no id), or the reason it cannot be built. */
function idFields(p: Proc): string[] | Unbuildable {
  if (!p.input) return [];
  const seen: string[] = [];
  try {
    buildObject(p.input, p.path, (key) => (seen.push(key), 'probe'), {});
  } catch (err) {
    if (err instanceof Unbuildable) return err;
    throw err;
  }
  return seen;
}

/** Inputs for the walk: all ids the victim's, then (with several id fields) each one alone the victim's, the rest the attacker's own. */
function variants(p: Proc, fixed: Record<string, unknown>): { label: string; input: Record<string, unknown> }[] {
  const fields = (idFields(p) as string[]).filter((f) => !(f in NOT_ROWS));
  const all = { label: ALL, input: buildObject(p.input!, p.path, (k) => idFor(p.path, k, victim), fixed) };
  if (fields.length < 2) return [all];
  return [
    all,
    ...fields.map((f) => ({ label: `only ${f} the victim’s`, input: buildObject(p.input!, p.path, (k) => idFor(p.path, k, k === f ? victim : attacker), fixed) })),
  ];
}

const ALL = 'all ids the victim’s';

type Result = { ok: true; data: unknown } | { ok: false; appCode?: string; httpStatus?: number };
/** A comparable summary: the refusal code, `null` for a null answer, or `ok …` for anything else. */
function outcome(r: Result | Expected): string {
  if (r === null) return 'null';
  if (typeof r === 'string') return r;
  if (!r.ok) return String(r.appCode);
  return r.data === null ? 'null' : `ok ${JSON.stringify(r.data).slice(0, 120)}`;
}

async function call(u: TestUser, p: Proc, input: unknown): Promise<Result> {
  const client = api(u) as unknown as Record<string, Record<string, { query: (i: unknown) => Promise<unknown>; mutate: (i: unknown) => Promise<unknown> }>>;
  const [area, name] = p.path.split('.') as [string, string];
  const fn = client[area]![name]!;
  try {
    return { ok: true, data: await (p.type === 'query' ? fn.query(input) : fn.mutate(input)) };
  } catch (err) {
    return { ok: false, ...trpcErrorCode(err) };
  }
}

// ---------------------------------------------------------------------------------------------
// "Nothing changed": row count and a hash of every row of every table

async function snapshot(): Promise<Record<string, string>> {
  const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(server.deps.db);
  const out: Record<string, string> = {};
  for (const { table_name: t } of tables.rows) {
    if (t in CHANGES_PER_REQUEST) continue;
    const r = await sql<{ n: number; h: string | null }>`select count(*)::int as n, md5(string_agg(t::text, E'\n' order by t::text)) as h from ${sql.table(t)} t`.execute(server.deps.db);
    out[t] = `${r.rows[0]!.n} rows, ${r.rows[0]!.h ?? '-'}`;
  }
  // Jobs a refused call might have enqueued (pg-boss's own tables change on their own, so only jobs made by requests count).
  const jobs = await sql<{ n: number }>`select count(*)::int as n from pgboss.job where name in ('generation', 'export', 'deletion', 'webhook')`.execute(server.deps.db);
  out['pgboss.job (generation, export, deletion, webhook)'] = String(jobs.rows[0]!.n);
  return out;
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'));
  victim = await seed('Victim');
  attacker = await seed('Attacker');
  viewer = await signUp(server, 'Viewer');
  await verify(server.deps.db, viewer.id);
  await addMember(server.deps.db, victim.workspace, viewer.id, 'viewer');
  // Background work (the jobs above and their hooks) has settled: two snapshots in a row agree.
  let last = '';
  await eventually(async () => {
    const now = JSON.stringify(await snapshot());
    const same = now === last;
    last = now;
    return same;
  }, 20_000, 200);
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

describe('IDOR walk over every tRPC procedure', () => {
  it('covers every procedure: each takes an id the walker fills, or is listed with a reason', () => {
    const problems: string[] = [];
    for (const p of procedures) {
      const fields = idFields(p);
      const listed = p.path in NO_ID_INPUT;
      if (fields instanceof Unbuildable) {
        if (!listed) problems.push(`${p.path}: the walker cannot build its input (${fields.message}); teach idFor() the field, or list it in NO_ID_INPUT with a reason`);
      } else if (fields.length === 0 && !listed) problems.push(`${p.path}: takes no id; list it in NO_ID_INPUT with a reason`);
      else if (fields.length > 0 && listed) problems.push(`${p.path}: takes ids (${fields.join(', ')}) but is listed in NO_ID_INPUT; remove it so the walk covers it`);
    }
    for (const path of [...Object.keys(NO_ID_INPUT), ...Object.keys(OUTSIDER_EXPECTS), ...Object.keys(VIEWER_EXPECTS)]) {
      if (!procedures.some((p) => p.path === path)) problems.push(`${path}: listed but no such procedure`);
    }
    expect(problems).toEqual([]);
    expect(procedures.filter((p) => !(p.path in NO_ID_INPUT)).length).toBeGreaterThan(30);
  });

  it("an outsider gets NOT_FOUND for every procedure with another workspace's ids, and nothing changes", async () => {
    const fixed = { confirmName: victim.workspaceName, url: 'https://hooks.example.test/flux' };
    const wrong: string[] = [];
    let calls = 0;
    for (const p of procedures.filter((q) => !(q.path in NO_ID_INPUT))) {
      const expected = p.path in OUTSIDER_EXPECTS ? OUTSIDER_EXPECTS[p.path]! : 'NOT_FOUND';
      for (const v of variants(p, fixed)) {
        const before = await snapshot();
        const result = await call(attacker.user, p, v.input);
        calls++;
        const after = await snapshot();
        const got = outcome(result);
        if (got !== outcome(expected)) wrong.push(`${p.path} [${v.label}] ${JSON.stringify(v.input)}: expected ${outcome(expected)}, got ${got}`);
        if (v.label === ALL) {
          // The same answer as for ids that name nothing.
          const none = buildObject(p.input!, p.path, (k) => nonexistent(k, idFor(p.path, k, victim)), fixed);
          const other = outcome(await call(attacker.user, p, none));
          if (other !== got) wrong.push(`${p.path}: answers ${got} for the victim's ids but ${other} for ids that do not exist`);
        }
        const changed = Object.keys(before).filter((t) => before[t] !== after[t]);
        if (changed.length) wrong.push(`${p.path} [${v.label}]: changed ${changed.join(', ')}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(calls).toBeGreaterThan(40);
  }, 120_000);

  it("the outsider's own-data queries show none of the victim's ids", async () => {
    const victimIds = [victim.workspace, victim.board, victim.generation, victim.asset, victim.invitation, victim.notification, victim.privacyRequest, victim.session, victim.exportId, victim.report, victim.appeal, victim.user.id, victim.apiKey, victim.webhook, victim.delivery, victim.shareLink, victim.promptEntry, victim.preset];
    const leaks: string[] = [];
    for (const p of procedures.filter((q) => q.path in NO_ID_INPUT && q.type === 'query' && !TAKES_A_SECRET.has(q.path))) {
      const result = await call(attacker.user, p, p.input ? buildObject(p.input, p.path, () => undefined, {}) : undefined);
      const text = JSON.stringify(result);
      for (const id of victimIds) if (text.includes(id)) leaks.push(`${p.path} shows ${id}`);
    }
    expect(leaks).toEqual([]);
  }, 60_000);

  it("a viewer member of the victim's workspace gets FORBIDDEN for every mutation above a viewer's role, and nothing changes", async () => {
    const fixed = { confirmName: victim.workspaceName, url: 'https://hooks.example.test/flux' };
    const wrong: string[] = [];
    for (const p of procedures.filter((q) => q.type === 'mutation' && !(q.path in NO_ID_INPUT))) {
      const expected = p.path in VIEWER_EXPECTS ? VIEWER_EXPECTS[p.path]! : 'FORBIDDEN';
      if (expected === 'allowed') continue;
      const input = buildObject(p.input!, p.path, (k) => idFor(p.path, k, victim), fixed);
      const before = await snapshot();
      const result = await call(viewer, p, input);
      const after = await snapshot();
      const got = outcome(result);
      if (got !== outcome(expected)) wrong.push(`${p.path} ${JSON.stringify(input)}: expected ${outcome(expected)}, got ${got}`);
      const changed = Object.keys(before).filter((t) => before[t] !== after[t]);
      if (changed.length) wrong.push(`${p.path}: changed ${changed.join(', ')}`);
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});
