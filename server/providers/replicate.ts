import { DEFAULTS, deadline, download, type AdapterOptions } from './adapter-kit.js';
import { nearestAspect, referenceInput, requestJson, requireSameService, sleep } from './http.js';
import { ProviderError, type ModelProvider, type ProviderOutput } from './types.js';

/**
 * Replicate: POST /models/{owner}/{name}/predictions {input} (Prefer: wait, Cancel-After) → poll
 * `urls.get` until a final status → fetch the output URL(s) at once (deleted after an hour).
 * Cancel with POST `urls.cancel`. One prediction per output, seeds seed, seed+1, ….
 */
const MODELS: Record<string, string> = {
  'flux-2-klein-4b': 'black-forest-labs/flux-2-klein-4b',
  'flux-2-klein-9b': 'black-forest-labs/flux-2-klein-9b-base',
};
const ASPECTS = ['1:1', '16:9', '9:16', '4:3', '3:4', '3:2', '2:3'];

interface Prediction {
  id: string;
  status: 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'aborted';
  output?: string | string[] | null;
  error?: string | null;
  logs?: string | null;
  urls?: { get?: string; cancel?: string };
}

export function createReplicateProvider(opts: AdapterOptions & { apiToken: string }): ModelProvider {
  const base = (opts.baseUrl ?? 'https://api.replicate.com/v1').replace(/\/$/, '');
  const o = { ...DEFAULTS, ...opts };
  const auth = { authorization: `Bearer ${opts.apiToken}` };
  return {
    name: 'replicate',
    async generate(req, ctx) {
      const model = MODELS[req.model];
      if (!model || req.kind !== 'image') throw new ProviderError('INVALID_REQUEST', `Replicate does not offer ${req.model} here.`);
      const d = deadline(ctx.signal, o.timeoutMs);
      const call = { signal: d.signal, timeoutMs: o.requestTimeoutMs };
      const refs = req.references.map(referenceInput);
      let done = 0;
      const one = async (i: number): Promise<ProviderOutput> => {
        const input: Record<string, unknown> = {
          prompt: req.prompt,
          seed: req.seed + i,
          aspect_ratio: refs.length > 0 ? 'match_input_image' : nearestAspect(req.width, req.height, ASPECTS),
          output_format: 'png',
          ...(req.guidance !== undefined ? { guidance: req.guidance } : {}),
          ...(refs.length > 0 ? { images: refs.slice(0, 4) } : {}),
        };
        let p = await requestJson<Prediction>(
          'Replicate',
          `${base}/models/${model}/predictions`,
          { method: 'POST', headers: { ...auth, prefer: 'wait=5', 'cancel-after': '10m' }, body: { input } },
          call,
        );
        const getUrl = requireSameService(p?.urls?.get, base, ['api.replicate.com'], 'Replicate');
        const cancelUrl = p?.urls?.cancel ? requireSameService(p.urls.cancel, base, ['api.replicate.com'], 'Replicate') : null;
        try {
          while (p.status === 'starting' || p.status === 'processing') {
            await ctx.onStatus?.(p.status === 'starting' ? 'Starting at Replicate' : `Running at Replicate${p.logs ? `: ${p.logs.trim().split('\n').at(-1)!.slice(0, 120)}` : ''}`);
            await sleep(o.pollIntervalMs, d.signal);
            p = await requestJson<Prediction>('Replicate', getUrl, { method: 'GET', headers: auth }, call);
          }
        } catch (err) {
          if ((ctx.signal.aborted || d.timedOut()) && cancelUrl) {
            await requestJson('Replicate', cancelUrl, { method: 'POST', headers: auth }, { signal: new AbortController().signal, timeoutMs: 5000 }).catch(() => undefined);
          }
          if (d.timedOut()) throw new ProviderError('TIMEOUT', 'Replicate took too long.', true);
          throw err;
        }
        if (p.status === 'failed') {
          throw /nsfw|safety|sensitive/i.test(p.error ?? '') ? new ProviderError('CONTENT_REFUSED', 'Replicate flagged the request.') : new ProviderError('PROVIDER_UNAVAILABLE', 'The prediction failed at Replicate.', true);
        }
        if (p.status === 'canceled' || p.status === 'aborted') throw new ProviderError('TIMEOUT', 'Replicate stopped the prediction.', true);
        if (p.status !== 'succeeded') throw new ProviderError('BAD_RESPONSE', 'Replicate sent an unknown status.');
        const url = Array.isArray(p.output) ? p.output[0] : p.output;
        if (typeof url !== 'string') throw new ProviderError('BAD_RESPONSE', 'Replicate returned no media.');
        const out = await download(url, req, o.media, d.signal);
        done++;
        await ctx.onProgress((done / req.count) * 95);
        return out;
      };
      try {
        return await Promise.all(Array.from({ length: req.count }, (_, i) => one(i)));
      } catch (err) {
        if (d.timedOut()) throw new ProviderError('TIMEOUT', 'Replicate took too long.', true);
        throw err;
      }
    },
  };
}
