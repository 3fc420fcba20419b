/** The operators' moderation inputs (terms, image policy); the categories and policies in words are in moderation-words.ts. */
import { z } from 'zod';
import { CATEGORY_IDS, IMAGE_POLICIES, TERM_MAX } from './moderation-words.js';

export * from './moderation-words.js';

export const AddTermInput = z.object({
  term: z
    .string()
    .trim()
    .min(2, 'A term needs at least two characters.')
    .max(TERM_MAX, `A term can have at most ${TERM_MAX} characters.`)
    .refine((t) => /[\p{L}\p{N}]/u.test(t), 'A term needs at least one letter or digit.'),
  category: z.enum(CATEGORY_IDS),
});
export const RemoveTermInput = z.object({ id: z.uuid() });
export const SetImagePolicyInput = z.object({ workspaceId: z.uuid(), policy: z.enum(IMAGE_POLICIES).nullable() });
