import http from 'node:http';
import { expect, expectAccessible, test } from './fixtures.js';

/**
 * Settings → API, webhooks: an owner adds a receiver (a local HTTP server the e2e server is allowed
 * to call, WEBHOOK_ALLOW_HOSTS in e2e/server.ts), a generation ends, the delivery shows as delivered
 * in the log, and "Send again" sends the same message a second time.
 */
const RECEIVER_PORT = Number(process.env.E2E_PORT ?? 3211) + 50;
const received: { id: string; body: string }[] = [];
let receiver: http.Server;

test.beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ id: String(req.headers['webhook-id']), body: Buffer.concat(chunks).toString() });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(RECEIVER_PORT, '127.0.0.1', r));
});
test.afterAll(async () => {
  await new Promise<void>((r) => receiver.close(() => r()));
});

test('add a webhook, see its delivery in the log, and send it again', async ({ signedIn: page, baseURL }) => {
  await page.goto('/settings/api');
  await expect(page.getByRole('heading', { name: /^Webhooks of / })).toBeVisible();
  await expect(page.getByText('No webhooks yet.')).toBeVisible();

  // A private address is refused with the reason.
  await page.getByLabel('Receiver URL').fill('http://10.1.2.3/hook');
  await page.getByRole('button', { name: 'Add webhook' }).click();
  await expect(page.getByRole('alert')).toContainText('10.1.2.3 is not a public address');

  const url = `http://127.0.0.1:${RECEIVER_PORT}/flux`;
  await page.getByLabel('Receiver URL').fill(url);
  await page.getByLabel('Description (optional)').fill('Render farm');
  await page.getByRole('button', { name: 'Add webhook' }).click();
  const secret = page.getByLabel('Signing secret of the new webhook');
  await expect(secret).toHaveValue(/^whsec_/);
  await page.getByRole('button', { name: 'I have saved it' }).click();
  await expect(page.getByText(url)).toBeVisible();
  await expect(page.getByText('Nothing sent yet.')).toBeVisible();

  // A generation, started through the API with a key made on the same page, ends.
  await page.getByLabel('Key name').fill('Webhook test');
  await page.getByLabel(/^Generate:/).check();
  await page.getByRole('button', { name: 'Create key' }).click();
  const token = await page.getByLabel('Your new key “Webhook test”').inputValue();
  await page.getByRole('button', { name: 'I have saved it' }).click();
  const started = await page.request.post(`${baseURL}/api/v1/generations`, { headers: { authorization: `Bearer ${token}` }, data: { prompt: 'a lighthouse for the webhook' } });
  expect(started.status()).toBe(201);
  const { id } = await started.json();
  await expect.poll(() => received.filter((r) => r.body.includes(id)).length, { timeout: 30_000 }).toBe(1);

  const log = page.getByRole('table', { name: `Deliveries to ${url}` });
  await expect(async () => {
    await page.getByRole('button', { name: 'Refresh log' }).click();
    await expect(log.getByRole('row').filter({ hasText: 'generation.succeeded' }).getByText('Delivered')).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await expect(log).toContainText('Answered 200');
  await expectAccessible(page);

  await log.getByRole('button', { name: 'Send generation.succeeded again' }).click();
  await expect.poll(() => received.filter((r) => r.body.includes(id)).length, { timeout: 30_000 }).toBe(2);
  const [first, second] = received.filter((r) => r.body.includes(id));
  expect(second!.id).toBe(first!.id);
  await expect(async () => {
    await page.getByRole('button', { name: 'Refresh log' }).click();
    await expect(log.getByText('(sent again)')).toBeVisible({ timeout: 1000 });
    await expect(log.getByText('Delivered')).toHaveCount(2, { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
});
