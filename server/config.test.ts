import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('config', () => {
  it('runs with no environment at all: embedded defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, baseUrl: 'http://localhost:3000', databaseUrl: undefined, runWorker: true, env: 'development' });
    expect(c.trustedOrigins).toEqual(['http://localhost:3000']);
    expect(c.storageDir.endsWith('.data/storage')).toBe(true);
  });

  it('reads metrics and traces settings: off by default, refused when malformed', () => {
    expect(loadConfig({}).metrics).toEqual({ enabled: false, token: undefined, port: undefined, host: '127.0.0.1' });
    expect(loadConfig({ METRICS_TOKEN: 'a'.repeat(24) }).metrics).toMatchObject({ enabled: true, token: 'a'.repeat(24), port: undefined });
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }).metrics).toMatchObject({ enabled: true, port: 9464, host: '0.0.0.0' });
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: must be at least 24/);
    expect(() => loadConfig({ METRICS_TOKEN: `${'a'.repeat(24)} b` })).toThrow(/METRICS_TOKEN/);
    expect(() => loadConfig({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
    expect(loadConfig({}).tracing).toEqual({ endpoint: undefined, headers: {}, serviceName: 'flux-klein' });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/', OTEL_EXPORTER_OTLP_HEADERS: 'api-key=s3cr%3Dt, x-team=ops', OTEL_SERVICE_NAME: 'fk-eu' }).tracing).toEqual({
      endpoint: 'http://collector:4318',
      headers: { 'api-key': 's3cr=t', 'x-team': 'ops' },
      serviceName: 'fk-eu',
    });
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://collector' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'novalue' })).toThrow(/OTEL_EXPORTER_OTLP_HEADERS/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'k=%E0%A4%A' })).toThrow(ConfigError);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).databaseUrl).toBeUndefined();
  });

  it('fails fast naming the variable that is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ BETTER_AUTH_SECRET: 'short' })).toThrow(/BETTER_AUTH_SECRET: must be at least 32/);
    expect(() => loadConfig({ RUN_WORKER: 'maybe' })).toThrow(/RUN_WORKER/);
  });

  it('reads TRUST_PROXY: loopback by default, false, a hop count, or addresses and CIDRs', () => {
    expect(loadConfig({}).trustProxy).toEqual(['loopback']);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8, 192.0.2.1' }).trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.0.2.1']);
    // `true` (believe anyone) is not offered: any client could then choose its own address.
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: must be loopback/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/99' })).toThrow(/TRUST_PROXY/);
  });

  it('reads the provider pools: MODEL_PROVIDERS per model, MODEL_PROVIDER_ORDER as the default, names checked', () => {
    const c = loadConfig({ MODEL_PROVIDERS: 'flux-2-klein-4b:comfyui,bfl,fal; flux-2-klein-9b:bfl', MODEL_PROVIDER_ORDER: 'fal,bfl' });
    expect(c.modelProviders).toEqual({ 'flux-2-klein-4b': ['comfyui', 'bfl', 'fal'], 'flux-2-klein-9b': ['bfl'] });
    expect(c.providerPreference).toEqual(['fal', 'bfl']);
    expect(loadConfig({}).providerPreference).toEqual(['comfyui', 'openai-images', 'bfl', 'fal', 'replicate']);
    // `local` was accepted in the old single-provider order; it is no FLUX.2 [klein] provider and is dropped.
    expect(loadConfig({ MODEL_PROVIDER_ORDER: 'bfl,local' }).providerPreference).toEqual(['bfl']);
    expect(() => loadConfig({ MODEL_PROVIDERS: 'flux-2-klein-4b:comfy' })).toThrow(/MODEL_PROVIDERS: unknown provider "comfy"/);
    expect(() => loadConfig({ MODEL_PROVIDERS: 'sdxl:bfl' })).toThrow(/MODEL_PROVIDERS: must look like/);
    expect(() => loadConfig({ MODEL_PROVIDER_ORDER: 'bfl,openai' })).toThrow(/MODEL_PROVIDER_ORDER: unknown provider "openai"/);
    expect(loadConfig({ PROVIDER_CONCURRENCY: 'comfyui=1,openai-images=2' }).providerConcurrency).toEqual({ comfyui: 1, 'openai-images': 2 });
  });

  it('reads the self-hosted servers: ComfyUI and an OpenAI-compatible image server', () => {
    const c = loadConfig({ COMFYUI_URL: 'http://gpu.lan:8188', COMFYUI_TOKEN: 't', OPENAI_IMAGES_URL: 'http://127.0.0.1:1234/v1', OPENAI_IMAGES_MODELS: 'flux-2-klein-4b=flux2-klein-4b-q8' });
    expect(c.providers.comfyui).toMatchObject({ baseUrl: 'http://gpu.lan:8188', token: 't' });
    expect(c.providers.openaiImages).toEqual({ baseUrl: 'http://127.0.0.1:1234/v1', apiKey: undefined, models: { 'flux-2-klein-4b': 'flux2-klein-4b-q8' } });
    expect(loadConfig({ OPENAI_IMAGES_URL: 'http://x:1' }).providers.openaiImages!.models).toEqual({ 'flux-2-klein-4b': 'flux-2-klein-4b' });
    expect(() => loadConfig({ COMFYUI_URL: 'ftp://gpu' })).toThrow(/COMFYUI_URL/);
    expect(() => loadConfig({ OPENAI_IMAGES_URL: 'http://x:1', OPENAI_IMAGES_MODELS: 'kling=x' })).toThrow(/OPENAI_IMAGES_MODELS/);
  });

  it('derives trusted origins from BASE_URL and TRUSTED_ORIGINS', () => {
    const c = loadConfig({ BASE_URL: 'https://app.example.com/', TRUSTED_ORIGINS: 'https://a.example.com, https://b.example.com' });
    expect(c.baseUrl).toBe('https://app.example.com');
    expect(c.trustedOrigins).toEqual(['https://app.example.com', 'https://a.example.com', 'https://b.example.com']);
  });

  it('refuses MEDIA_FETCH_ALLOW_HOSTS in production (it lets result downloads reach private hosts)', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', MEDIA_FETCH_ALLOW_HOSTS: '127.0.0.1:9000' })).toThrow(/MEDIA_FETCH_ALLOW_HOSTS: .*not allowed in production/);
    expect(() => loadConfig({ NODE_ENV: 'production', MEDIA_FETCH_ALLOW_HOSTS: ' ' })).not.toThrow();
    expect(loadConfig({ NODE_ENV: 'test', MEDIA_FETCH_ALLOW_HOSTS: '127.0.0.1:9000' }).providers.mediaAllowHosts).toEqual(['127.0.0.1:9000']);
  });

  it('refuses WEBHOOK_ALLOW_HOSTS in production (it lets webhooks reach private hosts), and reads the API rate', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', WEBHOOK_ALLOW_HOSTS: '127.0.0.1:9000' })).toThrow(/WEBHOOK_ALLOW_HOSTS: .*not allowed in production/);
    expect(loadConfig({ NODE_ENV: 'test', WEBHOOK_ALLOW_HOSTS: '127.0.0.1:9000, 10.0.0.2:80' }).webhooks.allowHosts).toEqual(['127.0.0.1:9000', '10.0.0.2:80']);
    expect(loadConfig({}).api.ratePerMinute).toBe(120);
    expect(() => loadConfig({ API_RATE_PER_MINUTE: '0' })).toThrow(/API_RATE_PER_MINUTE/);
  });
});
