import { randomUUID } from 'node:crypto';
import { DEFAULTS, deadline, type AdapterOptions } from './adapter-kit.js';
import { describeMedia, fetchMedia } from './fetch-media.js';
import { errorFor, requestJson } from './http.js';
import { hostPortOf, loadWorkflows, fillWorkflow, type Workflows } from './comfyui-workflows.js';
import { canceled, ProviderError, type ModelCaps, type ModelProvider, type ProviderOutput, type ProviderRequest } from './types.js';

/**
 * ComfyUI on the operator's GPU. For each output: POST /prompt with an API-format workflow (ours,
 * or the operator's replacement) whose named nodes carry the prompt, seed, size, steps and
 * references → follow it on /ws?clientId= (progress value/max, `executing` with node null = done,
 * execution_error, execution_interrupted), with GET /history/{id} polled as a backstop (a proxy
 * that drops WebSockets, a missed frame) → GET /view for each image, copied into memory at once.
 * References go up with POST /upload/image. Cancel: POST /interrupt when our prompt is the one
 * running, otherwise delete it from /queue. COMFYUI_TOKEN is sent as a bearer token (for a proxy
 * in front; ComfyUI itself has no authentication) on every request, including the WebSocket.
 */

export interface ComfyUiOptions extends AdapterOptions {
  baseUrl: string;
  token?: string;
  /** The operator's workflow files, tried before the shipped ones. */
  workflowsDir?: string;
  /** Largest result file accepted (bytes). */
  maxResultBytes?: number;
  /** How long to wait for the WebSocket to open before following by polling alone. */
  wsOpenTimeoutMs?: number;
}

interface PromptState {
  index: number;
  fraction: number;
  done: boolean;
  error?: ProviderError;
}

interface HistoryEntry {
  outputs?: Record<string, { images?: { filename?: string; subfolder?: string; type?: string }[] }>;
  status?: { status_str?: string; completed?: boolean; messages?: [string, Record<string, unknown>][] };
}

const NAME = 'ComfyUI';

