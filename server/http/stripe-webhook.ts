import express, { type Request, type Response } from 'express';
import { handleStripeWebhook, WebhookSignatureError } from '../services/billing.js';
import type { Deps } from '../services/deps.js';

/** POST /api/stripe/webhook — verified on the raw body (so it is mounted before any JSON parser). */
export function stripeWebhookRoute(deps: Deps) {
  return [
    express.raw({ type: () => true, limit: '1mb' }),
    async (req: Request, res: Response) => {
      try {
        const result = await handleStripeWebhook(deps, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), req.get('stripe-signature'));
        res.json({ received: true, ...result });
      } catch (err) {
        if (err instanceof WebhookSignatureError) {
          res.status(400).json({ error: { code: 'INVALID_SIGNATURE', message: err.message } });
          return;
        }
        deps.log.error('stripe webhook failed', { err });
        // 500 makes Stripe deliver again later; nothing was committed.
        res.status(500).json({ error: { code: 'INTERNAL', message: 'Processing failed; Stripe will retry.' } });
      }
    },
  ];
}
