import { isPreviewProvider } from '../shared/providers.js';
import { markThumbnail } from '../provenance/index.js';
import type { Readable } from 'node:stream';
import { sql } from 'kysely';
import { allThumbKeys, prepareThumbnails, storeThumbnails, THUMB_RECIPE, thumbKeys, type ThumbWidth } from './thumbnails.js';
import type { z } from 'zod';
import { AppError } from '../shared/errors.js';
import { DeleteManyInput, LibraryListInput, SetFavoriteInput, SetSavedInput, SetTagsInput } from '../shared/library.js';
import { boardsShowingAssets, markAssetsRemoved } from '../boards/assets.js';
import type { Actor, Deps } from './deps.js';
import { fileUrl, type AssetDetail, type AssetView } from '../shared/views.js';
import { beforeCursor, decodeCursor, page } from './pagination.js';
import { validateImageUpload } from './upload-validation.js';
import { hiddenMessage } from '../shared/reports.js';
import { blockedSql, verdictOf } from './moderation/images.js';
import { stricter, type ImageVerdict } from '../shared/moderation.js';
import type { Permission } from '../shared/permissions.js';
import { requirePermission, requireRole, resolveWorkspace } from './workspaces.js';

export type { AssetDetail, AssetView } from '../shared/views.js';

/** The assets anyone may see: not deleted, not hidden by moderators (unless `includeHidden`, for the checks that say so). */
function baseQuery(deps: Pick<Deps, 'db'>, opts: { includeHidden?: boolean } = {}) {
  return deps.db
    .selectFrom('asset')
    .leftJoin('generation', 'generation.id', 'asset.generation_id')
    .innerJoin('workspace', 'workspace.id', 'asset.workspace_id')
    .select([
      'asset.id',
      'asset.workspace_id',
      'asset.mime',
      'asset.media',
      'asset.source',
      'asset.width',
      'asset.height',
      'asset.size_bytes',
      'asset.created_at',
      'asset.generation_id',
      'asset.storage_key',
      'asset.saved',
      'asset.favorite',
      'asset.tags',
      'asset.original_name',
      'asset.output_index',
      'asset.sha256',
      'generation.prompt',
      'generation.params',
      'generation.provider',
      'asset.hidden_at',
      'asset.hidden_reason',
      'asset.nsfw_flagged',
      'workspace.image_policy',
    ])
    .where('asset.deleted_at', 'is', null)
    .$if(!opts.includeHidden, (q) => q.where('asset.hidden_at', 'is', null));
}

type Row = Awaited<ReturnType<ReturnType<typeof baseQuery>['executeTakeFirstOrThrow']>>;

/** How the workspace's policy shows the asset (operator default or the owner's stricter choice). */
const verdictFor = (deps: Pick<Deps, 'config'>, r: Pick<Row, 'nsfw_flagged' | 'image_policy'>) => verdictOf(r.nsfw_flagged, stricter(deps.config.moderation.imagePolicy, r.image_policy));

/** A blocked asset is answered as missing, with the reason, to the members who may otherwise see it. */
function refuseBlocked(deps: Pick<Deps, 'config'>, r: Pick<Row, 'nsfw_flagged' | 'image_policy'>) {
  if (verdictFor(deps, r) === 'block') throw new AppError('NOT_FOUND', { userMessage: 'This image is withheld: it was classified as sexual content, which this workspace does not allow.' });
}

function toView(r: Row, moderation: Exclude<ImageVerdict, 'block'> = 'none'): AssetView {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    url: fileUrl(r.id),
    mime: r.mime,
    media: r.media,
    source: r.source,
    width: r.width,
    height: r.height,
    sizeBytes: r.size_bytes,
    createdAt: r.created_at,
    generationId: r.generation_id,
    prompt: r.prompt,
    // Output i of a generation was made with its seed + i.
    seed: r.params ? r.params.seed + (r.output_index ?? 0) : null,
    model: r.params?.model ?? null,
    provider: r.provider ?? null,
    preview: isPreviewProvider(r.provider),
    saved: r.saved,
    favorite: r.favorite,
    tags: r.tags,
    originalName: r.original_name,
    moderation,
  };
}

