import { z } from 'zod';

/** The catalogue of credit packs and plans, from configuration (BILLING_CATALOG). */
export const CatalogSchema = z.object({
  currency: z.string().length(3).default('usd'),
  packs: z
    .array(z.object({ id: z.string().regex(/^[a-z0-9_-]+$/), label: z.string(), priceId: z.string().startsWith('price_'), credits: z.number().int().positive(), amountCents: z.number().int().nonnegative() }))
    .default([]),
  plans: z
    .array(z.object({ id: z.string().regex(/^[a-z0-9_-]+$/), label: z.string(), priceId: z.string().startsWith('price_'), monthlyCredits: z.number().int().positive(), amountCents: z.number().int().nonnegative() }))
    .default([]),
});
export type Catalog = z.infer<typeof CatalogSchema>;

export const DEFAULT_CATALOG: Catalog = {
  currency: 'usd',
  packs: [
    { id: 'pack-100', label: '100 credits', priceId: 'price_pack100', credits: 100, amountCents: 500 },
    { id: 'pack-500', label: '500 credits', priceId: 'price_pack500', credits: 500, amountCents: 2000 },
  ],
  plans: [
    { id: 'creator', label: 'Creator', priceId: 'price_creator', monthlyCredits: 1000, amountCents: 1500 },
    { id: 'studio', label: 'Studio', priceId: 'price_studio', monthlyCredits: 5000, amountCents: 6000 },
  ],
};

export const CheckoutInput = z.object({ workspaceId: z.uuid().optional(), itemId: z.string().min(1).max(64) });
export const WorkspaceOnly = z.object({ workspaceId: z.uuid().optional() }).default({});

/** Moving credits from one's personal workspace into a team (the form and the procedure share it). */
export const TransferCreditsInput = z.object({
  transferId: z.uuid(),
  toWorkspaceId: z.uuid(),
  amount: z.number().int('Move a whole number of credits.').min(1, 'Move at least 1 credit.').max(1_000_000, 'Move at most 1,000,000 credits at once.'),
});
export type TransferCreditsInput = z.infer<typeof TransferCreditsInput>;
