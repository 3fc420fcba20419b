import { PROVIDER_NAMES, type Config } from '../config.js';
import { providerLabel } from '../shared/providers.js';
import type { ModelInfo } from '../shared/models.js';
import { createBflProvider } from './bfl.js';
import { createBreaker, type Breaker, type BreakerSnapshot, type BreakerState } from './breaker.js';
import { createComfyUiProvider } from './comfyui.js';
import { createFalProvider } from './fal.js';
import { createLocalProvider } from './local.js';
import { createOpenAiImagesProvider } from './openai-images.js';
import { generateWithFailover } from './pool.js';
import { createReplicateProvider } from './replicate.js';
import type { ModelCaps, ModelProvider, ProviderContext, ProviderError, ProviderOutput, ProviderRequest, Range } from './types.js';
import { SpanKind } from '@opentelemetry/api';
import { inSpan } from '../observability/tracing.js';

/** A provider whose calls are traced (a client span per call, under the job's span). */
function traced(p: ModelProvider): ModelProvider {
  return {
    name: p.name,
    ...(p.capabilities ? { capabilities: p.capabilities.bind(p) } : {}),
    generate: (req, ctx) =>
      inSpan(`provider ${p.name} generate`, () => p.generate(req, ctx), {
        kind: SpanKind.CLIENT,
        attributes: { 'flux.provider': p.name, 'flux.model': req.model, 'flux.kind': req.kind, 'flux.outputs': req.count },
      }),
  };
}

export type { ModelProvider } from './types.js';
export type { Range } from './types.js';

export type { ModelInfo } from '../shared/models.js';

export interface ProviderHealth {
  name: string;
  label: string;
  /** Catalogue models this provider is in the pool of. */
  models: string[];
  state: BreakerState;
  consecutiveFailures: number;
  lastFailureAt: Date | null;
  lastSuccessAt: Date | null;
  lastError: string | null;
  retryAt: Date | null;
}

export interface ProviderRegistry {
  models: ModelInfo[];
  defaultModel(kind: 'image' | 'video'): string;
  get(name: string): ModelProvider;
  modelInfo(id: string): ModelInfo | undefined;
  /** Most jobs one provider may run at once across all workers. */
  concurrency: Record<string, number>;
  /** The provider a new job of this model is queued for: the first of its pool whose breaker is not open. */
  pick(modelId: string): string;
  /**
   * Runs a request on the model's pool, moving to the next provider on a provider failure; says
   * which provider served it. `planned` is the provider the job was queued for (used alone when the
   * model is no longer in the catalogue, e.g. a job queued before a configuration change).
   */
  generate(req: ProviderRequest, ctx: ProviderContext, planned: string, hooks?: { onFailover?(from: string, err: ProviderError, to: string): void | Promise<void> }): Promise<{ outputs: ProviderOutput[]; provider: string }>;
  /** Each configured provider's breaker state (own GPU first, the offline preview last). */
  health(): ProviderHealth[];
}

interface ModelSpec {
  id: string;
  label: string;
  blurb: string;
  kind: 'image' | 'video';
  maxOutputs: number;
  durations?: number[];
  fps?: number[];
  credits: number;
  /** MODEL_PROVIDER_ORDER is about FLUX.2 [klein]; other models are served by every provider that has them, unless MODEL_PROVIDERS says otherwise. */
  klein: boolean;
}

/** The AI models the product offers when some provider can serve them. */
const MODELS: ModelSpec[] = [
  { id: 'flux-2-klein-4b', label: 'FLUX.2 [klein] 4B', blurb: 'Fast, 4 steps.', kind: 'image', maxOutputs: 4, credits: 1, klein: true },
  { id: 'flux-2-klein-9b', label: 'FLUX.2 [klein] 9B', blurb: 'More detail, 4 steps.', kind: 'image', maxOutputs: 4, credits: 2, klein: true },
  { id: 'kling-2.5-turbo', label: 'Kling 2.5 Turbo (video)', blurb: 'Short clips from a prompt.', kind: 'video', maxOutputs: 1, durations: [5, 10], fps: [24], credits: 5, klein: false },
];

