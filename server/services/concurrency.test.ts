import sharp from 'sharp';
import { describe, expect, inject, it } from 'vitest';
import type { ModelProvider } from '../providers/types.js';
import { connectSocket, signUp, startTestServer, trpcClient, waitForEvent } from '../testing/harness.js';

/** A provider that takes a while and counts how many requests it serves at once. */
function counting() {
  const stats = { now: 0, max: 0 };
  const provider: ModelProvider = {
    name: 'local',
    async generate(req) {
      stats.now++;
      stats.max = Math.max(stats.max, stats.now);
      await new Promise((r) => setTimeout(r, 250));
      stats.now--;
      const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer();
      return Array.from({ length: req.count }, () => ({ data: png, mime: 'image/png', width: 8, height: 8 }));
    },
  };
  return { provider, stats };
}

async function runFour(limit: number) {
  const { provider, stats } = counting();
  const server = await startTestServer(inject('pgAdminUrl'), { env: { WORKER_CONCURRENCY: '4', PROVIDER_CONCURRENCY: `local=${limit}` }, start: { providers: [provider] } });
  try {
    const user = await signUp(server);
    const socket = await connectSocket(server, user);
    const api = trpcClient(server, user);
    const gens = await Promise.all([1, 2, 3, 4].map((i) => api.generation.create.mutate({ prompt: `job ${i}` })));
    for (const g of gens) await waitForEvent(socket, 'generation:update', (e) => e.id === g.id && e.status === 'succeeded', 20_000);
    socket.close();
    return stats.max;
  } finally {
    await server.stop();
  }
}

describe('per-provider concurrency', () => {
  it('never runs more jobs on a provider at once than its limit, whatever the number of workers', async () => {
    expect(await runFour(1)).toBe(1);
    expect(await runFour(4)).toBeGreaterThan(1);
  }, 60_000);
});