export function createComfyUiProvider(opts: ComfyUiOptions): ModelProvider {
  const base = opts.baseUrl.replace(/\/$/, '');
  const o = { ...DEFAULTS, wsOpenTimeoutMs: 5000, maxResultBytes: 50 * 1024 * 1024, ...opts };
  const workflows: Workflows = loadWorkflows(opts.workflowsDir);
  const auth: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  // Results come from the configured server itself, whatever its address; nothing else private.
  const media = { ...opts.media, allowHosts: [...(opts.media?.allowHosts ?? []), hostPortOf(base)], maxBytes: o.maxResultBytes, headers: auth };

  async function post<T>(path: string, body: unknown, signal: AbortSignal): Promise<T> {
    return requestJson<T>(NAME, `${base}${path}`, { method: 'POST', headers: auth, body }, { signal, timeoutMs: o.requestTimeoutMs });
  }
  const get = <T>(path: string, signal: AbortSignal) => requestJson<T>(NAME, `${base}${path}`, { method: 'GET', headers: auth }, { signal, timeoutMs: o.requestTimeoutMs });

  /** POST /prompt; a graph the server cannot run (a missing model file or node) is this server's problem, not the request's. */
  async function submit(graph: unknown, clientId: string, signal: AbortSignal): Promise<string> {
    let res: Response;
    try {
      res = await fetch(`${base}/prompt`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...auth },
        body: JSON.stringify({ prompt: graph, client_id: clientId }),
        signal: AbortSignal.any([signal, AbortSignal.timeout(o.requestTimeoutMs)]),
        redirect: 'error',
      });
    } catch (err) {
      if (signal.aborted) throw canceled();
      throw new ProviderError('PROVIDER_UNAVAILABLE', `${NAME} could not be reached: ${(err as Error).message}`, true);
    }
    if (res.status === 400) {
      const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
      throw new ProviderError('PROVIDER_UNAVAILABLE', `${NAME} cannot run the workflow: ${String(body?.error?.message ?? 'invalid prompt').slice(0, 200)}`);
    }
    if (!res.ok) throw await errorFor(res, NAME);
    const body = (await res.json().catch(() => null)) as { prompt_id?: unknown } | null;
    if (typeof body?.prompt_id !== 'string' || !body.prompt_id) throw new ProviderError('BAD_RESPONSE', `${NAME} did not return a prompt id.`);
    return body.prompt_id;
  }

  async function upload(ref: ProviderRequest['references'][number], name: string, signal: AbortSignal): Promise<string> {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(ref.data)], { type: ref.mime }), name);
    form.append('type', 'input');
    form.append('overwrite', 'true');
    let res: Response;
    try {
      res = await fetch(`${base}/upload/image`, { method: 'POST', headers: auth, body: form, signal: AbortSignal.any([signal, AbortSignal.timeout(o.requestTimeoutMs)]), redirect: 'error' });
    } catch (err) {
      if (signal.aborted) throw canceled();
      throw new ProviderError('PROVIDER_UNAVAILABLE', `${NAME} could not be reached: ${(err as Error).message}`, true);
    }
    if (!res.ok) throw await errorFor(res, NAME);
    const body = (await res.json().catch(() => null)) as { name?: unknown; subfolder?: unknown } | null;
    if (typeof body?.name !== 'string' || !body.name) throw new ProviderError('BAD_RESPONSE', `${NAME} did not say where the reference was stored.`);
    return typeof body.subfolder === 'string' && body.subfolder ? `${body.subfolder}/${body.name}` : body.name;
  }

  /** Stops our prompts on the server: interrupt the one running if it is ours, delete the queued ones. */
  async function stop(ids: string[]) {
    const signal = AbortSignal.timeout(5000);
    try {
      const q = await get<{ queue_running?: unknown[][]; queue_pending?: unknown[][] }>('/queue', signal);
      const running = (q.queue_running ?? []).map((e) => e?.[1]).filter((id): id is string => typeof id === 'string');
      const pending = (q.queue_pending ?? []).map((e) => e?.[1]).filter((id): id is string => typeof id === 'string');
      const mine = new Set(ids);
      const toDelete = pending.filter((id) => mine.has(id));
      if (toDelete.length > 0) await post('/queue', { delete: toDelete }, signal);
      for (const id of running.filter((r) => mine.has(r))) await post('/interrupt', { prompt_id: id }, signal);
    } catch {
      /* the server is gone or busy: nothing more we can do */
    }
  }

  /** The images of a finished prompt, from its output node, copied at once. */
  async function collect(promptId: string, outputNode: string, req: ProviderRequest, signal: AbortSignal): Promise<ProviderOutput> {
    const history = await get<Record<string, HistoryEntry>>(`/history/${encodeURIComponent(promptId)}`, signal);
    const entry = history?.[promptId];
    const images = entry?.outputs?.[outputNode]?.images ?? Object.values(entry?.outputs ?? {}).flatMap((n) => n?.images ?? []);
    const image = images.find((i) => i?.type === 'output' && typeof i.filename === 'string');
    if (!image) throw new ProviderError('BAD_RESPONSE', `${NAME} finished without an image.`);
    const q = new URLSearchParams({ filename: image.filename!, subfolder: image.subfolder ?? '', type: 'output' });
    const { data, contentType } = await fetchMedia(`${base}/view?${q}`, { ...media, signal });
    const d = await describeMedia(data, contentType);
    if (!d.mime.startsWith('image/')) throw new ProviderError('BAD_RESPONSE', `${NAME} returned a file that is not an image.`);
    return { data, mime: d.mime, width: d.width || req.width, height: d.height || req.height };
  }

  /** Reads a finished history entry: done, failed, interrupted, or not finished yet (null). */
  function judge(entry: HistoryEntry | undefined): 'done' | ProviderError | null {
    const s = entry?.status;
    if (!s) return null;
    if (s.status_str === 'success' || (s.completed && s.status_str !== 'error')) return 'done';
    if (s.status_str === 'error') {
      const interrupted = s.messages?.some((m) => m?.[0] === 'execution_interrupted');
      if (interrupted) return new ProviderError('CANCELED', `The job was stopped on the ${NAME} server.`);
      const err = s.messages?.find((m) => m?.[0] === 'execution_error')?.[1];
      return new ProviderError('PROVIDER_UNAVAILABLE', `${NAME} failed: ${String(err?.exception_message ?? 'execution error').slice(0, 200)}`);
    }
    return null;
  }

  return {
    name: 'comfyui',
    capabilities(model): ModelCaps | null {
      const w = workflows[model];
      if (!w) return null;
      return { maxReferences: w.edit ? w.edit.referenceSlots : 0, ...(w.text.hasSteps && (!w.edit || w.edit.hasSteps) ? { steps: { min: 1, max: 50, default: 4 } } : {}) };
    },
    async generate(req, ctx) {
      const w = workflows[req.model];
      if (!w || req.kind !== 'image') throw new ProviderError('INVALID_REQUEST', `${NAME} has no workflow for ${req.model}.`);
      const workflow = req.references.length > 0 ? w.edit : w.text;
      if (!workflow || req.references.length > workflow.referenceSlots) throw new ProviderError('INVALID_REQUEST', `${NAME}'s workflow for ${req.model} takes at most ${workflow?.referenceSlots ?? 0} reference images.`);
      const d = deadline(ctx.signal, o.timeoutMs);
      const clientId = randomUUID();
      const states = new Map<string, PromptState>();
      const early = new Map<string, { frac?: number; done?: boolean; error?: ProviderError }>();
      let wake: () => void = () => {};
      const changed = () => wake();
      let stopping = false;

      const report = async () => {
        const total = [...states.values()].reduce((a, s) => a + (s.done ? 1 : s.fraction), 0);
        await ctx.onProgress((total / req.count) * 90);
      };
      const apply = (id: string, ev: { frac?: number; done?: boolean; error?: ProviderError }) => {
        const s = states.get(id);
        if (!s) return void early.set(id, { ...early.get(id), ...ev });
        if (ev.frac !== undefined && !s.done) s.fraction = Math.max(s.fraction, ev.frac);
        if (ev.done) s.done = true;
        if (ev.error && !s.error) s.error = ev.error;
        changed();
      };

      // The socket first, so no event of our prompts is missed; polling covers a socket that never opens.
      const ws = await openSocket(`${base.replace(/^http/, 'ws')}/ws?clientId=${encodeURIComponent(clientId)}`, auth, o.wsOpenTimeoutMs);
      let queueStatus: string | null = null;
      ws?.addEventListener('message', (e: MessageEvent) => {
        if (typeof e.data !== 'string') return; // binary frames are previews
        let msg: { type?: string; data?: Record<string, unknown> };
        try {
          msg = JSON.parse(e.data);
        } catch {
          return;
        }
        const data = msg.data ?? {};
        const id = typeof data.prompt_id === 'string' ? data.prompt_id : null;
        if (msg.type === 'status') {
          const left = (data.status as { exec_info?: { queue_remaining?: number } } | undefined)?.exec_info?.queue_remaining;
          if (typeof left === 'number') queueStatus = left > 0 ? `${left} in the ${NAME} queue` : null;
          return changed();
        }
        if (!id) return;
        if (msg.type === 'progress' && typeof data.value === 'number' && typeof data.max === 'number' && data.max > 0) apply(id, { frac: Math.min(1, data.value / data.max) });
        else if (msg.type === 'executing' && data.node === null) apply(id, { done: true });
        else if (msg.type === 'execution_success') apply(id, { done: true });
        else if (msg.type === 'execution_error') apply(id, { error: new ProviderError('PROVIDER_UNAVAILABLE', `${NAME} failed: ${String(data.exception_message ?? 'execution error').slice(0, 200)}`) });
        else if (msg.type === 'execution_interrupted') apply(id, { error: stopping ? canceled() : new ProviderError('CANCELED', `The job was stopped on the ${NAME} server.`) });
      });
      ws?.addEventListener('close', changed);

      const ids: string[] = [];
      try {
        const refNames: string[] = [];
        for (const [k, ref] of req.references.entries()) {
          const ext = ref.mime === 'image/png' ? 'png' : ref.mime === 'image/webp' ? 'webp' : 'jpg';
          refNames.push(await upload(ref, `flux-klein-${req.id}-${k + 1}.${ext}`, d.signal));
        }
        for (let i = 0; i < req.count; i++) {
          const graph = fillWorkflow(workflow, { prompt: req.prompt, seed: req.seed + i, width: req.width, height: req.height, steps: req.steps, references: refNames, filenamePrefix: `flux-klein/${req.id}-${i}` });
          // Not abortable by a cancel or the deadline: once sent, the server may have queued it, and
          // only its id lets us take it back (the catch below stops every id we know).
          const id = await submit(graph, clientId, AbortSignal.timeout(o.requestTimeoutMs));
          ids.push(id);
          if (ctx.signal.aborted) throw canceled();
          if (d.timedOut()) throw new ProviderError('TIMEOUT', `${NAME} took too long.`, true);
          states.set(id, { index: i, fraction: 0, done: false });
          const e = early.get(id);
          if (e) apply(id, e);
        }
        await ctx.onStatus?.(`Queued on ${NAME}`);
        let lastPoll = 0;
        for (;;) {
          const failed = [...states.values()].find((s) => s.error);
          if (failed) throw failed.error;
          if ([...states.values()].every((s) => s.done)) break;
          await report();
          if (queueStatus) await ctx.onStatus?.(queueStatus);
          // Poll the history as a backstop: every interval without a socket, every fifth with one.
          const every = ws && ws.readyState === WebSocket.OPEN ? o.pollIntervalMs * 5 : o.pollIntervalMs;
          if (Date.now() - lastPoll >= every) {
            lastPoll = Date.now();
            for (const [id, s] of states) {
              if (s.done) continue;
              const h = await get<Record<string, HistoryEntry>>(`/history/${encodeURIComponent(id)}`, d.signal);
              const verdict = judge(h?.[id]);
              if (verdict === 'done') apply(id, { done: true });
              else if (verdict) apply(id, { error: stopping ? canceled() : verdict });
            }
            continue;
          }
          await new Promise<void>((resolve, reject) => {
            const t = setTimeout(finish, Math.max(5, every - (Date.now() - lastPoll)));
            const onAbort = () => finish(canceled());
            function finish(err?: unknown) {
              clearTimeout(t);
              d.signal.removeEventListener('abort', onAbort);
              wake = () => {};
              if (err) reject(err);
              else resolve();
            }
            wake = () => finish();
            if (d.signal.aborted) return finish(canceled());
            d.signal.addEventListener('abort', onAbort, { once: true });
          });
        }
        await report();
        const outputs: ProviderOutput[] = [];
        for (const id of ids) outputs.push(await collect(id, workflow.outputNode, req, d.signal));
        await ctx.onProgress(95);
        return outputs;
      } catch (err) {
        if (ctx.signal.aborted || d.timedOut()) {
          stopping = true;
          await stop(ids);
          if (d.timedOut()) throw new ProviderError('TIMEOUT', `${NAME} took too long.`, true);
          throw canceled();
        }
        if (err instanceof ProviderError && err.code === 'CANCELED') await stop(ids);
        throw err;
      } finally {
        ws?.close();
      }
    },
  };
}

/** Opens ComfyUI's event socket (Node's built-in WebSocket), or resolves null when it cannot be opened in time. */
function openSocket(url: string, headers: Record<string, string>, timeoutMs: number): Promise<WebSocket | null> {
  return new Promise((resolve) => {
    let ws: WebSocket;
    try {
      // Node's WebSocket (undici) takes headers in its second argument.
      ws = new WebSocket(url, { headers } as never);
    } catch {
      return resolve(null);
    }
    const t = setTimeout(() => {
      ws.close();
      resolve(null);
    }, timeoutMs);
    ws.addEventListener('open', () => {
      clearTimeout(t);
      resolve(ws);
    });
    ws.addEventListener('error', () => {
      clearTimeout(t);
      resolve(null);
    });
  });
}
