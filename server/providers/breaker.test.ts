import { describe, expect, it } from 'vitest';
import { createBreaker } from './breaker.js';
import { generateWithFailover } from './pool.js';
import { ProviderError, type ModelProvider, type ProviderRequest } from './types.js';

/** The circuit breaker and the failover loop, with a hand-moved clock and scripted providers. */

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('circuit breaker', () => {
  it('opens after the configured failures in a row, lets one probe through after the cool-down, and closes on its success', () => {
    const c = clock();
    const b = createBreaker({ failures: 3, cooldownMs: 60_000, now: c.now });
    b.failure('comfyui', 'down');
    b.failure('comfyui', 'down');
    expect(b.snapshot('comfyui')).toMatchObject({ state: 'closed', consecutiveFailures: 2 });
    b.success('comfyui'); // a success in between resets the count
    for (let i = 0; i < 3; i++) b.failure('comfyui', `down ${i}`);
    expect(b.snapshot('comfyui')).toMatchObject({ state: 'open', lastError: 'down 2', retryAt: new Date(c.now() + 60_000) });
    expect(b.claim('comfyui')).toBe(false);
    c.advance(59_999);
    expect(b.available('comfyui')).toBe(false);
    c.advance(1);
    expect(b.snapshot('comfyui').state).toBe('half-open');
    expect(b.claim('comfyui')).toBe(true); // the probe
    expect(b.claim('comfyui')).toBe(false); // one probe at a time
    b.success('comfyui');
    expect(b.snapshot('comfyui')).toMatchObject({ state: 'closed', consecutiveFailures: 0, retryAt: null });
    expect(b.claim('comfyui')).toBe(true);
  });

  it('opens again for a full cool-down when the probe fails, and frees the probe slot when the probe says nothing', () => {
    const c = clock();
    const b = createBreaker({ failures: 1, cooldownMs: 1000, now: c.now });
    b.failure('bfl', 'x');
    c.advance(1000);
    expect(b.claim('bfl')).toBe(true);
    b.failure('bfl', 'still down');
    expect(b.snapshot('bfl').state).toBe('open');
    c.advance(999);
    expect(b.claim('bfl')).toBe(false);
    c.advance(1);
    expect(b.claim('bfl')).toBe(true);
    b.release('bfl'); // canceled: no verdict
    expect(b.claim('bfl')).toBe(true);
  });
});

const req: ProviderRequest = { id: 'g', kind: 'image', model: 'flux-2-klein-4b', prompt: 'p', width: 64, height: 64, seed: 1, count: 1, references: [] };
const png = { data: Buffer.from('x'), mime: 'image/png', width: 64, height: 64 };

function scripted(name: string, outcomes: (Error | 'ok')[]) {
  const calls: number[] = [];
  const p: ModelProvider = {
    name,
    async generate() {
      calls.push(calls.length);
      const o = outcomes.shift() ?? 'ok';
      if (o === 'ok') return [png];
      throw o;
    },
  };
  return { p, calls };
}

describe('failover', () => {
  const ctx = () => ({ signal: new AbortController().signal, onProgress: () => {} });

  it('moves a retryable failure, an unreachable server or an empty account to the next provider; not a refusal', async () => {
    const b = createBreaker({ failures: 5, cooldownMs: 1000 });
    for (const err of [new ProviderError('PROVIDER_UNAVAILABLE', '503', true), new ProviderError('TIMEOUT', 't', true), new ProviderError('RATE_LIMITED', 'r', true), new ProviderError('PROVIDER_UNAVAILABLE', 'bad key'), new ProviderError('OUT_OF_CREDITS', 'empty')]) {
      const a = scripted('a', [err]);
      const z = scripted('z', ['ok']);
      const moves: string[] = [];
      const r = await generateWithFailover(req, ctx(), { pool: ['a', 'z'], get: (n) => (n === 'a' ? a.p : z.p), breaker: b, onFailover: (from, _e, to) => void moves.push(`${from}→${to}`) });
      expect(r.provider).toBe('z');
      expect(moves).toEqual(['a→z']);
    }
    for (const code of ['CONTENT_REFUSED', 'INVALID_REQUEST', 'BAD_RESPONSE', 'CANCELED'] as const) {
      const a = scripted('a', [new ProviderError(code, code)]);
      const z = scripted('z', ['ok']);
      await expect(generateWithFailover(req, ctx(), { pool: ['a', 'z'], get: (n) => (n === 'a' ? a.p : z.p), breaker: createBreaker({ failures: 5, cooldownMs: 1000 }) })).rejects.toMatchObject({ code });
      expect(z.calls).toHaveLength(0);
    }
  });

  it('skips a provider whose breaker is open, and fails fast (retryable) when the whole pool is out', async () => {
    const b = createBreaker({ failures: 1, cooldownMs: 60_000 });
    const a = scripted('a', [new ProviderError('PROVIDER_UNAVAILABLE', 'down', true)]);
    const z = scripted('z', ['ok', 'ok', new ProviderError('PROVIDER_UNAVAILABLE', 'down too', true)]);
    const get = (n: string) => (n === 'a' ? a.p : z.p);
    expect((await generateWithFailover(req, ctx(), { pool: ['a', 'z'], get, breaker: b })).provider).toBe('z');
    expect((await generateWithFailover(req, ctx(), { pool: ['a', 'z'], get, breaker: b })).provider).toBe('z');
    expect(a.calls).toHaveLength(1); // not asked again while open
    await expect(generateWithFailover(req, ctx(), { pool: ['a', 'z'], get, breaker: b })).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', message: 'down too', retryable: true });
    await expect(generateWithFailover(req, ctx(), { pool: ['a', 'z'], get, breaker: b })).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true, message: expect.stringMatching(/Every provider of this model is failing/) });
    expect([a.calls.length, z.calls.length]).toEqual([1, 3]);
  });
});