/** The built-in renderer, offered only for a kind no AI model can serve here, named for what it is. */
const OFFLINE: ModelInfo[] = [
  {
    id: 'offline-preview',
    label: 'Offline preview (no AI model)',
    description: 'Draws a placeholder picture from your prompt on this server; no AI model is connected.',
    kind: 'image',
    provider: 'local',
    providers: ['local'],
    preview: true,
    maxReferences: 4,
    maxOutputs: 4,
    // The placeholder changes with it (mixed into what draws the picture), so the field can be tried offline.
    negativePrompt: true,
    credits: 1,
  },
  {
    id: 'local-motion',
    label: 'Offline motion preview (no AI model)',
    description: 'Animates a placeholder picture on this server; no AI video model is connected.',
    kind: 'video',
    provider: 'local',
    providers: ['local'],
    preview: true,
    maxReferences: 1,
    maxOutputs: 1,
    negativePrompt: false,
    durations: [2, 4, 6],
    fps: [8, 12, 24],
    credits: 1,
  },
];

/** What the hosted APIs honour per model (PROVIDERS.md); ComfyUI and image servers describe themselves. */
const STEPS_4_TO_8: Range = { min: 4, max: 8, default: 4 };
const CAPS: Record<string, Record<string, ModelCaps>> = {
  bfl: { 'flux-2-klein-4b': { maxReferences: 4 }, 'flux-2-klein-9b': { maxReferences: 4 } },
  fal: { 'flux-2-klein-4b': { maxReferences: 4, steps: STEPS_4_TO_8 }, 'flux-2-klein-9b': { maxReferences: 4, steps: STEPS_4_TO_8 }, 'kling-2.5-turbo': { maxReferences: 1, negativePrompt: true } },
  replicate: { 'flux-2-klein-4b': { maxReferences: 4 }, 'flux-2-klein-9b': { maxReferences: 4, guidance: { min: 1, max: 10, default: 4 } } },
  local: { 'offline-preview': { maxReferences: 4, negativePrompt: true }, 'local-motion': { maxReferences: 1 } },
};

/** A range every provider of the pool honours, or none when one of them ignores the parameter. */
function intersect(ranges: (Range | undefined)[]): Range | undefined {
  if (ranges.length === 0 || ranges.some((r) => !r)) return undefined;
  const rs = ranges as Range[];
  const min = Math.max(...rs.map((r) => r.min));
  const max = Math.min(...rs.map((r) => r.max));
  if (min > max) return undefined;
  return { min, max, default: Math.min(max, Math.max(min, rs[0]!.default)) };
}

const sentence = (pool: string[]) => {
  const names = pool.map(providerLabel);
  if (names.length === 1) return `Runs on ${names[0]}.`;
  return `Runs on ${names[0]}; ${names.slice(1).join(', then ')} ${names.length === 2 ? 'takes' : 'take'} over if it fails.`;
};

function buildProviders(config: Config, extra: ModelProvider[]): Map<string, ModelProvider> {
  const providers = new Map<string, ModelProvider>();
  providers.set('local', createLocalProvider({ stepMs: config.localProviderStepMs, ffmpegPath: config.ffmpegPath }));
  const media = { allowHosts: config.providers.mediaAllowHosts };
  const { bfl, fal, replicate, comfyui, openaiImages } = config.providers;
  if (comfyui) providers.set('comfyui', createComfyUiProvider({ ...comfyui, media }));
  if (openaiImages) providers.set('openai-images', createOpenAiImagesProvider({ ...openaiImages, media }));
  if (bfl) providers.set('bfl', createBflProvider({ ...bfl, media }));
  if (fal) providers.set('fal', createFalProvider({ ...fal, media }));
  if (replicate) providers.set('replicate', createReplicateProvider({ ...replicate, media }));
  for (const p of extra) providers.set(p.name, p);
  return providers;
}