/** The library: the workspace's assets, newest first, filtered and searched, a page at a time. */
export async function listAssets(deps: Deps, actor: Actor, raw: z.input<typeof LibraryListInput>) {
  const input = LibraryListInput.parse(raw);
  const workspaceId = await resolveWorkspace(deps.db, actor, input.workspaceId, 'viewer');
  const cursor = decodeCursor(input.cursor);
  // Blocked assets are not listed (server/services/moderation/images.ts).
  let q = baseQuery(deps).where('asset.workspace_id', '=', workspaceId).where((eb) => eb.not(blockedSql(deps.config)));
  if (input.kind === 'images') q = q.where('asset.media', '=', 'image').where('asset.source', '=', 'output');
  if (input.kind === 'videos') q = q.where('asset.media', '=', 'video');
  if (input.kind === 'uploads') q = q.where('asset.source', '=', 'upload');
  if (input.favorites) q = q.where('asset.favorite', '=', true);
  if (input.saved !== undefined) q = q.where('asset.saved', '=', input.saved);
  if (input.tag) q = q.where(sql<boolean>`${sql.ref('asset.tags')} @> array[${input.tag}]::text[]`);
  if (input.model) q = q.where(sql<boolean>`generation.params->>'model' = ${input.model}`);
  if (input.from) q = q.where('asset.created_at', '>=', input.from);
  if (input.to) q = q.where('asset.created_at', '<', input.to);
  if (input.q) {
    // One table, two indexes (migration 0080): the search document (prompt stemmed, upload name by
    // word prefix) through its GIN index, and a number through the seed index.
    const words = input.q.match(/[\p{L}\p{N}]+/gu) ?? [];
    const prefix = words.length > 0 ? words.map((w) => `${w.toLowerCase()}:*`).join(' & ') : null;
    const seed = /^\d{1,15}$/.test(input.q) ? input.q : null;
    q = q.where((eb) =>
      eb.or([
        sql<boolean>`asset.search @@ websearch_to_tsquery('english', ${input.q})`,
        ...(prefix ? [sql<boolean>`asset.search @@ to_tsquery('simple', ${prefix})`] : []),
        ...(seed !== null ? [sql<boolean>`asset.seed = ${seed}::bigint`] : []),
      ]),
    );
  }
  if (cursor) q = q.where(beforeCursor('asset', cursor));
  const rows = input.q ? await searchPage(deps, q, workspaceId, cursor, input.limit + 1) : await q.orderBy('asset.created_at', 'desc').orderBy('asset.id', 'desc').limit(input.limit + 1).execute();
  const { items, nextCursor } = page(rows, input.limit);
  return { items: items.map((r) => toView(r, verdictFor(deps, r) as Exclude<ImageVerdict, 'block'>)), nextCursor };
}

/** How many of the newest items a search reads in order before it asks the search index for the rest. */
export const SEARCH_WINDOW = 2000;

/**
 * A page of search results, in time order, at a cost bounded at any library size.
 *
 * Two plans serve a search, and each is slow where the other is fast: walking the workspace newest
 * first (keyset index) and testing each item finds a common word in a few dozen rows but reads the
 * whole workspace for a rare one; the search index (GIN bitmap) finds a rare word at once but must
 * fetch and sort every match of a common one. The planner picks between them from its estimate of
 * the matches, and for prefixes and numbers that estimate is a fixed guess (2 500 of 100 000 for a
 * seed that matches one), so it walked 100 000 rows (ADR 0020). Here: first the newest
 * SEARCH_WINDOW items are walked (bounded); only if they hold less than a page, the older items are
 * searched through the index, in an order the keyset index cannot give, so the walk is not chosen.
 */
async function searchPage(deps: Pick<Deps, 'db'>, q: ReturnType<typeof baseQuery>, workspaceId: string, cursor: ReturnType<typeof decodeCursor>, want: number) {
  const edge = await deps.db
    .selectFrom((eb) =>
      eb
        .selectFrom('asset')
        .select(['asset.created_at', 'asset.id'])
        .where('asset.workspace_id', '=', workspaceId)
        .where('asset.deleted_at', 'is', null)
        .$if(!!cursor, (w) => w.where(beforeCursor('asset', cursor!)))
        .orderBy('asset.created_at', 'desc')
        .orderBy('asset.id', 'desc')
        .limit(SEARCH_WINDOW)
        .as('w'),
    )
    .select(['w.created_at', 'w.id', sql<number>`count(*) over ()`.as('n')])
    .orderBy('w.created_at', 'asc')
    .orderBy('w.id', 'asc')
    .limit(1)
    .executeTakeFirst();
  const boundary = edge && edge.n >= SEARCH_WINDOW ? { createdAt: edge.created_at, id: edge.id } : null;
  const recent = await (boundary ? q.where(sql<boolean>`(asset.created_at, asset.id) >= (${boundary.createdAt}, ${boundary.id}::uuid)`) : q)
    .orderBy('asset.created_at', 'desc')
    .orderBy('asset.id', 'desc')
    .limit(want)
    .execute();
  if (!boundary || recent.length >= want) return recent;
  // Bound and order both on `created_at + 0`, which no index gives: otherwise the planner ANDs the
  // matches with a scan of every older row's time (16 ms at 100 000 for one seed; 0.2 ms without).
  const older = await q
    .where(sql<boolean>`(asset.created_at + interval '0 s', asset.id) < (${boundary.createdAt}, ${boundary.id}::uuid)`)
    .orderBy(sql`asset.created_at + interval '0 s'`, 'desc')
    .orderBy('asset.id', 'desc')
    .limit(want - recent.length)
    .execute();
  return [...recent, ...older];
}

