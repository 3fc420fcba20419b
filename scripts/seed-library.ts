/**
 * Fills one workspace with many library items, fast: the large workspace the benchmarks (bench/)
 * and the virtualised-grid e2e test measure. Used by `npm run seed` (scripts/seed.ts).
 *
 * - Rows go in as batches through `unnest` (one statement per few thousand rows), inside one
 *   transaction; the library's triggers (search document, seed) run as for any insert.
 * - Files: a few real images (drawn by the offline preview renderer, with their thumbnails) are
 *   written once each, named by content hash; every asset's own storage key is a hard link to
 *   one of them, so 100 000 assets cost a few megabytes of disk.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { renderImage } from '../server/providers/local.js';
import { thumbKeys, makeThumbnails } from '../server/services/thumbnails.js';

const SUBJECTS = ['lighthouse', 'fox', 'city skyline', 'bowl of ramen', 'mountain lake', 'robot', 'forest path', 'desert dunes', 'portrait', 'sailing boat', 'cathedral', 'tiger', 'waterfall', 'coffee cup', 'vintage car', 'astronaut', 'cherry blossom', 'old library', 'jellyfish', 'castle'];
const STYLES = ['at night', 'in watercolour', 'studio light', 'golden hour', 'in the fog', 'isometric', 'oil painting', 'photorealistic', 'pastel colours', 'under snow'];
const WORDS = ['misty', 'rocky', 'neon', 'quiet', 'ancient', 'tiny', 'giant', 'glowing', 'rainy', 'sunny', 'frozen', 'crowded', 'empty', 'red', 'blue', 'golden'];

/** A deterministic prompt for item n (search finds realistic numbers of matches: each subject ≈ 5 %). */
export function seedPrompt(n: number): string {
  return `${WORDS[(n * 7) % WORDS.length]} ${SUBJECTS[n % SUBJECTS.length]} ${STYLES[(n * 3) % STYLES.length]}`;
}

export interface SeedOptions {
  workspaceId: string;
  userId: string;
  assets: number;
  /** Where the disk storage keeps files (`STORAGE_DIR`). */
  storageDir: string;
  /** Outputs per generation (default 4, as the studio's default count). */
  perGeneration?: number;
  /** Distinct image files shared by all assets (default 8). */
  distinctFiles?: number;
  /** Side of the images, px (default 1024: full-size outputs as the studio makes them). */
  size?: number;
  /** Rows per insert statement (default 5 000). */
  batch?: number;
  /** Hard-link every asset's file and thumbnails (default true; a benchmark of queries alone skips it). */
  linkFiles?: boolean;
  onProgress?: (done: number) => void;
}

interface SharedFile {
  path: string;
  sha256: string;
  bytes: number;
  thumbs: { key: string; path: string }[];
}

async function sharedFiles(opts: Required<Pick<SeedOptions, 'storageDir' | 'distinctFiles' | 'size'>>): Promise<SharedFile[]> {
  const dir = path.join(opts.storageDir, 'seed');
  await fs.mkdir(dir, { recursive: true });
  const out: SharedFile[] = [];
  for (let i = 0; i < opts.distinctFiles; i++) {
    const png = await renderImage({ prompt: seedPrompt(i), seed: 1000 + i, width: opts.size, height: opts.size, model: 'offline-preview' });
    const sha256 = createHash('sha256').update(png).digest('hex');
    const file = path.join(dir, `${sha256}.png`);
    await fs.writeFile(file, png);
    const thumbs = await makeThumbnails(png);
    const t: SharedFile['thumbs'] = [];
    for (const th of thumbs) {
      const p = path.join(dir, `${sha256}-${th.width}.webp`);
      await fs.writeFile(p, th.data);
      t.push({ key: th.suffix, path: p });
    }
    out.push({ path: file, sha256, bytes: png.length, thumbs: t });
  }
  return out;
}

async function link(from: string, to: string) {
  await fs.mkdir(path.dirname(to), { recursive: true });
  await fs.rm(to, { force: true });
  await fs.link(from, to);
}

