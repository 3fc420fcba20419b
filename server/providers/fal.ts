import { DEFAULTS, deadline, download, type AdapterOptions } from './adapter-kit.js';
import { nearestAspect, referenceInput, requestJson, requireSameService, sleep } from './http.js';
import { canceled, ProviderError, type ModelProvider } from './types.js';

/**
 * fal queue API: POST {queue}/{endpoint} (the body is the model input) → poll the `status_url`
 * it returns (queue position, logs) → GET `response_url` → fetch each media URL. Cancel with a
 * PUT to `cancel_url`. We ask fal not to keep inputs and outputs (X-Fal-Store-IO: 0) and to let
 * result files expire after an hour. Only the URLs fal returns are used, never built by hand.
 */
const ENDPOINTS: Record<string, { text: string; image?: string; video?: boolean }> = {
  'flux-2-klein-4b': { text: 'fal-ai/flux-2/klein/4b', image: 'fal-ai/flux-2/klein/4b/edit' },
  'flux-2-klein-9b': { text: 'fal-ai/flux-2/klein/9b', image: 'fal-ai/flux-2/klein/9b/edit' },
  'kling-2.5-turbo': { text: 'fal-ai/kling-video/v2.5-turbo/pro/text-to-video', image: 'fal-ai/kling-video/v2.5-turbo/pro/image-to-video', video: true },
};

interface Submit {
  request_id: string;
  status_url: string;
  response_url: string;
  cancel_url: string;
}
interface Status {
  status: 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';
  queue_position?: number;
  logs?: { message?: string }[] | null;
}
interface Result {
  images?: { url?: string }[];
  video?: { url?: string };
  has_nsfw_concepts?: boolean[];
  detail?: unknown;
}

export function createFalProvider(opts: AdapterOptions & { apiKey: string }): ModelProvider {
  const base = (opts.baseUrl ?? 'https://queue.fal.run').replace(/\/$/, '');
  const o = { ...DEFAULTS, ...opts };
  const headers = {
    authorization: `Key ${opts.apiKey}`,
    'x-fal-store-io': '0',
    'x-fal-object-lifecycle-preference': JSON.stringify({ expiration_duration_seconds: 3600 }),
  };
  return {
    name: 'fal',
    async generate(req, ctx) {
      const ep = ENDPOINTS[req.model];
      if (!ep || Boolean(ep.video) !== (req.kind === 'video')) throw new ProviderError('INVALID_REQUEST', `fal does not offer ${req.model} here.`);
      const d = deadline(ctx.signal, o.timeoutMs);
      const call = { signal: d.signal, timeoutMs: o.requestTimeoutMs };
      const refs = req.references.map(referenceInput);
      const endpoint = refs.length > 0 && ep.image ? ep.image : ep.text;
      const input: Record<string, unknown> = ep.video
        ? {
            prompt: req.prompt,
            duration: String(req.durationSeconds ?? 5),
            aspect_ratio: nearestAspect(req.width, req.height, ['16:9', '9:16', '1:1']),
            ...(req.negativePrompt ? { negative_prompt: req.negativePrompt } : {}),
            ...(refs[0] ? { image_url: refs[0] } : {}),
          }
        : {
            prompt: req.prompt,
            seed: req.seed,
            image_size: { width: req.width, height: req.height },
            num_images: req.count,
            output_format: 'png',
            enable_safety_checker: true,
            ...(req.steps ? { num_inference_steps: req.steps } : {}),
            ...(refs.length > 0 ? { image_urls: refs.slice(0, 4) } : {}),
          };
      const submitted = await requestJson<Submit>('fal', `${base}/${endpoint}`, { method: 'POST', headers, body: input }, call);
      const statusUrl = requireSameService(submitted?.status_url, base, ['fal.run'], 'fal');
      const responseUrl = requireSameService(submitted?.response_url, base, ['fal.run'], 'fal');
      const cancelUrl = requireSameService(submitted?.cancel_url, base, ['fal.run'], 'fal');
      const cancelRemote = () => requestJson('fal', cancelUrl, { method: 'PUT', headers }, { signal: new AbortController().signal, timeoutMs: 5000 }).catch(() => undefined);
      try {
        for (;;) {
          await sleep(o.pollIntervalMs, d.signal);
          const s = await requestJson<Status>('fal', `${statusUrl}${statusUrl.includes('?') ? '&' : '?'}logs=1`, { method: 'GET', headers }, call);
          if (s?.status === 'IN_QUEUE') await ctx.onStatus?.(`In the queue at fal${typeof s.queue_position === 'number' ? `, position ${s.queue_position + 1}` : ''}`);
          else if (s?.status === 'IN_PROGRESS') {
            const last = s.logs?.filter((l) => l?.message).at(-1)?.message;
            await ctx.onStatus?.(last ? `Running: ${String(last).slice(0, 120)}` : 'Running at fal');
          } else if (s?.status === 'COMPLETED') break;
          else throw new ProviderError('BAD_RESPONSE', 'fal sent an unknown status.');
        }
        const result = await requestJson<Result>('fal', responseUrl, { method: 'GET', headers }, call);
        if (result?.has_nsfw_concepts?.some(Boolean)) throw new ProviderError('CONTENT_REFUSED', 'fal flagged the result.');
        const urls = ep.video ? [result?.video?.url] : (result?.images ?? []).map((i) => i?.url);
        if (urls.length === 0 || urls.some((u) => typeof u !== 'string')) throw new ProviderError('BAD_RESPONSE', 'fal returned no media.');
        await ctx.onProgress(95);
        return Promise.all(urls.map((u) => download(u!, req, o.media, d.signal)));
      } catch (err) {
        if (ctx.signal.aborted || d.timedOut()) {
          await cancelRemote();
          if (d.timedOut()) throw new ProviderError('TIMEOUT', 'fal took too long.', true);
          throw canceled();
        }
        throw err;
      }
    },
  };
}