/**
 * An asset a member of its workspace may see. Hidden by moderators: ASSET_HIDDEN with the reason
 * and how to appeal, but only to members (anyone else gets NOT_FOUND, as for any other asset).
 */
async function loadForActor(deps: Deps, actor: Actor, id: string) {
  const row = await baseQuery(deps, { includeHidden: true }).where('asset.id', '=', id).executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  await requireRole(deps.db, actor, row.workspace_id, 'viewer');
  if (row.hidden_at) throw new AppError('ASSET_HIDDEN', { userMessage: hiddenMessage(row.hidden_reason) });
  return row;
}

/** Loads several assets the actor may change (`asset.edit`) or delete (`asset.delete`), or refuses the whole request. */
async function loadManyFor(deps: Deps, actor: Actor, ids: string[], permission: Extract<Permission, 'asset.edit' | 'asset.delete'>) {
  const rows = await deps.db.selectFrom('asset').select(['id', 'workspace_id', 'storage_key', 'media']).where('id', 'in', ids).where('deleted_at', 'is', null).execute();
  if (rows.length !== new Set(ids).size) throw new AppError('NOT_FOUND', { userMessage: 'Some of the selected items no longer exist. Reload and try again.' });
  for (const ws of new Set(rows.map((r) => r.workspace_id))) await requirePermission(deps.db, actor, ws, permission);
  return rows;
}


export async function getAsset(deps: Deps, actor: Actor, id: string): Promise<AssetDetail> {
  const row = await loadForActor(deps, actor, id);
  refuseBlocked(deps, row);
  const refs = row.generation_id
    ? await deps.db
        .selectFrom('generation_reference')
        .innerJoin('asset', 'asset.id', 'generation_reference.asset_id')
        .select('asset.id')
        .where('generation_reference.generation_id', '=', row.generation_id)
        .where('asset.deleted_at', 'is', null)
        .orderBy('generation_reference.position')
        .execute()
    : [];
  return { ...toView(row, verdictFor(deps, row) as Exclude<ImageVerdict, 'block'>), params: (row.params as unknown as Record<string, unknown>) ?? null, references: refs.map((r) => ({ id: r.id, url: fileUrl(r.id) })) };
}

export async function setFavorite(deps: Deps, actor: Actor, raw: z.input<typeof SetFavoriteInput>) {
  const input = SetFavoriteInput.parse(raw);
  await loadManyFor(deps, actor, [input.id], 'asset.edit');
  await deps.db.updateTable('asset').set({ favorite: input.favorite }).where('id', '=', input.id).execute();
  return getAsset(deps, actor, input.id);
}

/** Keeps outputs in the library (saved) or lets them go (unsaved outputs are removed by the retention job). */
export async function setSaved(deps: Deps, actor: Actor, raw: z.input<typeof SetSavedInput>) {
  const input = SetSavedInput.parse(raw);
  await loadManyFor(deps, actor, input.ids, 'asset.edit');
  await deps.db.updateTable('asset').set({ saved: input.saved }).where('id', 'in', input.ids).execute();
  return { ids: input.ids, saved: input.saved };
}

export async function setTags(deps: Deps, actor: Actor, raw: z.input<typeof SetTagsInput>) {
  const input = SetTagsInput.parse(raw);
  await loadManyFor(deps, actor, [input.id], 'asset.edit');
  const tags = [...new Set(input.tags)];
  await deps.db.updateTable('asset').set({ tags: sql`${sql.val(tags)}::text[]` as never }).where('id', '=', input.id).execute();
  return getAsset(deps, actor, input.id);
}


