import { z } from 'zod';

import { PRIVACY_REQUEST_KINDS } from './privacy-words.js';

export * from './privacy-words.js';
export const PrivacyRequestInput = z.object({
  kind: z.enum(PRIVACY_REQUEST_KINDS, { error: 'Choose what your request is about.' }),
  message: z.string().trim().min(10, 'Tell us a little more (at least 10 characters).').max(2000, 'Keep it under 2,000 characters.'),
});
export const PrivacyRequestStatusInput = z.object({ id: z.uuid(), status: z.enum(['open', 'in_progress', 'done', 'rejected']) });
