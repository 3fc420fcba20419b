import type { Config } from '../config.js';
import { createBflProvider } from './bfl.js';
import { createFalProvider } from './fal.js';
import { createLocalProvider } from './local.js';
import { createReplicateProvider } from './replicate.js';
import type { ModelProvider } from './types.js';
import { SpanKind } from '@opentelemetry/api';
import { inSpan } from '../observability/tracing.js';

/** A provider whose calls are traced (a client span per call, under the job's span). */
function traced(p: ModelProvider): ModelProvider {
  return {
    name: p.name,
    generate: (req, ctx) =>
      inSpan(`provider ${p.name} generate`, () => p.generate(req, ctx), {
        kind: SpanKind.CLIENT,
        attributes: { 'flux.provider': p.name, 'flux.model': req.model, 'flux.kind': req.kind, 'flux.outputs': req.count },
      }),
  };
}

export type { ModelProvider } from './types.js';

export interface Range {
  min: number;
  max: number;
  default: number;
}

/** What the studio may ask of a model; the UI builds its form from this, the service validates against it. */
export interface ModelInfo {
  id: string;
  label: string;
  description: string;
  kind: 'image' | 'video';
  /** Which provider runs it here (depends on the configured keys). */
  provider: string;
  maxReferences: number;
  maxOutputs: number;
  steps?: Range;
  guidance?: Range;
  /** Video: allowed clip lengths and frame rates. */
  durations?: number[];
  fps?: number[];
  /** Credits per output image, or per second of video. */
  credits: number;
}

export interface ProviderRegistry {
  models: ModelInfo[];
  defaultModel(kind: 'image' | 'video'): string;
  get(name: string): ModelProvider;
  modelInfo(id: string): ModelInfo | undefined;
  /** Most jobs one provider may run at once across all workers. */
  concurrency: Record<string, number>;
}

/** Which provider serves the FLUX.2 [klein] models: the first configured one, else the built-in. */
function kleinProvider(config: Config, available: Set<string>): string {
  for (const p of config.providerPreference) if (available.has(p)) return p;
  return 'local';
}

/**
 * The model catalogue. FLUX.2 [klein] 4B and 9B run on Black Forest Labs, fal or Replicate when a
 * key is configured, and on the built-in CPU renderer otherwise, so the product works offline.
 */
export function createProviderRegistry(config: Config, extra: ModelProvider[] = []): ProviderRegistry {
  const providers = new Map<string, ModelProvider>();
  providers.set('local', createLocalProvider({ stepMs: config.localProviderStepMs, ffmpegPath: config.ffmpegPath }));
  const media = { allowHosts: config.providers.mediaAllowHosts };
  const { bfl, fal, replicate } = config.providers;
  if (bfl) providers.set('bfl', createBflProvider({ ...bfl, media }));
  if (fal) providers.set('fal', createFalProvider({ ...fal, media }));
  if (replicate) providers.set('replicate', createReplicateProvider({ ...replicate, media }));
  for (const p of extra) providers.set(p.name, p);
  const available = new Set(providers.keys());
  const klein = kleinProvider(config, available);
  const video = available.has('fal') ? 'fal' : 'local';
  const viaLabel = (p: string) => (p === 'local' ? 'built-in renderer' : p === 'bfl' ? 'Black Forest Labs' : p === 'fal' ? 'fal' : 'Replicate');
  const models: ModelInfo[] = [
    {
      id: 'flux-2-klein-4b',
      label: 'FLUX.2 [klein] 4B',
      description: `Fast, 4 steps. Runs on the ${viaLabel(klein)}.`,
      kind: 'image',
      provider: klein,
      maxReferences: 4,
      maxOutputs: 4,
      steps: klein === 'fal' || klein === 'local' ? { min: 4, max: 8, default: 4 } : undefined,
      credits: 1,
    },
    {
      id: 'flux-2-klein-9b',
      label: 'FLUX.2 [klein] 9B',
      description: `More detail, 4 steps. Runs on the ${viaLabel(klein)}.`,
      kind: 'image',
      provider: klein,
      maxReferences: 4,
      maxOutputs: 4,
      steps: klein === 'fal' || klein === 'local' ? { min: 4, max: 8, default: 4 } : undefined,
      guidance: klein === 'replicate' ? { min: 1, max: 10, default: 4 } : undefined,
      credits: 2,
    },
    video === 'fal'
      ? {
          id: 'kling-2.5-turbo',
          label: 'Kling 2.5 Turbo (video)',
          description: 'Short clips from a prompt. Runs on fal.',
          kind: 'video',
          provider: 'fal',
          maxReferences: 1,
          maxOutputs: 1,
          durations: [5, 10],
          fps: [24],
          credits: 5,
        }
      : {
          id: 'local-motion',
          label: 'Local motion (video)',
          description: 'Short animated clips rendered on the built-in renderer.',
          kind: 'video',
          provider: 'local',
          maxReferences: 1,
          maxOutputs: 1,
          durations: [2, 4, 6],
          fps: [8, 12, 24],
          credits: 1,
        },
  ];
  return {
    models,
    defaultModel: (kind) => models.find((m) => m.kind === kind)!.id,
    get(name) {
      const p = providers.get(name);
      if (!p) throw new Error(`No model provider named ${name}`);
      return traced(p);
    },
    modelInfo: (id) => models.find((m) => m.id === id),
    concurrency: { local: Math.max(1, config.workerConcurrency), bfl: 24, fal: 10, replicate: 10, ...config.providerConcurrency },
  };
}

/** Credits a request costs: per output image, or per second of video. One table: the catalogue above. */
export function creditCost(model: ModelInfo, p: { count: number; durationSeconds?: number }): number {
  return model.kind === 'video' ? model.credits * (p.durationSeconds ?? model.durations?.[0] ?? 1) : model.credits * p.count;
}