/** Deletes assets and their files (and thumbnails). Editors and up; a non-member learns nothing (NOT_FOUND). */
export async function deleteAssets(deps: Deps, actor: Actor, raw: z.input<typeof DeleteManyInput>): Promise<{ ids: string[] }> {
  const input = DeleteManyInput.parse(raw);
  const rows = await loadManyFor(deps, actor, input.ids, 'asset.delete');
  // An image a board shows is deleted only when the person confirmed it (the boards then show a "Removed" tile).
  const boards = await boardsShowingAssets(deps.db, rows.map((r) => r.id));
  if (boards.length > 0 && !input.confirm) throw new AppError('ASSET_IN_USE', { userMessage: inUseMessage(rows, boards) });
  const deleted = await deps.db.deleteFrom('asset').where('id', 'in', input.ids).returning(['id', 'storage_key']).execute();
  await Promise.all(deleted.flatMap((d) => [deps.storage.delete(d.storage_key), ...allThumbKeys(d.id).map((k) => deps.storage.delete(k))]));
  for (const b of boards) await markAssetsRemoved(deps.db, b.id, b.assetIds);
  return { ids: rows.map((r) => r.id) };
}

function inUseMessage(rows: { id: string; media: 'image' | 'video' }[], boards: { name: string }[]) {
  const where = `${boards.length === 1 ? 'a board' : `${boards.length} boards`}: ${boards.map((b) => b.name).join(', ')}`;
  const what = rows.length === 1 ? `This ${rows[0]!.media}` : 'Some of these items';
  return `${what} ${rows.length === 1 ? 'is' : 'are'} on ${where}. Delete anyway?`;
}

export async function deleteAsset(deps: Deps, actor: Actor, id: string, opts: { confirm?: boolean } = {}): Promise<{ id: string }> {
  await deleteAssets(deps, actor, { ids: [id], confirm: opts.confirm });
  return { id };
}

/**
 * Stores a reference image through the one validated upload path (type from magic bytes, size and
 * pixel caps, metadata stripped). The same file uploaded twice to a workspace is stored once.
 */
/** The workspace an upload goes to, if the actor may upload there (editor or above); checked before the body is read. */
export function authorizeUpload(deps: Pick<Deps, 'db'>, actor: Actor, workspaceId: string | undefined): Promise<string> {
  return resolveWorkspace(deps.db, actor, workspaceId, 'asset.upload');
}

export async function createUpload(deps: Deps, actor: Actor, opts: { workspaceId?: string; data: Buffer; fileName?: string }): Promise<AssetView & { duplicate: boolean }> {
  const workspaceId = await authorizeUpload(deps, actor, opts.workspaceId);
  const image = await validateImageUpload(opts.data);
  const existing = await baseQuery(deps, { includeHidden: true })
    .where('asset.workspace_id', '=', workspaceId)
    .where('asset.source', '=', 'upload')
    .where('asset.sha256', '=', image.sha256)
    .executeTakeFirst();
  // The same file again does not bring back an upload that moderators hid.
  if (existing?.hidden_at) throw new AppError('ASSET_HIDDEN', { userMessage: 'Moderators hid this image in this workspace, so it cannot be uploaded again.' });
  if (existing) return { ...toView(existing), duplicate: true };
  const ext = image.mime === 'image/png' ? 'png' : image.mime === 'image/webp' ? 'webp' : 'jpg';
  const key = `ws/${workspaceId}/up/${image.sha256}.${ext}`;
  await deps.storage.put(key, image.data);
  const name = opts.fileName?.replace(/[^\p{L}\p{N} ._()-]/gu, '').slice(0, 120) || null;
  const inserted = await deps.db
    .insertInto('asset')
    .values({
      workspace_id: workspaceId,
      user_id: actor.userId,
      source: 'upload',
      media: 'image',
      storage_key: key,
      mime: image.mime,
      size_bytes: image.sizeBytes,
      width: image.width,
      height: image.height,
      sha256: image.sha256,
      saved: true,
      original_name: name,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'sha256']).where('source', '=', 'upload').doNothing())
    .returning('id')
    .executeTakeFirst();
  // A concurrent upload of the same file won the race: answer with that one.
  const id = inserted?.id ?? (await deps.db.selectFrom('asset').select('id').where('workspace_id', '=', workspaceId).where('source', '=', 'upload').where('sha256', '=', image.sha256).executeTakeFirstOrThrow()).id;
  if (inserted) await prepareThumbnails(deps, [{ id, media: 'image', data: image.data }]);
  const row = await baseQuery(deps).where('asset.id', '=', id).executeTakeFirstOrThrow();
  return { ...toView(row), duplicate: !inserted };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export interface AssetFile {
  mime: string;
  name: string;
  /** Strong validator: the content hash of the stored bytes (a thumbnail: of its original, plus its width and recipe). */
  etag: string;
  open(): Promise<{ stream: Readable; size: number }>;
}

