import express, { type Request, type Response } from 'express';
import { handleStripeWebhook, WebhookSignatureError } from '../services/billing.js';
import type { Deps } from '../services/deps.js';
import { AppError } from '../shared/errors.js';
import { sendError } from './errors.js';

/** POST /api/stripe/webhook — verified on the raw body (so it is mounted before any JSON parser). */
export function stripeWebhookRoute(deps: Deps) {
  return [
    express.raw({ type: () => true, limit: '1mb' }),
    async (req: Request, res: Response) => {
      try {
        const result = await handleStripeWebhook(deps, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), req.get('stripe-signature'));
        res.json({ received: true, ...result });
      } catch (err) {
        if (err instanceof WebhookSignatureError) return sendError(res, new AppError('INVALID_SIGNATURE', { userMessage: err.message }));
        // INTERNAL (500) makes Stripe deliver again later; nothing was committed.
        sendError(res, err, { log: deps.log, what: 'stripe webhook' });
      }
    },
  ];
}
