import type { Readable } from 'node:stream';
import sharp from 'sharp';
import type { z } from 'zod';
import { AppError } from '../shared/errors.js';
import { ListInput } from '../shared/generation.js';
import type { Actor, Deps } from './deps.js';
import { fileUrl } from './generations.js';
import { beforeCursor, decodeCursor, page } from './pagination.js';
import { requireRole, resolveWorkspace } from './workspaces.js';

export interface AssetView {
  id: string;
  workspaceId: string;
  url: string;
  mime: string;
  media: 'image' | 'video';
  width: number | null;
  height: number | null;
  sizeBytes: number;
  createdAt: Date;
  generationId: string | null;
  prompt: string | null;
  seed: number | null;
  model: string | null;
}

function baseQuery(deps: Deps) {
  return deps.db
    .selectFrom('asset')
    .leftJoin('generation', 'generation.id', 'asset.generation_id')
    .select([
      'asset.id',
      'asset.workspace_id',
      'asset.mime',
      'asset.media',
      'asset.width',
      'asset.height',
      'asset.size_bytes',
      'asset.created_at',
      'asset.generation_id',
      'asset.storage_key',
      'generation.prompt',
      'generation.params',
    ])
    .where('asset.deleted_at', 'is', null);
}

type Row = Awaited<ReturnType<ReturnType<typeof baseQuery>['executeTakeFirstOrThrow']>>;

function toView(r: Row): AssetView {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    url: fileUrl(r.id),
    mime: r.mime,
    media: r.media,
    width: r.width,
    height: r.height,
    sizeBytes: r.size_bytes,
    createdAt: r.created_at,
    generationId: r.generation_id,
    prompt: r.prompt,
    seed: r.params?.seed ?? null,
    model: r.params?.model ?? null,
  };
}

/** The library: the workspace's saved assets, newest first, a page at a time. */
export async function listAssets(deps: Deps, actor: Actor, raw: z.input<typeof ListInput>) {
  const input = ListInput.parse(raw);
  const workspaceId = await resolveWorkspace(deps.db, actor, input.workspaceId, 'viewer');
  const cursor = decodeCursor(input.cursor);
  let q = baseQuery(deps).where('asset.workspace_id', '=', workspaceId).where('asset.saved', '=', true);
  if (cursor) q = q.where(beforeCursor('asset', cursor));
  const rows = await q.orderBy('asset.created_at', 'desc').orderBy('asset.id', 'desc').limit(input.limit + 1).execute();
  const { items, nextCursor } = page(rows, input.limit);
  return { items: items.map(toView), nextCursor };
}

async function loadForActor(deps: Deps, actor: Actor, id: string) {
  const row = await baseQuery(deps).where('asset.id', '=', id).executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  await requireRole(deps.db, actor, row.workspace_id, 'viewer');
  return row;
}

export async function getAsset(deps: Deps, actor: Actor, id: string): Promise<AssetView> {
  return toView(await loadForActor(deps, actor, id));
}

/** Deletes the asset and its file. Editors and up; a non-member learns nothing (NOT_FOUND). */
export async function deleteAsset(deps: Deps, actor: Actor, id: string): Promise<{ id: string }> {
  const row = await loadForActor(deps, actor, id);
  await requireRole(deps.db, actor, row.workspace_id, 'editor');
  const deleted = await deps.db.deleteFrom('asset').where('id', '=', id).returning('storage_key').executeTakeFirst();
  if (!deleted) throw new AppError('NOT_FOUND');
  await Promise.all([deps.storage.delete(deleted.storage_key), deps.storage.delete(thumbKey(id))]);
  return { id };
}

const thumbKey = (assetId: string) => `thumbs/${assetId}.webp`;
export const THUMB_SIZE = 512;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Opens an asset's file for a member of its workspace. With `thumb`, a WebP at most 512 px on
 * its long side, made on first request and kept in storage beside the original.
 */
export async function openAssetFile(
  deps: Deps,
  actor: Actor,
  id: string,
  opts: { thumb?: boolean } = {},
): Promise<{ stream: Readable; mime: string; size: number; name: string }> {
  const row = await loadForActor(deps, actor, id);
  const ext = row.storage_key.split('.').pop() ?? 'bin';
  const name = `flux-klein-${row.id.slice(0, 8)}.${ext}`;
  try {
    if (opts.thumb && row.media === 'image') {
      const key = thumbKey(row.id);
      let size = (await deps.storage.stat(key))?.size;
      if (size === undefined) {
        const original = await readAll(await deps.storage.read(row.storage_key));
        const thumb = await sharp(original).resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 }).toBuffer();
        await deps.storage.put(key, thumb);
        size = thumb.length;
      }
      return { stream: await deps.storage.read(key), mime: 'image/webp', size, name: name.replace(/\.[a-z0-9]+$/, '.webp') };
    }
    return { stream: await deps.storage.read(row.storage_key), mime: row.mime, size: row.size_bytes, name };
  } catch {
    throw new AppError('NOT_FOUND', { userMessage: 'The file for this item is missing.' });
  }
}
