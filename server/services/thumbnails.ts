/**
 * Thumbnails: the small WebP files the library grid, boards and the studio show instead of the
 * full-size image. Made once, when an output or an upload is stored (a missing one is made on its
 * first request, for files stored before this existed), and kept in storage beside the original.
 * They keep the original's XMP, so a generated image's thumbnail carries the same AI marking
 * (server/provenance); an output's thumbnails also get a signed C2PA manifest of their own (the
 * original's "created" action, then "resized": `markThumbnail`, passed in as the signer).
 */
import sharp from 'sharp';

/** Widths made for every image (px on the long side); the grid picks with `srcset`. */
export const THUMB_WIDTHS = [256, 512] as const;
/** Changes when the way thumbnails are made changes (it is part of their ETag). */
export const THUMB_RECIPE = 'webp78';
export type ThumbWidth = (typeof THUMB_WIDTHS)[number];

/** Storage keys of an asset's thumbnails, per width (the 512 one keeps the key it always had). */
export function thumbKeys(assetId: string): Record<`w${ThumbWidth}`, string> {
  return { w256: `thumbs/${assetId}-256.webp`, w512: `thumbs/${assetId}.webp` };
}

/** Every thumbnail key of an asset, for deleting them with it. */
export const allThumbKeys = (assetId: string): string[] => Object.values(thumbKeys(assetId));

export const thumbWidthFrom = (raw: unknown): ThumbWidth | null => {
  if (raw === '1' || raw === '512') return 512;
  if (raw === '256') return 256;
  return null;
};

/** Adds a C2PA manifest to a WebP thumbnail (outputs: server/provenance `markThumbnail`); uploads' are left as they are. */
export type ThumbnailSigner = (webp: Buffer) => Promise<Buffer>;
export const unsigned: ThumbnailSigner = async (webp) => webp;

/** One WebP per width, from the original's bytes, with its XMP kept. */
export async function makeThumbnails(original: Buffer, sign: ThumbnailSigner = unsigned): Promise<{ width: ThumbWidth; suffix: `w${ThumbWidth}`; data: Buffer }[]> {
  const out: { width: ThumbWidth; suffix: `w${ThumbWidth}`; data: Buffer }[] = [];
  for (const width of THUMB_WIDTHS) {
    const data = await sharp(original).keepXmp().resize(width, width, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 78 }).toBuffer();
    out.push({ width, suffix: `w${width}`, data: await sign(data) });
  }
  return out;
}

/** Stores thumbnails made by `makeThumbnails` under an asset's keys. */
export async function putThumbnails(storage: { put(key: string, data: Buffer): Promise<void> }, assetId: string, thumbs: Awaited<ReturnType<typeof makeThumbnails>>): Promise<void> {
  const keys = thumbKeys(assetId);
  for (const t of thumbs) await storage.put(keys[t.suffix], t.data);
}

/** Makes and stores an image asset's thumbnails; a failure is logged by the caller and made up for on first request. */
export async function storeThumbnails(storage: { put(key: string, data: Buffer): Promise<void> }, assetId: string, original: Buffer, sign: ThumbnailSigner = unsigned): Promise<void> {
  await putThumbnails(storage, assetId, await makeThumbnails(original, sign));
}

/** Makes image assets' thumbnails right after they are stored (outputs and uploads); one that fails is made on first request. */
export async function prepareThumbnails(
  deps: { storage: { put(key: string, data: Buffer): Promise<void> }; log: { warn(msg: string, meta?: Record<string, unknown>): void } },
  assets: { id: string; media: 'image' | 'video'; data: Buffer; sign?: ThumbnailSigner }[],
) {
  for (const a of assets) {
    if (a.media !== 'image') continue;
    await storeThumbnails(deps.storage, a.id, a.data, a.sign).catch((err: unknown) => deps.log.warn('thumbnail not made at store time (made on first request)', { assetId: a.id, err }));
  }
}
