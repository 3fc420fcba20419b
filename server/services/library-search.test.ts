import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signUp, startTestServer, trpcClient, type TestServer } from '../testing/harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'));
});
afterAll(async () => {
  await server?.stop();
});

/** Stores generations and their outputs directly (what the generation job stores), in the user's personal workspace. */
async function seedOutputs(userId: string, items: { prompt: string; seed: number; outputs: number }[]) {
  const ws = await server.deps.db.selectFrom('membership').select('workspace_id').where('user_id', '=', userId).where('role', '=', 'owner').executeTakeFirstOrThrow();
  for (const it of items) {
    const g = await server.deps.db
      .insertInto('generation')
      .values({ workspace_id: ws.workspace_id, user_id: userId, kind: 'image', mode: 'text', prompt: it.prompt, status: 'succeeded', params: JSON.stringify({ model: 'flux-2-klein-4b', aspectRatio: '1:1', width: 64, height: 64, seed: it.seed, count: it.outputs }), provider: 'local', credit_cost: 1 })
      .returning('id')
      .executeTakeFirstOrThrow();
    await server.deps.db
      .insertInto('asset')
      .values(Array.from({ length: it.outputs }, (_, i) => ({ workspace_id: ws.workspace_id, user_id: userId, generation_id: g.id, output_index: i, source: 'output' as const, media: 'image' as const, storage_key: `k/${g.id}/${i}`, mime: 'image/png', size_bytes: 10, width: 64, height: 64, sha256: `${g.id}${i}` })))
      .execute();
  }
  return ws.workspace_id;
}

describe('library search', () => {
  it('finds outputs by prompt word, word prefix and seed (each output by its own seed)', async () => {
    const user = await signUp(server);
    const api = trpcClient(server, user);
    await seedOutputs(user.id, [
      { prompt: 'A lighthouse on a rocky coast at night', seed: 4242, outputs: 2 },
      { prompt: 'Bowl of ramen, studio light', seed: 77, outputs: 1 },
    ]);
    const prompts = async (q: string) => (await api.asset.list.query({ q })).items.map((i) => `${i.prompt}#${i.seed}`).sort();
    expect(await prompts('lighthouses')).toEqual(['A lighthouse on a rocky coast at night#4242', 'A lighthouse on a rocky coast at night#4243']);
    expect(await prompts('ram')).toEqual(['Bowl of ramen, studio light#77']);
    expect(await prompts('4243')).toEqual(['A lighthouse on a rocky coast at night#4243']);
    expect(await prompts('77')).toEqual(['Bowl of ramen, studio light#77']);
    expect(await prompts('volcano')).toEqual([]);
  });

  it('forgets the old words when a prompt is changed (a correction or an erasure leaves nothing searchable)', async () => {
    const user = await signUp(server);
    const api = trpcClient(server, user);
    await seedOutputs(user.id, [{ prompt: 'Portrait of my neighbour Gertrude', seed: 5, outputs: 1 }]);
    expect((await api.asset.list.query({ q: 'gertrude' })).items).toHaveLength(1);
    await server.deps.db.updateTable('generation').set({ prompt: 'Portrait' }).where('user_id', '=', user.id).execute();
    expect((await api.asset.list.query({ q: 'gertrude' })).items).toHaveLength(0);
    const stored = await sql<{ s: string }>`select search::text as s from asset where user_id = ${user.id}`.execute(server.deps.db);
    expect(stored.rows[0]!.s).not.toMatch(/gertrud/);
  });

  it('can be served by the search and seed indexes, with keyset pagination and no OFFSET', async () => {
    const user = await signUp(server);
    const workspaceId = await seedOutputs(user.id, [{ prompt: 'misty forest', seed: 9, outputs: 1 }]);
    // The statement the library runs, captured from the query log of one real call.
    const seen: string[] = [];
    const executor = server.deps.db.getExecutor() as unknown as { executeQuery: (q: { sql: string }, ...rest: unknown[]) => Promise<unknown> };
    const original = executor.executeQuery.bind(executor);
    executor.executeQuery = (q, ...rest) => {
      seen.push(q.sql);
      return original(q, ...rest);
    };
    try {
      await trpcClient(server, user).asset.list.query({ q: '9' });
    } finally {
      executor.executeQuery = original;
    }
    const statement = seen.find((s) => s.includes('asset.search @@'));
    expect(statement).toBeDefined();
    expect(statement).not.toMatch(/\boffset\b/i);
    // A workspace of 20 000 uploads, analysed: the planner picks the indexes because they are cheaper,
    // not because anything was switched off.
    await sql`insert into asset (workspace_id, user_id, source, media, storage_key, mime, size_bytes, sha256, original_name)
      select ${workspaceId}, ${user.id}, 'upload', 'image', 'k/' || n, 'image/png', 10, md5(n::text), 'scan.png' from generate_series(1, 20000) n`.execute(server.deps.db);
    await sql`analyze asset`.execute(server.deps.db);
    const explain = async (q: string) => {
      const words = `${q}:*`;
      // Plain index scans switched off: the planner then chooses among bitmap plans, and must be able
      // to build one from the search and seed indexes (with index scans on, a LIMIT 25 makes walking
      // the workspace newest-first look cheaper whenever it guesses many matches).
      const res = await server.deps.db.transaction().execute(async (trx) => {
        await sql`set local enable_indexscan = off`.execute(trx);
        await sql`set local enable_seqscan = off`.execute(trx);
        return sql<{ 'QUERY PLAN': string }>`explain select id from asset where workspace_id = ${workspaceId} and deleted_at is null and (asset.search @@ websearch_to_tsquery('english', ${q}) or asset.search @@ to_tsquery('simple', ${words}) ${/^\d+$/.test(q) ? sql`or asset.seed = ${q}::bigint` : sql``}) order by created_at desc, id desc limit 25`.execute(trx);
      });
      return res.rows.map((r) => r['QUERY PLAN']).join('\n');
    };
    expect(await explain('misty')).toContain('asset_search_idx');
    const bySeed = await explain('9');
    expect(bySeed).toContain('asset_search_idx');
    expect(bySeed).toContain('asset_workspace_seed_idx');
  });
});

