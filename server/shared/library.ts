import { z } from 'zod';
import { LIBRARY_KINDS, MAX_TAGS } from './library-words.js';

export { LIBRARY_KINDS, MAX_TAGS };

/** Library inputs shared by the tRPC procedures and the library page. */
export const TagSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, 'A tag cannot be empty.')
  .max(32, 'Keep tags under 32 characters.')
  .regex(/^[\p{L}\p{N} _-]+$/u, 'Tags may use letters, numbers, spaces, - and _.');

export const LibraryListInput = z.object({
  workspaceId: z.uuid().optional(),
  limit: z.number().int().min(1).max(100).default(24),
  cursor: z.string().max(200).nullish(),
  kind: z.enum(LIBRARY_KINDS).default('all'),
  q: z.string().trim().max(200, 'Keep the search under 200 characters.').optional(),
  model: z.string().trim().max(64).optional(),
  favorites: z.boolean().optional(),
  tag: TagSchema.optional(),
  /** Only kept items (true), only not-yet-kept outputs (false), or both. */
  saved: z.boolean().optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
});

export const SetFavoriteInput = z.object({ id: z.uuid(), favorite: z.boolean() });
export const SetSavedInput = z.object({ ids: z.array(z.uuid()).min(1).max(100), saved: z.boolean() });
export const SetTagsInput = z.object({
  id: z.uuid(),
  tags: z.array(TagSchema).max(MAX_TAGS, `Use at most ${MAX_TAGS} tags.`),
});
/** `confirm`: delete even what a board shows (without it, such a delete is refused with ASSET_IN_USE). */
export const DeleteManyInput = z.object({ ids: z.array(z.uuid()).min(1, 'Select something to delete.').max(100, 'Delete at most 100 items at a time.'), confirm: z.boolean().optional() });
export const DeleteAssetInput = z.object({ id: z.uuid(), confirm: z.boolean().optional() });
