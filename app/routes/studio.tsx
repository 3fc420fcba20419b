import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { FormError } from '../components/FormError.js';
import { useLoaderData, useSearchParams } from '@remix-run/react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState, type ClipboardEvent, type DragEvent, type FormEvent, type KeyboardEvent } from 'react';
import { useConsent } from '../components/ConsentBanner.js';
import { STORAGE_KEYS } from '../../server/shared/consent.js';
import type { GenerationView } from '../../server/services/generations.js';
import type { ModelInfo } from '../../server/providers/index.js';
import { ASPECT_RATIOS, CreateGenerationInput, MAX_PROMPT_LENGTH, MAX_SEED, type AspectRatio } from '../../server/shared/generation.js';
import type { GenerationEvent } from '../../server/shared/realtime.js';
import { GenerationCard } from '../components/GenerationCard.js';
import { useGate } from '../components/Gate.js';
import { can } from '../../server/shared/permissions.js';
import { CONNECT_MODEL_HINT } from '../../server/shared/providers.js';
import { useToast } from '../components/Toaster.js';
import { useSocketConnected, useSocketEvent } from '../lib/realtime.js';
import { requireUser } from '../lib/session.server.js';
import { pickWorkspace } from '../lib/workspace.server.js';
import { errorCode, errorMessage, useTRPC, useTRPCClient } from '../lib/trpc.js';
import { ModerationNotice, REFUSAL_CODES, type Refusal } from '../components/ModerationNotice.js';
import { ACCEPTED_IMAGE_TYPES, uploadReference } from '../lib/uploads.js';
import { QueuePanel } from '../components/studio/QueuePanel.js';
import { PromptHistory } from '../components/studio/PromptHistory.js';
import { StylePresets } from '../components/studio/StylePresets.js';
import { applyPreset } from '../../server/shared/prompts.js';
import { MAX_NEGATIVE_PROMPT_LENGTH } from '../../server/shared/generation.js';

