/**
 * The studio's "Create" panel: kind, model, prompt, references, aspect ratio, outputs or clip
 * settings, seed, advanced settings, and the Generate button with the cost preview. State lives in
 * useStudioForm; this component holds only what is about the form's own moment (uploads in flight,
 * an error, a refusal by the prompt check).
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { useRef, useState, type ClipboardEvent, type DragEvent, type FormEvent, type KeyboardEvent } from 'react';
import { ASPECT_RATIOS, MAX_PROMPT_LENGTH, MAX_SEED, type AspectRatio } from '../../../server/shared/generation-limits.js';
import { lazyModule } from '../../lib/lazy.js';

/** The form's schema (the procedure's own), loaded when the form is first used (ADR 0024). */
const generationSchemas = lazyModule(() => import('../../../server/shared/generation.js'));
import { CONNECT_MODEL_HINT } from '../../../server/shared/providers.js';
import type { GenerationView } from '../../../server/shared/views.js';
import { errorCode, errorMessage, useTRPC } from '../../lib/trpc.js';
import { ACCEPTED_IMAGE_TYPES, uploadReference } from '../../lib/uploads.js';
import { useConsent } from '../ConsentBanner.js';
import { FormError } from '../FormError.js';
import type { useGate } from '../Gate.js';
import { ModerationNotice, REFUSAL_CODES, type Refusal } from '../ModerationNotice.js';
import type { StudioFormApi } from './useStudioForm.js';
import { PromptHistory } from './PromptHistory.js';
import { StylePresets } from './StylePresets.js';
import { applyPreset } from '../../../server/shared/prompt-words.js';
import { MAX_NEGATIVE_PROMPT_LENGTH } from '../../../server/shared/generation-limits.js';

