import { DEFAULTS, deadline, download, type AdapterOptions } from './adapter-kit.js';
import { referenceInput, requestJson, requireSameService, sleep } from './http.js';
import { ProviderError, type ModelProvider, type ProviderOutput } from './types.js';

/**
 * Black Forest Labs: POST /v1/{model} → poll `polling_url` (x-key) → fetch `result.sample` at once
 * (it expires after minutes). One task makes one image, so `count` outputs are `count` tasks with
 * seeds seed, seed+1, …. BFL has no cancel endpoint: on cancel we stop polling.
 * Only what the request needs is sent: prompt, size, seed, format, safety level and references.
 */
const MODELS: Record<string, string> = { 'flux-2-klein-4b': 'flux-2-klein-4b', 'flux-2-klein-9b': 'flux-2-klein-9b' };

interface Submit {
  id: string;
  polling_url: string;
}
interface Poll {
  status: string;
  progress?: number | null;
  result?: { sample?: string } | null;
}

export function createBflProvider(opts: AdapterOptions & { apiKey: string }): ModelProvider {
  const base = (opts.baseUrl ?? 'https://api.bfl.ai').replace(/\/$/, '');
  const o = { ...DEFAULTS, ...opts };
  return {
    name: 'bfl',
    async generate(req, ctx) {
      const model = MODELS[req.model];
      if (!model || req.kind !== 'image') throw new ProviderError('INVALID_REQUEST', `Black Forest Labs does not offer ${req.model}.`);
      const d = deadline(ctx.signal, o.timeoutMs);
      const call = { signal: d.signal, timeoutMs: o.requestTimeoutMs };
      const headers = { 'x-key': opts.apiKey };
      const progress = new Array<number>(req.count).fill(0);
      const report = () => ctx.onProgress((progress.reduce((a, b) => a + b, 0) / req.count) * 95);
      const one = async (i: number): Promise<ProviderOutput> => {
        const body: Record<string, unknown> = {
          prompt: req.prompt,
          width: req.width,
          height: req.height,
          seed: req.seed + i,
          output_format: 'png',
          safety_tolerance: 2,
        };
        req.references.slice(0, 4).forEach((r, k) => (body[k === 0 ? 'input_image' : `input_image_${k + 1}`] = referenceInput(r)));
        const task = await requestJson<Submit>('Black Forest Labs', `${base}/v1/${model}`, { method: 'POST', headers, body }, call);
        const pollUrl = requireSameService(task?.polling_url, base, ['bfl.ai'], 'Black Forest Labs');
        for (;;) {
          await sleep(o.pollIntervalMs, d.signal);
          const p = await requestJson<Poll>('Black Forest Labs', pollUrl, { method: 'GET', headers }, call);
          switch (p?.status) {
            case 'Pending':
              if (typeof p.progress === 'number') {
                progress[i] = p.progress > 1 ? p.progress / 100 : p.progress;
                await report();
              }
              continue;
            case 'Ready': {
              if (typeof p.result?.sample !== 'string') throw new ProviderError('BAD_RESPONSE', 'Black Forest Labs said ready without a result.');
              const out = await download(p.result.sample, req, o.media, d.signal);
              progress[i] = 1;
              await report();
              return out;
            }
            case 'Request Moderated':
            case 'Content Moderated':
              throw new ProviderError('CONTENT_REFUSED', 'Black Forest Labs moderated the request.');
            case 'Task not found':
              throw new ProviderError('PROVIDER_UNAVAILABLE', 'Black Forest Labs lost the task.', true);
            case 'Error':
              throw new ProviderError('PROVIDER_UNAVAILABLE', 'Black Forest Labs reported an error.', true);
            default:
              throw new ProviderError('BAD_RESPONSE', 'Black Forest Labs sent an unknown status.');
          }
        }
      };
      try {
        return await Promise.all(Array.from({ length: req.count }, (_, i) => one(i)));
      } catch (err) {
        if (d.timedOut()) throw new ProviderError('TIMEOUT', 'Black Forest Labs took too long.', true);
        throw err;
      }
    },
  };
}