/**
 * An asset's file for a member of its workspace. With `thumb` (256 or 512), a WebP at most that
 * wide on its long side (server/services/thumbnails.ts). Authorisation and the validator come first;
 * the bytes are opened only when the caller needs them (a matching If-None-Match reads nothing).
 */
export async function openAssetFile(deps: Deps, actor: Actor, id: string, opts: { thumb?: ThumbWidth | null } = {}): Promise<AssetFile> {
  const row = await loadForActor(deps, actor, id);
  refuseBlocked(deps, row); // blocked outputs are not served, whole or as a thumbnail
  return streamFile(deps, row, opts);
}

/**
 * An image shown on a shared board, for a holder of a share link (server/services/share-links.ts
 * checked the link): only an asset of that board's workspace that the board shows (`board_asset`),
 * not deleted, not hidden by moderators, and not flagged by the image classifier at all (a link
 * holder has no "Show" button to agree to: flagged images are withheld from links). NOT_FOUND
 * otherwise, whichever the reason, so a link reveals nothing about other assets.
 */
export async function openAssetFileOnBoard(deps: Deps, board: { boardId: string; workspaceId: string }, id: string, opts: { thumb?: ThumbWidth | null } = {}): Promise<AssetFile> {
  const row = await baseQuery(deps)
    .innerJoin('board_asset', (j) => j.onRef('board_asset.asset_id', '=', 'asset.id').on('board_asset.board_id', '=', board.boardId))
    .where('asset.id', '=', id)
    .where('asset.workspace_id', '=', board.workspaceId)
    .executeTakeFirst();
  if (!row || verdictFor(deps, row) !== 'none') throw new AppError('NOT_FOUND');
  return streamFile(deps, row, opts);
}

function streamFile(deps: Deps, row: Row, opts: { thumb?: ThumbWidth | null }): AssetFile {
  const ext = row.storage_key.split('.').pop() ?? 'bin';
  const name = `flux-klein-${row.id.slice(0, 8)}.${ext}`;
  const missing = () => new AppError('NOT_FOUND', { userMessage: 'The file for this item is missing.' });
  const sha = row.sha256;
  if (opts.thumb && row.media === 'image') {
    const width = opts.thumb;
    return {
      mime: 'image/webp',
      name: name.replace(/\.[a-z0-9]+$/, '.webp'),
      etag: `"${sha}-w${width}-${THUMB_RECIPE}"`,
      async open() {
        try {
          const key = thumbKeys(row.id)[`w${width}`];
          let size = (await deps.storage.stat(key))?.size;
          if (size === undefined) {
            // Stored before thumbnails were made at store time: made once now, kept for next time.
            const original = await readAll(await deps.storage.read(row.storage_key));
            // An output's thumbnails carry their own signed manifest, saying what the original's says (server/provenance).
            await storeThumbnails(deps.storage, row.id, original, row.source === 'output' ? (webp) => markThumbnail(webp, original, row.mime, deps.contentCredentials) : undefined);
            size = (await deps.storage.stat(key))?.size;
            if (size === undefined) throw missing();
          }
          return { stream: await deps.storage.read(key), size };
        } catch {
          throw missing();
        }
      },
    };
  }
  return {
    mime: row.mime,
    name,
    etag: `"${sha}"`,
    async open() {
      try {
        return { stream: await deps.storage.read(row.storage_key), size: row.size_bytes };
      } catch {
        throw missing();
      }
    },
  };
}

/** Several files for a ZIP download: only those the actor may see; refuses the whole set otherwise. */
export async function openAssetFiles(deps: Deps, actor: Actor, ids: string[]) {
  const rows = await baseQuery(deps).where('asset.id', 'in', ids).execute();
  if (rows.length !== new Set(ids).size) throw new AppError('NOT_FOUND');
  for (const ws of new Set(rows.map((r) => r.workspace_id))) await requireRole(deps.db, actor, ws, 'viewer');
  for (const r of rows) refuseBlocked(deps, r);
  return rows.map((r) => ({
    name: `flux-klein-${r.id.slice(0, 8)}.${r.storage_key.split('.').pop() ?? 'bin'}`,
    open: () => deps.storage.read(r.storage_key),
  }));
}