export const meta: MetaFunction = () => [{ title: 'Studio — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { trpc, me } = await requireUser(request, context);
  const workspace = pickWorkspace(request, me.workspaces);
  const workspaceId = workspace?.id;
  const [recent, models, credits, standing] = await Promise.all([trpc.generation.list({ limit: 12, workspaceId }), trpc.generation.models(), trpc.credits.balance({ workspaceId }), trpc.moderation.standing()]);
  return { recent, models, balance: credits.balance, workspaceId, role: workspace?.role ?? null, standing };
}

interface Reference {
  id: string;
  url: string;
  name: string;
}

const STUDIO_SETTINGS_KEY = STORAGE_KEYS.preferences[0];

function upsert(list: GenerationView[], gen: GenerationView): GenerationView[] {
  const i = list.findIndex((g) => g.id === gen.id);
  if (i === -1) return [gen, ...list];
  if (list[i]!.updatedAt > gen.updatedAt) return list;
  const next = list.slice();
  next[i] = { ...list[i]!, ...gen };
  return next;
}

function costOf(model: ModelInfo | undefined, count: number, duration: number | undefined) {
  if (!model) return 0;
  return model.kind === 'video' ? model.credits * (duration ?? model.durations?.[0] ?? 1) : model.credits * count;
}

export default function Studio() {
  const { recent, models, workspaceId, role, standing: initialStanding } = useLoaderData<typeof loader>();
  // What this person's role in the workspace lets them do (the same table the server checks).
  const generateGate = useGate(role, 'generation.create');
  const mayUpload = can(role, 'asset.upload');
  const mayCancel = can(role, 'generation.cancel');
  const mayKeep = can(role, 'asset.edit');
  const [params] = useSearchParams();
  const trpc = useTRPC();
  const client = useTRPCClient();
  const toast = useToast();
  const [jobs, setJobs] = useState<GenerationView[]>(recent.items);
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
  const [references, setReferences] = useState<Reference[]>(() =>
    [...(params.get('references')?.split(',') ?? []), ...(params.get('reference') ? [params.get('reference')!] : [])]
      .filter((id) => /^[0-9a-f-]{36}$/i.test(id))
      .slice(0, 4)
      .map((id) => ({ id, url: `/files/${id}`, name: 'From the library' })),
  );
  const [negativePrompt, setNegativePrompt] = useState(params.get('negativePrompt') ?? '');
  const [uploading, setUploading] = useState(0);
  const [dragging, setDragging] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // A refusal by the prompt check, and the person's standing (suspended?), shown with the reason and how to appeal.
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const standingQuery = useQuery(trpc.moderation.standing.queryOptions(undefined, { initialData: initialStanding as never, staleTime: 30_000 }));
  const standing = standingQuery.data ?? null;
  const promptRef = useRef<HTMLTextAreaElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const maxRefs = model?.maxReferences ?? 0;
  const effectiveDuration = duration ?? model?.durations?.[0];
  const cost = costOf(model, kind === 'video' ? 1 : count, effectiveDuration);

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

  const create = useMutation(
    trpc.generation.create.mutationOptions({
      onSuccess: (gen) => {
        setJobs((list) => upsert(list, gen));
        if (consent.analytics) void fetch('/api/analytics', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'generation_started', path: '/studio' }) }).catch(() => {});
      },
      onError: (err) => {
        const code = errorCode(err);
        if (code && REFUSAL_CODES.has(code)) {
          setRefusal({ code: code as Refusal['code'], message: errorMessage(err) });
          void standingQuery.refetch();
        } else setError(errorMessage(err));
      },
    }),
  );
  const rerun = useMutation(
    trpc.generation.rerun.mutationOptions({
      onSuccess: (gen) => setJobs((list) => upsert(list, gen)),
      onError: (err) => toast({ tone: 'error', title: 'Could not start it again', body: errorMessage(err) }),
    }),
  );
  const cancel = useMutation(
    trpc.generation.cancel.mutationOptions({
      onSuccess: (gen) => setJobs((list) => upsert(list, gen)),
      onError: (err) => toast({ tone: 'error', title: 'Could not cancel', body: errorMessage(err) }),
    }),
  );
  const keep = useMutation(
    trpc.asset.setSaved.mutationOptions({
      onSuccess: ({ ids, saved }) =>
        setJobs((list) => list.map((g) => ({ ...g, assets: g.assets.map((a) => (ids.includes(a.id) ? { ...a, saved } : a)) }))),
      onError: (err) => toast({ tone: 'error', title: 'Could not keep it', body: errorMessage(err) }),
    }),
  );

  // Another workspace chosen (the route stays mounted): its jobs replace the previous one's.
  const shownWorkspace = useRef(workspaceId);
  useEffect(() => {
    if (shownWorkspace.current === workspaceId) return;
    shownWorkspace.current = workspaceId;
    setJobs(recent.items);
  }, [workspaceId, recent]);

  /** Jobs not in the list yet whose full view is being fetched (one request each, not one per progress event). */
  const fetching = useRef(new Set<string>());
  const refresh = useCallback(
    (id: string) => {
      fetching.current.add(id);
      void client.generation.get
        .query({ id })
        .then(
          (g) => {
            if (g.workspaceId === shownWorkspace.current) setJobs((l) => upsert(l, g));
          },
          () => {},
        )
        .finally(() => fetching.current.delete(id));
    },
    [client],
  );
  // Jobs of everyone in the workspace arrive here (a teammate's too): those of the workspace shown are followed.
  const onUpdate = useCallback(
    (e: GenerationEvent) => {
      if (e.workspaceId !== workspaceId) return;
      let known = false;
      setJobs((list) => {
        const existing = list.find((g) => g.id === e.id);
        if (!existing) return list;
        known = true;
        if (existing.updatedAt > e.updatedAt) return list; // an older state that arrived late
        return upsert(list, { ...existing, status: e.status, progress: e.progress, statusMessage: e.statusMessage ?? null, errorMessage: e.errorMessage ?? null, errorCode: e.errorCode ?? null, updatedAt: e.updatedAt });
      });
      // Results (and jobs started in another tab or by a teammate) are fetched once, complete.
      if (e.status === 'succeeded' || (!known && !fetching.current.has(e.id))) refresh(e.id);
    },
    [refresh, workspaceId],
  );
  useSocketEvent('generation:update', onUpdate);
  // Updates sent while this tab had no socket (before it first connected, or while it moved to
  // another server) are not replayed: re-read every job still queued or running when it connects.
  const jobsNow = useRef(jobs);
  jobsNow.current = jobs;
  const catchUp = useCallback(() => {
    for (const j of jobsNow.current) if ((j.status === 'queued' || j.status === 'running') && !fetching.current.has(j.id)) refresh(j.id);
  }, [refresh]);
  useSocketConnected(catchUp);

  const addFiles = async (files: File[]) => {
    if (!mayUpload || !generateGate.allowed) return;
    const images = files.filter((f) => f.type.startsWith('image/') || f.type === '');
    if (images.length === 0) return;
    const room = maxRefs - references.length;
    if (room <= 0) {
      setError(maxRefs === 0 ? `${model?.label ?? 'This model'} does not take reference images.` : `Use at most ${maxRefs} reference images with ${model?.label}.`);
      return;
    }
    setError(null);
    for (const file of images.slice(0, room)) {
      setUploading((n) => n + 1);
      try {
        const asset = await uploadReference(file, workspaceId);
        setReferences((refs) => (refs.some((r) => r.id === asset.id) ? refs : [...refs, { id: asset.id, url: asset.url, name: file.name }].slice(0, maxRefs)));
      } catch (err) {
        setError(err instanceof Error ? err.message : 'The upload failed.');
      } finally {
        setUploading((n) => n - 1);
      }
    }
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    void addFiles([...e.dataTransfer.files]);
  };
  const onPaste = (e: ClipboardEvent) => {
    const files = [...e.clipboardData.files];
    if (files.length > 0) {
      e.preventDefault();
      void addFiles(files);
    }
  };
  const useAsReference = (assetId: string) => {
    if (kind !== 'image' && maxRefs === 0) setKind('image');
    setReferences((refs) => (refs.some((r) => r.id === assetId) ? refs : [...refs, { id: assetId, url: `/files/${assetId}`, name: 'From a result' }].slice(0, Math.max(1, maxRefs))));
    promptRef.current?.focus();
  };

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    if (!generateGate.allowed) return;
    setError(null);
    setRefusal(null);
    const input = {
      workspaceId,
      kind,
      model: model?.id,
      prompt,
      aspectRatio,
      seed: randomSeed || seed.trim() === '' ? null : Number(seed),
      count: kind === 'video' ? 1 : count,
      ...(model?.steps && steps !== '' ? { steps: Number(steps) } : {}),
      ...(model?.guidance && guidance !== '' ? { guidance: Number(guidance) } : {}),
      ...(kind === 'video' ? { durationSeconds: effectiveDuration, fps: fps ?? model?.fps?.[0] } : {}),
      referenceAssetIds: references.map((r) => r.id),
      ...(model?.negativePrompt && negativePrompt.trim() ? { negativePrompt } : {}),
    };
    const parsed = CreateGenerationInput.safeParse(input);
    if (!parsed.success) {
      setError(parsed.error.issues[0]?.message ?? 'Check the form.');
      promptRef.current?.focus();
      return;
    }
    create.mutate(input);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      submit();
    }
  };
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
  const active = jobs.filter((j) => j.status === 'queued' || j.status === 'running');
  const labelOf = (id: string) => models.find((m) => m.id === id)?.label;

  return (
    <div className="studio">
      <section className="panel studio-form" aria-labelledby="create-heading" onPaste={onPaste}>
        <h1 id="create-heading">Create</h1>
        <form onSubmit={submit} className="stack" noValidate>
          <div className="segmented" role="radiogroup" aria-label="What to make">
            {(['image', 'video'] as const).map((k) => (
              <label key={k} className={kind === k ? 'selected' : ''}>
                <input type="radio" name="kind" value={k} checked={kind === k} onChange={() => setKind(k)} />
                {k === 'image' ? 'Image' : 'Video'}
              </label>
            ))}
          </div>
          <div className="field">
            <label htmlFor="model">Model</label>
            <select id="model" value={model?.id ?? ''} onChange={(e) => setModelId(e.target.value)} aria-describedby={model?.preview ? 'model-hint connect-model-hint' : 'model-hint'}>
              {kindModels.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.label}
                </option>
              ))}
            </select>
            <p id="model-hint" className="hint">
              {model?.description} {model ? `${model.credits} credit${model.credits === 1 ? '' : 's'} per ${model.kind === 'video' ? 'second' : 'image'}.` : ''}
            </p>
            {model?.preview ? (
              <p id="connect-model-hint" className="hint">
                {CONNECT_MODEL_HINT[model.kind]}
              </p>
            ) : null}
          </div>
          <div className="field">
            <div className="label-row">
              <label htmlFor="prompt">Prompt</label>
              <span className={`muted small ${prompt.length > MAX_PROMPT_LENGTH ? 'danger' : ''}`}>
                {prompt.length.toLocaleString('en')} / {MAX_PROMPT_LENGTH.toLocaleString('en')}
              </span>
            </div>
            <textarea
              id="prompt"
              ref={promptRef}
              value={prompt}
              onChange={(e) => setPrompt(e.target.value)}
              onKeyDown={onKeyDown}
              rows={5}
              placeholder={kind === 'video' ? 'Slow dolly shot through a misty pine forest at dawn' : 'A glass greenhouse on a cliff at golden hour, soft fog, 35 mm photo'}
              aria-describedby="prompt-hint"
              autoFocus
            />
            <p id="prompt-hint" className="hint">
              Press <kbd>Ctrl</kbd>/<kbd>⌘</kbd> + <kbd>Enter</kbd> to generate.
            </p>
          </div>
          {model?.negativePrompt ? (
            <div className="field">
              <label htmlFor="negative-prompt">Leave out</label>
              <input id="negative-prompt" value={negativePrompt} onChange={(e) => setNegativePrompt(e.target.value)} maxLength={MAX_NEGATIVE_PROMPT_LENGTH + 50} placeholder="blurry, text, watermark" aria-describedby="negative-hint" />
              <p id="negative-hint" className="hint">
                Optional negative prompt: what the result should not show. This model takes one.
              </p>
            </div>
          ) : null}
          <PromptHistory
            refreshKey={create.data?.id}
            onPick={(h) => {
              setPrompt(h.prompt);
              setNegativePrompt(h.negativePrompt ?? '');
              promptRef.current?.focus();
            }}
          />
          <StylePresets
            workspaceId={workspaceId}
            mayCreate={generateGate.allowed}
            onApply={(p) => {
              setPrompt((cur) => applyPreset(cur, p.promptSuffix));
              if (p.negativePrompt) setNegativePrompt(p.negativePrompt);
              promptRef.current?.focus();
            }}
          />
          {maxRefs > 0 && mayUpload && generateGate.allowed ? (
            <div className="field">
              <span className="field-label" id="refs-label">
                Reference images <span className="muted small">({references.length}/{maxRefs}, optional)</span>
              </span>
              <div
                className={`dropzone ${dragging ? 'dragging' : ''}`}
                onDragOver={(e) => {
                  e.preventDefault();
                  setDragging(true);
                }}
                onDragLeave={() => setDragging(false)}
                onDrop={onDrop}
                aria-labelledby="refs-label"
                role="group"
              >
                {references.map((r) => (
                  <div key={r.id} className="ref-thumb">
                    <img src={`${r.url}?thumb=1`} alt={`Reference: ${r.name}`} />
                    <button type="button" className="ref-remove" aria-label={`Remove reference ${r.name}`} onClick={() => setReferences((refs) => refs.filter((x) => x.id !== r.id))}>
                      ×
                    </button>
                  </div>
                ))}
                {references.length < maxRefs ? (
                  <button type="button" className="dropzone-add" onClick={() => fileRef.current?.click()} disabled={uploading > 0}>
                    {uploading > 0 ? 'Uploading…' : 'Drop, paste or browse'}
                  </button>
                ) : null}
                <input
                  ref={fileRef}
                  type="file"
                  accept={ACCEPTED_IMAGE_TYPES}
                  multiple
                  className="visually-hidden"
                  aria-label="Upload reference images"
                  onChange={(e) => {
                    void addFiles([...(e.target.files ?? [])]);
                    e.target.value = '';
                  }}
                />
              </div>
              <p className="hint">PNG, JPEG or WebP up to 20 MB. Location and camera data are removed.</p>
            </div>
          ) : null}
          <fieldset className="field">
            <legend>Aspect ratio</legend>
            <div className="chips" role="radiogroup" aria-label="Aspect ratio">
              {(Object.keys(ASPECT_RATIOS) as AspectRatio[]).map((key) => (
                <label key={key} className={`chip ${aspectRatio === key ? 'selected' : ''}`} title={ASPECT_RATIOS[key].label}>
                  <input type="radio" name="aspectRatio" value={key} checked={aspectRatio === key} onChange={() => setAspectRatio(key)} />
                  <span className="ratio-icon" style={{ aspectRatio: `${ASPECT_RATIOS[key].width} / ${ASPECT_RATIOS[key].height}` }} aria-hidden="true" />
                  {key}
                </label>
              ))}
            </div>
          </fieldset>
          {kind === 'image' ? (
            <fieldset className="field">
              <legend>Outputs</legend>
              <div className="chips" role="radiogroup" aria-label="Number of outputs">
                {Array.from({ length: model?.maxOutputs ?? 4 }, (_, i) => i + 1).map((n) => (
                  <label key={n} className={`chip ${count === n ? 'selected' : ''}`}>
                    <input type="radio" name="count" value={n} checked={count === n} onChange={() => setCount(n)} aria-label={`${n} output${n > 1 ? 's' : ''}`} />
                    {n}
                  </label>
                ))}
              </div>
            </fieldset>
          ) : (
            <div className="row gap">
              <div className="field grow">
                <label htmlFor="duration">Clip length</label>
                <select id="duration" value={effectiveDuration} onChange={(e) => setDuration(Number(e.target.value))}>
                  {model?.durations?.map((d) => (
                    <option key={d} value={d}>
                      {d} seconds
                    </option>
                  ))}
                </select>
              </div>
              <div className="field grow">
                <label htmlFor="fps">Frame rate</label>
                <select id="fps" value={fps ?? model?.fps?.[0]} onChange={(e) => setFps(Number(e.target.value))}>
                  {model?.fps?.map((f) => (
                    <option key={f} value={f}>
                      {f} fps
                    </option>
                  ))}
                </select>
              </div>
            </div>
          )}
          <fieldset className="field">
            <legend>Seed</legend>
            <div className="row gap">
              <label className="checkbox">
                <input type="checkbox" checked={randomSeed} onChange={(e) => setRandomSeed(e.target.checked)} />
                Random
              </label>
              <label htmlFor="seed" className="visually-hidden">
                Seed number
              </label>
              <input id="seed" type="number" inputMode="numeric" min={0} max={MAX_SEED} step={1} value={seed} disabled={randomSeed} onChange={(e) => setSeed(e.target.value)} placeholder="e.g. 42" className="seed-input" />
            </div>
          </fieldset>
          {model?.steps || model?.guidance ? (
            <details className="advanced">
              <summary>Advanced</summary>
              <div className="stack">
                {model.steps ? (
                  <div className="field">
                    <label htmlFor="steps">
                      Steps <span className="muted small">({model.steps.min}–{model.steps.max}, default {model.steps.default})</span>
                    </label>
                    <input id="steps" type="number" min={model.steps.min} max={model.steps.max} value={steps} placeholder={String(model.steps.default)} onChange={(e) => setSteps(e.target.value)} />
                  </div>
                ) : null}
                {model.guidance ? (
                  <div className="field">
                    <label htmlFor="guidance">
                      Guidance <span className="muted small">({model.guidance.min}–{model.guidance.max}, default {model.guidance.default})</span>
                    </label>
                    <input id="guidance" type="number" step={0.5} min={model.guidance.min} max={model.guidance.max} value={guidance} placeholder={String(model.guidance.default)} onChange={(e) => setGuidance(e.target.value)} />
                  </div>
                ) : null}
              </div>
            </details>
          ) : null}
          <FormError message={error} />
          <ModerationNotice refusal={refusal} standing={standing} onAppealed={() => void standingQuery.refetch()} />
          <button type="submit" className="button primary wide large" disabled={create.isPending || uploading > 0} {...generateGate.button}>
            {create.isPending ? 'Starting…' : `Generate · ${cost} credit${cost === 1 ? '' : 's'}`}
          </button>
          {generateGate.hint}
        </form>
      </section>

      <section className="studio-results" aria-labelledby="results-heading">
        <QueuePanel workspaceId={workspaceId} mayGenerate={generateGate.allowed} mayCancel={mayCancel} />
        <div className="section-head">
          <h2 id="results-heading">Recent</h2>
          <span className="muted small" aria-live="polite">
            {active.length > 0 ? `${active.length} in the queue` : ''}
          </span>
        </div>
        {jobs.length === 0 ? (
          <div className="panel empty-state">
            <h3>Nothing here yet</h3>
            <p className="muted">Describe an image on the left and press Generate. It appears here as it renders.</p>
          </div>
        ) : (
          <div className="gen-grid">
            {jobs.map((g) => (
              <GenerationCard
                key={g.id}
                gen={g}
                modelLabel={labelOf(g.model)}
                actions={{
                  onCancel: mayCancel ? (id) => cancel.mutate({ id }) : undefined,
                  onRerun: generateGate.allowed ? (gen, s) => rerun.mutate({ id: gen.id, seed: s }) : undefined,
                  onReuse: reuse,
                  onUseAsReference: generateGate.allowed ? useAsReference : undefined,
                  onKeep: mayKeep ? (id, saved) => keep.mutate({ ids: [id], saved }) : undefined,
                }}
              />
            ))}
          </div>
        )}
      </section>
    </div>
  );
}
