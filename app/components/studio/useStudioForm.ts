/**
 * The studio's form state: what to make, with which model and settings, and the references. Kept
 * in this browser between visits only with the "preferences" consent. Returns the request and the
 * cost preview derived from it (request.ts), and the actions the results list calls into the form
 * (reuse a job's settings, use an output as a reference).
 */
import { useSearchParams } from '@remix-run/react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { STORAGE_KEYS } from '../../../server/shared/consent-storage.js';
import { ASPECT_RATIOS, type AspectRatio } from '../../../server/shared/generation-limits.js';
import type { ModelInfo } from '../../../server/shared/models.js';
import type { GenerationView } from '../../../server/shared/views.js';
import { useConsent } from '../ConsentBanner.js';
import { previewCost, studioRequest, type StudioFormState, type StudioReference } from './request.js';

const STUDIO_SETTINGS_KEY = STORAGE_KEYS.preferences[0];

export function useStudioForm(models: ModelInfo[], workspaceId: string | undefined) {
  const [params] = useSearchParams();
  const [kind, setKind] = useState<'image' | 'video'>(params.get('kind') === 'video' ? 'video' : 'image');
  const kindModels = useMemo(() => models.filter((m) => m.kind === kind), [models, kind]);
  const [modelId, setModelId] = useState<string>(() => {
    const wanted = params.get('model');
    return models.find((m) => m.id === wanted)?.id ?? models.find((m) => m.kind === kind)?.id ?? '';
  });
  const model = models.find((m) => m.id === modelId && m.kind === kind) ?? kindModels[0];
  const [prompt, setPrompt] = useState(params.get('prompt') ?? '');
  const [aspectRatio, setAspectRatio] = useState<AspectRatio>(() => {
    const a = params.get('aspectRatio');
    return a && a in ASPECT_RATIOS ? (a as AspectRatio) : '1:1';
  });
  const initialSeed = params.get('seed');
  const [randomSeed, setRandomSeed] = useState(initialSeed === null);
  const [seed, setSeed] = useState(initialSeed ?? '');
  const [count, setCount] = useState(1);
  const [steps, setSteps] = useState<string>('');
  const [guidance, setGuidance] = useState<string>('');
  const [duration, setDuration] = useState<number | undefined>(undefined);
  const [fps, setFps] = useState<number | undefined>(undefined);
  // Opened from an output's page ("Use as reference for an edit", or its settings): its references come along.
  const [references, setReferences] = useState<StudioReference[]>(() =>
    [...(params.get('references')?.split(',') ?? []), ...(params.get('reference') ? [params.get('reference')!] : [])]
      .filter((id) => /^[0-9a-f-]{36}$/i.test(id))
      .slice(0, 4)
      .map((id) => ({ id, url: `/files/${id}`, name: 'From the library' })),
  );
  const [negativePrompt, setNegativePrompt] = useState(params.get('negativePrompt') ?? '');
  const promptRef = useRef<HTMLTextAreaElement>(null);
  const maxRefs = model?.maxReferences ?? 0;

  // Remembered settings are a "preferences" feature: kept in this browser only with that consent.
  const { consent } = useConsent();
  const restored = useRef(false);
  useEffect(() => {
    if (restored.current || !consent.preferences || params.toString()) return;
    restored.current = true;
    try {
      const saved = JSON.parse(window.localStorage.getItem(STUDIO_SETTINGS_KEY) ?? 'null') as { kind?: 'image' | 'video'; modelId?: string; aspectRatio?: AspectRatio; count?: number } | null;
      if (!saved) return;
      if (saved.kind) setKind(saved.kind);
      if (saved.modelId && models.some((m) => m.id === saved.modelId)) setModelId(saved.modelId);
      if (saved.aspectRatio && saved.aspectRatio in ASPECT_RATIOS) setAspectRatio(saved.aspectRatio);
      if (saved.count && saved.count >= 1 && saved.count <= 4) setCount(saved.count);
    } catch {
      /* unreadable: start from the defaults */
    }
  }, [consent.preferences, models, params]);
  useEffect(() => {
    if (!consent.preferences) return;
    window.localStorage.setItem(STUDIO_SETTINGS_KEY, JSON.stringify({ kind, modelId: model?.id, aspectRatio, count }));
  }, [consent.preferences, kind, model?.id, aspectRatio, count]);

  const form: StudioFormState = { kind, prompt, aspectRatio, randomSeed, seed, count, steps, guidance, duration, fps, references, negativePrompt };
  const effectiveDuration = duration ?? model?.durations?.[0];

  /** Puts a job's settings back into the form. */
  const reuse = (g: GenerationView) => {
    setKind(g.kind);
    setModelId(g.model);
    setPrompt(g.prompt);
    setAspectRatio(g.aspectRatio as AspectRatio);
    setRandomSeed(false);
    setSeed(String(g.seed));
    setCount(g.count);
    setNegativePrompt(g.negativePrompt ?? '');
    setReferences(g.referenceIds.map((id) => ({ id, url: `/files/${id}`, name: 'Reference' })));
    if (g.durationSeconds) setDuration(g.durationSeconds);
    if (g.fps) setFps(g.fps);
    promptRef.current?.focus();
  };
  /** Adds one of the outputs as a reference image (switching to images if the video model takes none). */
  const useAsReference = (assetId: string) => {
    if (kind !== 'image' && maxRefs === 0) setKind('image');
    setReferences((refs) => (refs.some((r) => r.id === assetId) ? refs : [...refs, { id: assetId, url: `/files/${assetId}`, name: 'From a result' }].slice(0, Math.max(1, maxRefs))));
    promptRef.current?.focus();
  };

  return {
    form,
    models,
    kindModels,
    model,
    maxRefs,
    effectiveDuration,
    promptRef,
    cost: previewCost(form, model),
    request: () => studioRequest(form, model, workspaceId),
    set: { kind: setKind, modelId: setModelId, prompt: setPrompt, aspectRatio: setAspectRatio, randomSeed: setRandomSeed, seed: setSeed, count: setCount, steps: setSteps, guidance: setGuidance, duration: setDuration, fps: setFps, references: setReferences, negativePrompt: setNegativePrompt },
    reuse,
    useAsReference,
  };
}

export type StudioFormApi = ReturnType<typeof useStudioForm>;
