import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createProviderRegistry } from './index.js';

/** The model catalogue: what is offered, named how, with which parameters, depending on the configured providers. */

const catalogue = (env: Record<string, string>) => createProviderRegistry(loadConfig({ LOG_LEVEL: 'silent', ...env })).models;

describe('model catalogue', () => {
  it('with no provider, offers only the offline previews, named as such and without steps they would ignore', () => {
    const models = catalogue({});
    expect(models.map((m) => [m.id, m.label, m.provider, m.preview])).toEqual([
      ['offline-preview', 'Offline preview (no AI model)', 'local', true],
      ['local-motion', 'Offline motion preview (no AI model)', 'local', true],
    ]);
    expect(models.some((m) => m.label.includes('klein'))).toBe(false);
    expect(models[0]!.steps).toBeUndefined();
    expect(models[0]!.guidance).toBeUndefined();
  });

  it('with ComfyUI alone, offers FLUX.2 [klein] 4B (the shipped workflows) with steps and references, and no 9B', () => {
    const models = catalogue({ COMFYUI_URL: 'http://127.0.0.1:8188' });
    expect(models.map((m) => m.id)).toEqual(['flux-2-klein-4b', 'local-motion']);
    expect(models[0]).toMatchObject({ providers: ['comfyui'], preview: false, maxReferences: 4, steps: { min: 1, max: 50, default: 4 } });
    expect(models[0]!.description).toBe('Fast, 4 steps. Runs on ComfyUI.');
  });

  it('offers a parameter only in the range every provider of the pool honours', () => {
    const both = catalogue({ COMFYUI_URL: 'http://127.0.0.1:8188', FAL_KEY: 'k', MODEL_PROVIDERS: 'flux-2-klein-4b:comfyui,fal' });
    expect(both.find((m) => m.id === 'flux-2-klein-4b')).toMatchObject({ providers: ['comfyui', 'fal'], steps: { min: 4, max: 8, default: 4 } });
    // fal also serves 9B and the video model; ComfyUI has no 9B workflow.
    expect(both.find((m) => m.id === 'flux-2-klein-9b')).toMatchObject({ providers: ['fal'], steps: { min: 4, max: 8, default: 4 } });
    expect(both.map((m) => m.id)).toEqual(['flux-2-klein-4b', 'flux-2-klein-9b', 'kling-2.5-turbo']);
    const withBfl = catalogue({ COMFYUI_URL: 'http://127.0.0.1:8188', BFL_API_KEY: 'k' });
    expect(withBfl.find((m) => m.id === 'flux-2-klein-4b')).toMatchObject({ providers: ['comfyui', 'bfl'], steps: undefined });
  });

  it('offers a negative prompt only where every provider of the pool takes one (Kling on fal, the offline preview), never for FLUX.2 [klein]', () => {
    const fal = catalogue({ FAL_KEY: 'k' });
    expect(fal.map((m) => [m.id, m.negativePrompt])).toEqual([
      ['flux-2-klein-4b', false],
      ['flux-2-klein-9b', false],
      ['kling-2.5-turbo', true],
    ]);
    expect(catalogue({}).map((m) => [m.id, m.negativePrompt])).toEqual([
      ['offline-preview', true],
      ['local-motion', false],
    ]);
  });

  it('keeps the old MODEL_PROVIDER_ORDER meaning: configured providers in that order, others left out', () => {
    const models = catalogue({ BFL_API_KEY: 'k', REPLICATE_API_TOKEN: 't', FAL_KEY: 'f', MODEL_PROVIDER_ORDER: 'replicate,bfl' });
    expect(models.find((m) => m.id === 'flux-2-klein-9b')).toMatchObject({ provider: 'replicate', providers: ['replicate', 'bfl'], guidance: undefined });
    // The order is about FLUX.2 [klein]: fal, left out of it, still serves the video model it has.
    expect(models.map((m) => [m.id, m.providers])).toEqual([
      ['flux-2-klein-4b', ['replicate', 'bfl']],
      ['flux-2-klein-9b', ['replicate', 'bfl']],
      ['kling-2.5-turbo', ['fal']],
    ]);
  });

  it('serves an image server only the models it is told it has', () => {
    const models = catalogue({ OPENAI_IMAGES_URL: 'http://127.0.0.1:1234', OPENAI_IMAGES_MODELS: 'flux-2-klein-9b=klein9' });
    expect(models.map((m) => [m.id, m.providers])).toEqual([
      ['flux-2-klein-9b', ['openai-images']],
      ['local-motion', ['local']],
    ]);
  });
});