/** Inserts `assets` outputs (in generations of `perGeneration`) into the workspace; returns how long it took. */
export async function seedLibrary(db: Kysely<DB>, o: SeedOptions): Promise<{ assets: number; generations: number; ms: number }> {
  const started = performance.now();
  const per = o.perGeneration ?? 4;
  const batch = o.batch ?? 5000;
  const size = o.size ?? 1024;
  const files = await sharedFiles({ storageDir: o.storageDir, distinctFiles: o.distinctFiles ?? 8, size });
  const generations = Math.ceil(o.assets / per);
  // Spread over the past year, newest last, several items sharing each second (as a batch does).
  const now = Date.now();
  const span = 365 * 86400_000;
  let done = 0;
  await db.transaction().execute(async (trx) => {
    for (let g0 = 0; g0 < generations; g0 += Math.ceil(batch / per)) {
      const gCount = Math.min(Math.ceil(batch / per), generations - g0);
      const gIdx = Array.from({ length: gCount }, (_, k) => g0 + k);
      const gTimes = gIdx.map((g) => new Date(now - span + Math.floor((g / generations) * span)).toISOString());
      const gPrompts = gIdx.map(seedPrompt);
      const gParams = gIdx.map((g) => JSON.stringify({ model: 'offline-preview', aspectRatio: '1:1', width: size, height: size, seed: 10_000 + g * per, count: per }));
      const ids = await sql<{ id: string; created_at: Date }>`
        insert into generation (workspace_id, user_id, kind, mode, prompt, params, provider, status, progress, credit_cost, created_at, updated_at, finished_at)
        select ${o.workspaceId}, ${o.userId}, 'image', 'text', p, params::jsonb, 'local', 'succeeded', 100, 0, t::timestamptz, t::timestamptz, t::timestamptz
        from unnest(${gPrompts}::text[], ${gParams}::text[], ${gTimes}::text[]) as u(p, params, t)
        returning id, created_at`.execute(trx);
      const aGen: string[] = [];
      const aIdx: number[] = [];
      const aKey: string[] = [];
      const aSha: string[] = [];
      const aBytes: number[] = [];
      const aTime: string[] = [];
      ids.rows.forEach((row, k) => {
        for (let i = 0; i < per && done + aGen.length < o.assets; i++) {
          const f = files[(g0 + k + i) % files.length]!;
          aGen.push(row.id);
          aIdx.push(i);
          aKey.push(`ws/${o.workspaceId}/out/${row.id}-seed-${i}.png`);
          aSha.push(f.sha256);
          aBytes.push(f.bytes);
          aTime.push(row.created_at.toISOString());
        }
      });
      const assets = await sql<{ id: string; storage_key: string; sha256: string }>`
        insert into asset (workspace_id, user_id, generation_id, output_index, source, media, storage_key, mime, size_bytes, width, height, sha256, saved, created_at)
        select ${o.workspaceId}, ${o.userId}, g, i, 'output', 'image', k, 'image/png', b, ${size}, ${size}, s, true, t::timestamptz
        from unnest(${aGen}::uuid[], ${aIdx}::int[], ${aKey}::text[], ${aSha}::text[], ${aBytes}::int[], ${aTime}::text[]) as u(g, i, k, s, b, t)
        returning id, storage_key, sha256`.execute(trx);
      const bySha = new Map(files.map((f) => [f.sha256, f]));
      for (const a of o.linkFiles === false ? [] : assets.rows) {
        const f = bySha.get(a.sha256)!;
        await link(f.path, path.join(o.storageDir, a.storage_key));
        const keys = thumbKeys(a.id);
        for (const t of f.thumbs) await link(t.path, path.join(o.storageDir, keys[t.key as keyof typeof keys]));
      }
      done += assets.rows.length;
      o.onProgress?.(done);
    }
  });
  // Vacuum, not only analyze: the rows just went into the search index's pending list (GIN
  // fastupdate), which every search reads through until a vacuum merges it; autovacuum would
  // get there later, the measurements should not depend on when.
  await sql`vacuum analyze asset`.execute(db);
  await sql`vacuum analyze generation`.execute(db);
  return { assets: done, generations, ms: performance.now() - started };
}
