import { DEFAULTS, deadline, type AdapterOptions } from './adapter-kit.js';
import { hostPortOf } from './comfyui-workflows.js';
import { describeMedia, fetchMedia } from './fetch-media.js';
import { errorFor } from './http.js';
import { canceled, ProviderError, type ModelCaps, type ModelProvider, type ProviderOutput } from './types.js';

/**
 * An OpenAI-compatible image server on the operator's machine (LocalAI, stable-diffusion.cpp's
 * sd-server): POST /v1/images/generations (JSON) or, with references, /v1/images/edits
 * (multipart, `image[]`), answered synchronously with `data[].b64_json` (asked for) or `data[].url`.
 * A URL is fetched through the SSRF guard: a private address only when it is the configured server
 * itself. The API has no seed, steps or progress: we report "running" and the end; a cancel
 * aborts the request (the API has no cancel call).
 */

export interface OpenAiImagesOptions extends AdapterOptions {
  baseUrl: string;
  apiKey?: string;
  /** Our model id → the server's model name. */
  models: Record<string, string>;
  /** Largest image accepted (bytes, decoded). */
  maxResultBytes?: number;
}

const NAME = 'The image server';

interface Answer {
  data?: { b64_json?: unknown; url?: unknown }[];
}

/** Reads a response body up to `max` bytes, or refuses it. */
async function readCapped(res: Response, max: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > max) {
    await res.body?.cancel().catch(() => {});
    throw new ProviderError('BAD_RESPONSE', `${NAME} sent more than ${max} bytes.`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = res.body?.getReader();
  for (;;) {
    const { done, value } = reader ? await reader.read() : { done: true, value: undefined };
    if (done || !value) break;
    size += value.length;
    if (size > max) {
      await reader!.cancel().catch(() => {});
      throw new ProviderError('BAD_RESPONSE', `${NAME} sent more than ${max} bytes.`);
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}

export function createOpenAiImagesProvider(opts: OpenAiImagesOptions): ModelProvider {
  const base = opts.baseUrl.replace(/\/$/, '').replace(/\/v1$/, '');
  const o = { ...DEFAULTS, maxResultBytes: 50 * 1024 * 1024, ...opts };
  const auth: Record<string, string> = opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};
  const media = { ...opts.media, allowHosts: [...(opts.media?.allowHosts ?? []), hostPortOf(base)], maxBytes: o.maxResultBytes, headers: auth };
  return {
    name: 'openai-images',
    capabilities(model): ModelCaps | null {
      return opts.models[model] ? { maxReferences: 4 } : null;
    },
    async generate(req, ctx) {
      const model = opts.models[req.model];
      if (!model || req.kind !== 'image') throw new ProviderError('INVALID_REQUEST', `${NAME} does not serve ${req.model}.`);
      const d = deadline(ctx.signal, o.timeoutMs);
      const size = `${req.width}x${req.height}`;
      let init: RequestInit;
      let path: string;
      if (req.references.length > 0) {
        const form = new FormData();
        form.append('model', model);
        form.append('prompt', req.prompt);
        form.append('n', String(req.count));
        form.append('size', size);
        form.append('response_format', 'b64_json');
        req.references.slice(0, 4).forEach((r, k) => form.append('image[]', new Blob([new Uint8Array(r.data)], { type: r.mime }), `reference-${k + 1}.${r.mime.split('/')[1]}`));
        init = { method: 'POST', headers: { accept: 'application/json', ...auth }, body: form };
        path = '/v1/images/edits';
      } else {
        init = { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...auth }, body: JSON.stringify({ model, prompt: req.prompt, n: req.count, size, response_format: 'b64_json' }) };
        path = '/v1/images/generations';
      }
      await ctx.onStatus?.('Rendering on the image server');
      await ctx.onProgress(5);
      try {
        let res: Response;
        try {
          res = await fetch(`${base}${path}`, { ...init, signal: d.signal, redirect: 'error' });
        } catch (err) {
          if (d.signal.aborted) throw canceled();
          throw new ProviderError('PROVIDER_UNAVAILABLE', `${NAME} could not be reached: ${(err as Error).message}`, true);
        }
        if (!res.ok) throw await errorFor(res, NAME);
        // Base64 is 4/3 of the bytes; a little room for the JSON around it.
        const raw = await readCapped(res, Math.ceil((o.maxResultBytes * req.count * 4) / 3) + 64 * 1024);
        let answer: Answer;
        try {
          answer = JSON.parse(raw.toString('utf8')) as Answer;
        } catch {
          throw new ProviderError('BAD_RESPONSE', `${NAME} sent a body that is not JSON.`);
        }
        const items = Array.isArray(answer?.data) ? answer.data.slice(0, req.count) : [];
        if (items.length === 0) throw new ProviderError('BAD_RESPONSE', `${NAME} returned no image.`);
        const outputs: ProviderOutput[] = [];
        for (const item of items) {
          let data: Buffer;
          let contentType = '';
          if (typeof item?.b64_json === 'string') {
            data = Buffer.from(item.b64_json, 'base64');
            if (data.length > o.maxResultBytes) throw new ProviderError('BAD_RESPONSE', `The result was refused: the file is larger than ${o.maxResultBytes} bytes.`);
          } else if (typeof item?.url === 'string') {
            ({ data, contentType } = await fetchMedia(item.url, { ...media, signal: d.signal }));
          } else {
            throw new ProviderError('BAD_RESPONSE', `${NAME} returned an item without an image.`);
          }
          const m = await describeMedia(data, contentType);
          if (!m.mime.startsWith('image/')) throw new ProviderError('BAD_RESPONSE', `${NAME} returned a file that is not an image.`);
          outputs.push({ data, mime: m.mime, width: m.width || req.width, height: m.height || req.height });
        }
        await ctx.onProgress(95);
        return outputs;
      } catch (err) {
        if (d.timedOut()) throw new ProviderError('TIMEOUT', `${NAME} took too long.`, true);
        if (ctx.signal.aborted) throw canceled();
        if (err instanceof ProviderError) throw err;
        // A connection cut while the body was read (the server went away).
        throw new ProviderError('PROVIDER_UNAVAILABLE', `${NAME} stopped answering: ${(err as Error).message}`, true);
      }
    },
  };
}
