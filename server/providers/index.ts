import type { Config } from '../config.js';
import { createLocalProvider } from './local.js';
import type { ModelProvider } from './types.js';

export type { ModelProvider } from './types.js';

export interface ModelInfo {
  id: string;
  label: string;
  kind: 'image' | 'video';
  provider: string;
}

export interface ProviderRegistry {
  models: ModelInfo[];
  defaultModel: string;
  get(name: string): ModelProvider;
  modelInfo(id: string): ModelInfo | undefined;
}

export function createProviderRegistry(config: Config, extra: ModelProvider[] = []): ProviderRegistry {
  const providers = new Map<string, ModelProvider>();
  providers.set('local', createLocalProvider({ stepMs: config.localProviderStepMs }));
  for (const p of extra) providers.set(p.name, p);
  const models: ModelInfo[] = [{ id: 'local-sketch', label: 'Local sketch (built-in, offline)', kind: 'image', provider: 'local' }];
  return {
    models,
    defaultModel: models[0]!.id,
    get(name) {
      const p = providers.get(name);
      if (!p) throw new Error(`No model provider named ${name}`);
      return p;
    },
    modelInfo: (id) => models.find((m) => m.id === id),
  };
}