describe('library at scale', () => {
  /** A workspace of `n` uploads, one per second back from now; the ones at `needles` (0 = newest) are named "needle". */
  async function bulkUploads(userId: string, n: number, needles: number[]) {
    const ws = await server.deps.db.selectFrom('membership').select('workspace_id').where('user_id', '=', userId).where('role', '=', 'owner').executeTakeFirstOrThrow();
    await sql`insert into asset (workspace_id, user_id, source, media, storage_key, mime, size_bytes, sha256, original_name, created_at)
      select ${ws.workspace_id}, ${userId}, 'upload', 'image', 'k/' || gen_random_uuid(), 'image/png', 10, md5(random()::text || i::text),
        case when i = any(${needles}::int[]) then 'needle ' || i else 'hay.png' end, now() - make_interval(secs => i)
      from generate_series(0, ${n - 1}) i`.execute(server.deps.db);
    await sql`vacuum analyze asset`.execute(server.deps.db);
    return ws.workspace_id;
  }

  it('pages a search through matches on both sides of the walked window, newest first, each once', async () => {
    const { SEARCH_WINDOW } = await import('./assets.js');
    const user = await signUp(server);
    const api = trpcClient(server, user);
    // Two matches among the newest items, three far older than the window the search walks.
    const needles = [3, 40, SEARCH_WINDOW + 10, SEARCH_WINDOW + 500, SEARCH_WINDOW + 900];
    await bulkUploads(user.id, SEARCH_WINDOW + 1000, needles);
    const seen: string[] = [];
    let cursor: string | null | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await api.asset.list.query({ q: 'needle', limit: 2, cursor });
      seen.push(...res.items.map((a) => a.originalName!));
      cursor = res.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(needles.map((n) => `needle ${n}`));
    // Matches only older than the window: found through the index, in time order.
    expect((await api.asset.list.query({ q: `needle ${String(SEARCH_WINDOW + 10)[0]}` })).items.map((a) => a.originalName)).toEqual([`needle ${SEARCH_WINDOW + 10}`, `needle ${SEARCH_WINDOW + 500}`, `needle ${SEARCH_WINDOW + 900}`]);
  });

  it('lists the first page and every next one from the keyset index, without sorting the workspace', async () => {
    const user = await signUp(server);
    const workspaceId = await bulkUploads(user.id, 20000, []);
    const page = await trpcClient(server, user).asset.list.query({ limit: 24 });
    expect(page.items).toHaveLength(24);
    const next = await trpcClient(server, user).asset.list.query({ limit: 24, cursor: page.nextCursor });
    expect(next.items[0]!.createdAt.getTime()).toBeLessThan(page.items[23]!.createdAt.getTime());
    const plan = async (cursorSql: ReturnType<typeof sql>) =>
      (
        await sql<{ 'QUERY PLAN': string }>`explain select asset.id from asset inner join workspace on workspace.id = asset.workspace_id left join generation on generation.id = asset.generation_id
          where asset.deleted_at is null and asset.hidden_at is null and asset.workspace_id = ${workspaceId} ${cursorSql}
          order by asset.created_at desc, asset.id desc limit 25`.execute(server.deps.db)
      ).rows
        .map((r) => r['QUERY PLAN'])
        .join('\n');
    const first = await plan(sql``);
    expect(first).toContain('asset_workspace_keyset_idx');
    expect(first).not.toMatch(/\bSort\b/);
    const deep = await plan(sql`and (asset.created_at, asset.id) < (${page.items[23]!.createdAt}, ${page.items[23]!.id}::uuid)`);
    expect(deep).toMatch(/Index Cond: .*ROW\(created_at, id\) < ROW/);
    expect(deep).not.toMatch(/\bSort\b/);
  });
});