export function StudioForm({
  studio,
  workspaceId,
  gate,
  mayUpload,
  initialStanding,
  onCreated,
}: {
  studio: StudioFormApi;
  workspaceId: string | undefined;
  gate: ReturnType<typeof useGate>;
  mayUpload: boolean;
  initialStanding: unknown;
  onCreated(gen: GenerationView): void;
}) {
  const { form, model, kindModels, maxRefs, effectiveDuration, promptRef, cost, set } = studio;
  const { kind, prompt, aspectRatio, randomSeed, seed, count, steps, guidance, fps, references, negativePrompt } = form;
  const trpc = useTRPC();
  const { consent } = useConsent();
  const [uploading, setUploading] = useState(0);
  const [dragging, setDragging] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // A refusal by the prompt check, and the person's standing (suspended?), shown with the reason and how to appeal.
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const standingQuery = useQuery(trpc.moderation.standing.queryOptions(undefined, { initialData: initialStanding as never, staleTime: 30_000 }));
  const standing = standingQuery.data ?? null;
  const [fileInput, setFileInput] = useState<HTMLInputElement | null>(null);

  const create = useMutation(
    trpc.generation.create.mutationOptions({
      onSuccess: (gen) => {
        onCreated(gen);
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

  const addFiles = async (files: File[]) => {
    if (!mayUpload || !gate.allowed) return;
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
        set.references((refs) => (refs.some((r) => r.id === asset.id) ? refs : [...refs, { id: asset.id, url: asset.url, name: file.name }].slice(0, maxRefs)));
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

  const submitting = useRef(false);
  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    if (!gate.allowed || submitting.current) return;
    setError(null);
    setRefusal(null);
    const input = studio.request();
    submitting.current = true;
    // Without the schema (its download failed), the server's check answers instead.
    const schemas = await generationSchemas().catch(() => null);
    submitting.current = false;
    const parsed = schemas?.CreateGenerationInput.safeParse(input);
    if (parsed && !parsed.success) {
      setError(parsed.error.issues[0]?.message ?? 'Check the form.');
      promptRef.current?.focus();
      return;
    }
    create.mutate(input);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void submit();
    }
  };

  return (
    <section className="panel studio-form" aria-labelledby="create-heading" onPaste={onPaste}>
      <h1 id="create-heading">Create</h1>
      <form onSubmit={(e) => void submit(e)} onFocus={() => void generationSchemas().catch(() => {})} className="stack" noValidate id="studio-form">
        <div className="segmented" role="radiogroup" aria-label="What to make">
          {(['image', 'video'] as const).map((k) => (
            <label key={k} className={kind === k ? 'selected' : ''}>
              <input type="radio" name="kind" value={k} checked={kind === k} onChange={() => set.kind(k)} />
              {k === 'image' ? 'Image' : 'Video'}
            </label>
          ))}
        </div>
        <div className="field">
          <label htmlFor="model">Model</label>
          <select id="model" value={model?.id ?? ''} onChange={(e) => set.modelId(e.target.value)} aria-describedby={model?.preview ? 'model-hint connect-model-hint' : 'model-hint'}>
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
            onChange={(e) => set.prompt(e.target.value)}
            onKeyDown={onKeyDown}
            rows={5}
            placeholder={kind === 'video' ? 'Slow dolly shot through a misty pine forest at dawn' : 'A glass greenhouse on a cliff at golden hour, soft fog, 35 mm photo'}
            aria-describedby="prompt-hint"
            autoFocus
          />
          <p id="prompt-hint" className="hint">
            Press <kbd>Ctrl</kbd>/<kbd>⌘</kbd> + <kbd>Enter</kbd> to generate, <kbd>?</kbd> for every shortcut.
          </p>
        </div>
        {model?.negativePrompt ? (
          <div className="field">
            <label htmlFor="negative-prompt">Leave out</label>
            <input id="negative-prompt" value={negativePrompt} onChange={(e) => set.negativePrompt(e.target.value)} maxLength={MAX_NEGATIVE_PROMPT_LENGTH + 50} placeholder="blurry, text, watermark" aria-describedby="negative-hint" />
            <p id="negative-hint" className="hint">
              Optional negative prompt: what the result should not show. This model takes one.
            </p>
          </div>
        ) : null}
        <PromptHistory
          refreshKey={create.data?.id}
          onPick={(h) => {
            set.prompt(h.prompt);
            set.negativePrompt(h.negativePrompt ?? '');
            promptRef.current?.focus();
          }}
        />
        <StylePresets
          workspaceId={workspaceId}
          mayCreate={gate.allowed}
          onApply={(p) => {
            set.prompt((cur) => applyPreset(cur, p.promptSuffix));
            if (p.negativePrompt) set.negativePrompt(p.negativePrompt);
            promptRef.current?.focus();
          }}
        />
        {maxRefs > 0 && mayUpload && gate.allowed ? (
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
                  <button type="button" className="ref-remove" aria-label={`Remove reference ${r.name}`} onClick={() => set.references((refs) => refs.filter((x) => x.id !== r.id))}>
                    ×
                  </button>
                </div>
              ))}
              {references.length < maxRefs ? (
                <button type="button" className="dropzone-add" onClick={() => fileInput?.click()} disabled={uploading > 0}>
                  {uploading > 0 ? 'Uploading…' : 'Drop, paste or browse'}
                </button>
              ) : null}
              <input
                ref={setFileInput}
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
                <input type="radio" name="aspectRatio" value={key} checked={aspectRatio === key} onChange={() => set.aspectRatio(key)} />
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
                  <input type="radio" name="count" value={n} checked={count === n} onChange={() => set.count(n)} aria-label={`${n} output${n > 1 ? 's' : ''}`} />
                  {n}
                </label>
              ))}
            </div>
          </fieldset>
        ) : (
          <div className="row gap">
            <div className="field grow">
              <label htmlFor="duration">Clip length</label>
              <select id="duration" value={effectiveDuration} onChange={(e) => set.duration(Number(e.target.value))}>
                {model?.durations?.map((d) => (
                  <option key={d} value={d}>
                    {d} seconds
                  </option>
                ))}
              </select>
            </div>
            <div className="field grow">
              <label htmlFor="fps">Frame rate</label>
              <select id="fps" value={fps ?? model?.fps?.[0]} onChange={(e) => set.fps(Number(e.target.value))}>
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
              <input type="checkbox" checked={randomSeed} onChange={(e) => set.randomSeed(e.target.checked)} />
              Random
            </label>
            <label htmlFor="seed" className="visually-hidden">
              Seed number
            </label>
            <input id="seed" type="number" inputMode="numeric" min={0} max={MAX_SEED} step={1} value={seed} disabled={randomSeed} onChange={(e) => set.seed(e.target.value)} placeholder="e.g. 42" className="seed-input" />
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
                  <input id="steps" type="number" min={model.steps.min} max={model.steps.max} value={steps} placeholder={String(model.steps.default)} onChange={(e) => set.steps(e.target.value)} />
                </div>
              ) : null}
              {model.guidance ? (
                <div className="field">
                  <label htmlFor="guidance">
                    Guidance <span className="muted small">({model.guidance.min}–{model.guidance.max}, default {model.guidance.default})</span>
                  </label>
                  <input id="guidance" type="number" step={0.5} min={model.guidance.min} max={model.guidance.max} value={guidance} placeholder={String(model.guidance.default)} onChange={(e) => set.guidance(e.target.value)} />
                </div>
              ) : null}
            </div>
          </details>
        ) : null}
        <FormError message={error} />
        <button type="submit" className="button primary wide large" disabled={create.isPending || uploading > 0} {...gate.button}>
          {create.isPending ? 'Starting…' : `Generate · ${cost} credit${cost === 1 ? '' : 's'}`}
        </button>
        {gate.hint}
      </form>
      {/* Outside the create form: its appeal form must not be nested in it (a nested form submits the outer one). */}
      <ModerationNotice refusal={refusal} standing={standing} onAppealed={() => void standingQuery.refetch()} />
    </section>
  );
}
