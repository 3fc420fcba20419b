import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { startServer } from '../server/index.js';
import { startFakeStripe } from '../server/testing/fake-stripe.js';
import { startFakeGithub } from '../server/testing/fake-oauth.js';
import { E2E_OPERATOR_EMAIL } from './server-data.js';

/** The server the e2e specs run against: a throwaway data directory with its own embedded PostgreSQL. */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-e2e-'));
fs.chmodSync(dir, 0o755);
const port = Number(process.env.E2E_PORT ?? 3211);
// Billing runs against a local server speaking Stripe's API (the product's adapter code is real).
const stripe = await startFakeStripe({ webhookDelayMs: 800 });
// Sign-in with GitHub goes to a local provider speaking GitHub's OAuth protocol.
const github = await startFakeGithub();
const config = loadConfig({ ...process.env, STRIPE_SECRET_KEY: 'sk_test_fake', STRIPE_WEBHOOK_SECRET: stripe.webhookSecret, STRIPE_API_URL: stripe.url, DATA_DIR: dir, AUTH_RATE_LIMIT: 'false', GITHUB_CLIENT_ID: 'e2e-client', GITHUB_CLIENT_SECRET: 'e2e-secret', GITHUB_OAUTH_URL: github.url, GITHUB_API_URL: github.url, PORT: String(port), HOST: '127.0.0.1', LOCAL_PROVIDER_STEP_MS: process.env.LOCAL_PROVIDER_STEP_MS ?? '150', LOG_LEVEL: 'warn', EMBEDDED_PG_PORT: '0', ADMIN_EMAILS: E2E_OPERATOR_EMAIL, WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${port + 50}` /* the webhook receiver of e2e/webhooks.spec.ts */ });
const log = createLogger(config.logLevel);
const running = await startServer(config, { log });
stripe.webhookUrl = `${running.url}/api/stripe/webhook`;
fs.writeFileSync(path.join(os.tmpdir(), `flux-klein-e2e-${port}.json`), JSON.stringify({ dataDir: dir, databaseUrl: running.databaseUrl }));
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await running.shutdown();
  await stripe.close();
  await github.close();
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
