import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { categoryFor, checkWithHostedApi } from './hosted.js';
import { startFakeModeration, type FakeModeration } from './testing/fake-moderation.js';

let fake: FakeModeration;
beforeAll(async () => {
  fake = await startFakeModeration();
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => {
  fake.mode = 'ok';
  fake.flags.clear();
  fake.requests.length = 0;
});
const api = () => ({ url: fake.url, key: fake.key, model: 'omni-moderation-latest' });
const code = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (e instanceof AppError ? e.code : String(e)));

describe('hosted moderation adapter (OpenAI /v1/moderations protocol, against a local fake)', () => {
  it('sends only the prompt, with the key as a bearer token and the configured model', async () => {
    const verdict = await checkWithHostedApi(api(), 'a lighthouse at dusk');
    expect(verdict).toEqual({ flagged: false, category: null });
    expect(fake.requests).toEqual([{ authorization: `Bearer ${fake.key}`, body: { model: 'omni-moderation-latest', input: 'a lighthouse at dusk' } }]);
  });

  it('names the flagged category, the most serious first', async () => {
    fake.flags.set('gruesome', 'violence/graphic');
    expect(await checkWithHostedApi(api(), 'a gruesome scene')).toEqual({ flagged: true, category: 'violence' });
    fake.flags.set('schoolgirl', 'sexual/minors');
    fake.flags.set('explicit', 'sexual');
    expect(await checkWithHostedApi(api(), 'explicit schoolgirl')).toEqual({ flagged: true, category: 'minors' });
  });

  it('maps every OpenAI category to one of ours', () => {
    expect(categoryFor('harassment/threatening')).toBe('harassment');
    expect(categoryFor('hate/threatening')).toBe('hate');
    expect(categoryFor('self-harm/instructions')).toBe('self-harm');
    expect(categoryFor('illicit/violent')).toBe('illicit');
    expect(categoryFor('something-new')).toBe('illicit');
  });

  it('fails closed: a wrong key, a server error, another shape or no answer is MODERATION_UNAVAILABLE', async () => {
    expect(await code(checkWithHostedApi({ ...api(), key: 'wrong' }, 'x'))).toBe('MODERATION_UNAVAILABLE');
    fake.mode = 500;
    expect(await code(checkWithHostedApi(api(), 'x'))).toBe('MODERATION_UNAVAILABLE');
    fake.mode = 429;
    expect(await code(checkWithHostedApi(api(), 'x'))).toBe('MODERATION_UNAVAILABLE');
    fake.mode = 'garbage';
    expect(await code(checkWithHostedApi(api(), 'x'))).toBe('MODERATION_UNAVAILABLE');
    fake.mode = 'hang';
    expect(await code(checkWithHostedApi(api(), 'x', { timeoutMs: 300 }))).toBe('MODERATION_UNAVAILABLE');
    expect(await code(checkWithHostedApi({ ...api(), url: 'http://127.0.0.1:9/v1' }, 'x'))).toBe('MODERATION_UNAVAILABLE');
  });
});