/**
 * The model catalogue and the provider pools. A model is offered when at least one configured
 * provider serves it; its pool is MODEL_PROVIDERS' list for it, else MODEL_PROVIDER_ORDER, keeping
 * the configured providers that serve it. With no AI model for a kind, the offline preview renderer
 * is offered instead, under a name that says what it is, so a fresh clone works offline.
 */
export function createProviderRegistry(config: Config, extra: ModelProvider[] = [], opts: { now?: () => number } = {}): ProviderRegistry {
  const providers = buildProviders(config, extra);
  const caps = (name: string, model: string): ModelCaps | null => {
    const p = providers.get(name);
    if (p?.capabilities) return p.capabilities(model);
    return CAPS[name]?.[model] ?? null;
  };
  const models: ModelInfo[] = [];
  for (const spec of MODELS) {
    const order = config.modelProviders[spec.id] ?? (spec.klein ? config.providerPreference : PROVIDER_NAMES);
    const pool = order.filter((name) => providers.has(name) && caps(name, spec.id));
    if (pool.length === 0) continue;
    const c = pool.map((name) => caps(name, spec.id)!);
    models.push({
      id: spec.id,
      label: spec.label,
      description: `${spec.blurb} ${sentence(pool)}`,
      kind: spec.kind,
      provider: pool[0]!,
      providers: pool,
      preview: false,
      maxReferences: Math.min(...c.map((x) => x.maxReferences)),
      maxOutputs: spec.maxOutputs,
      steps: intersect(c.map((x) => x.steps)),
      guidance: intersect(c.map((x) => x.guidance)),
      negativePrompt: c.every((x) => x.negativePrompt === true),
      ...(spec.durations ? { durations: spec.durations, fps: spec.fps } : {}),
      credits: spec.credits,
    });
  }
  for (const kind of ['image', 'video'] as const) {
    if (!models.some((m) => m.kind === kind)) models.push(OFFLINE.find((m) => m.kind === kind)!);
  }
  models.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'image' ? -1 : 1));
  const breaker: Breaker = createBreaker({ failures: config.breaker.failures, cooldownMs: config.breaker.cooldownSeconds * 1000, now: opts.now });
  const get = (name: string) => {
    const p = providers.get(name);
    if (!p) throw new Error(`No model provider named ${name}`);
    return traced(p);
  };
  const modelInfo = (id: string) => models.find((m) => m.id === id);
  const poolOf = (modelId: string, planned: string) => {
    const m = modelInfo(modelId);
    return m ? m.providers : providers.has(planned) ? [planned] : [];
  };
  return {
    models,
    defaultModel: (kind) => models.find((m) => m.kind === kind)!.id,
    get,
    modelInfo,
    pick(modelId) {
      const pool = modelInfo(modelId)?.providers ?? ['local'];
      return pool.find((name) => breaker.available(name)) ?? pool[0]!;
    },
    generate: (req, ctx, planned, hooks) => generateWithFailover(req, ctx, { pool: poolOf(req.model, planned), get, breaker, onFailover: hooks?.onFailover }),
    health() {
      const rank = (n: string) => (n === 'local' ? 99 : (PROVIDER_NAMES as readonly string[]).indexOf(n));
      const names = [...providers.keys()].filter((n) => n !== 'local' || models.some((m) => m.providers.includes('local'))).sort((a, b) => rank(a) - rank(b));
      return names.map((name) => {
        const s: BreakerSnapshot = breaker.snapshot(name);
        return { name, label: providerLabel(name), models: models.filter((m) => m.providers.includes(name)).map((m) => m.id), ...s };
      });
    },
    concurrency: { local: Math.max(1, config.workerConcurrency), comfyui: 2, 'openai-images': 1, bfl: 24, fal: 10, replicate: 10, ...config.providerConcurrency },
  };
}

export { creditCost } from '../shared/models.js';
