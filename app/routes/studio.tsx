import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData, useSearchParams } from '@remix-run/react';
import { useMutation } from '@tanstack/react-query';
import { useCallback, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { GenerationView } from '../../server/services/generations.js';
import { ASPECT_RATIOS, CreateGenerationInput, MAX_PROMPT_LENGTH, MAX_SEED, type AspectRatio } from '../../server/shared/generation.js';
import type { GenerationEvent } from '../../server/shared/realtime.js';
import { GenerationCard } from '../components/GenerationCard.js';
import { useToast } from '../components/Toaster.js';
import { useSocketEvent } from '../lib/realtime.js';
import { requireUser } from '../lib/session.server.js';
import { errorMessage, useTRPC, useTRPCClient } from '../lib/trpc.js';

export const meta: MetaFunction = () => [{ title: 'Studio — Flux Klein' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { trpc } = await requireUser(request, context);
  return { recent: await trpc.generation.list({ limit: 12 }) };
}

function upsert(list: GenerationView[], gen: GenerationView): GenerationView[] {
  const i = list.findIndex((g) => g.id === gen.id);
  if (i === -1) return [gen, ...list];
  const next = list.slice();
  next[i] = { ...list[i]!, ...gen };
  return next;
}

export default function Studio() {
  const { recent } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const trpc = useTRPC();
  const client = useTRPCClient();
  const toast = useToast();
  const [jobs, setJobs] = useState<GenerationView[]>(recent.items);
  const [prompt, setPrompt] = useState(params.get('prompt') ?? '');
  const [aspectRatio, setAspectRatio] = useState<AspectRatio>(() => {
    const a = params.get('aspectRatio');
    return a && a in ASPECT_RATIOS ? (a as AspectRatio) : '1:1';
  });
  const initialSeed = params.get('seed');
  const [randomSeed, setRandomSeed] = useState(initialSeed === null);
  const [seed, setSeed] = useState(initialSeed ?? '');
  const [error, setError] = useState<string | null>(null);
  const promptRef = useRef<HTMLTextAreaElement>(null);

  const create = useMutation(
    trpc.generation.create.mutationOptions({
      onSuccess: (gen) => setJobs((list) => upsert(list, gen)),
      onError: (err) => setError(errorMessage(err)),
    }),
  );
  const cancel = useMutation(
    trpc.generation.cancel.mutationOptions({
      onSuccess: (gen) => setJobs((list) => upsert(list, gen)),
      onError: (err) => toast({ tone: 'error', title: 'Could not cancel', body: errorMessage(err) }),
    }),
  );

  const onUpdate = useCallback(
    (e: GenerationEvent) => {
      setJobs((list) => {
        const existing = list.find((g) => g.id === e.id);
        if (!existing) {
          // Started elsewhere (another tab): fetch it once.
          void client.generation.get.query({ id: e.id }).then((g) => setJobs((l) => upsert(l, g)), () => {});
          return list;
        }
        const assets = e.assetIds ? e.assetIds.map((id) => ({ id, url: `/files/${id}`, width: existing.width, height: existing.height })) : existing.assets;
        return upsert(list, { ...existing, status: e.status, progress: e.progress, errorMessage: e.errorMessage ?? null, errorCode: e.errorCode ?? null, assets });
      });
    },
    [client],
  );
  useSocketEvent('generation:update', onUpdate);

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    setError(null);
    const input = { prompt, aspectRatio, seed: randomSeed || seed.trim() === '' ? null : Number(seed) };
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
    setPrompt(g.prompt);
    setAspectRatio(g.aspectRatio as AspectRatio);
    setRandomSeed(false);
    setSeed(String(g.seed));
    promptRef.current?.focus();
  };
  const active = jobs.filter((j) => j.status === 'queued' || j.status === 'running').length;

  return (
    <div className="studio">
      <section className="panel studio-form" aria-labelledby="create-heading">
        <h1 id="create-heading">Create</h1>
        <form onSubmit={submit} className="stack" noValidate>
          <div className="field">
            <div className="label-row">
              <label htmlFor="prompt">Prompt</label>
              <span className={`muted small ${prompt.length > MAX_PROMPT_LENGTH ? 'danger' : ''}`} aria-live="polite">
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
              placeholder="A glass greenhouse on a cliff at golden hour, soft fog, 35 mm photo"
              aria-describedby="prompt-hint"
              autoFocus
            />
            <p id="prompt-hint" className="hint">
              Press <kbd>Ctrl</kbd>/<kbd>⌘</kbd> + <kbd>Enter</kbd> to generate.
            </p>
          </div>
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
              <input
                id="seed"
                type="number"
                inputMode="numeric"
                min={0}
                max={MAX_SEED}
                step={1}
                value={seed}
                disabled={randomSeed}
                onChange={(e) => setSeed(e.target.value)}
                placeholder="e.g. 42"
                className="seed-input"
              />
            </div>
          </fieldset>
          {error ? (
            <p className="form-error" role="alert">
              {error}
            </p>
          ) : null}
          <button type="submit" className="button primary wide large" disabled={create.isPending}>
            {create.isPending ? 'Starting…' : 'Generate'}
          </button>
        </form>
      </section>

      <section className="studio-results" aria-labelledby="results-heading">
        <div className="section-head">
          <h2 id="results-heading">Recent</h2>
          <span className="muted small" aria-live="polite">
            {active > 0 ? `${active} in progress` : ''}
          </span>
        </div>
        {jobs.length === 0 ? (
          <div className="panel empty-state">
            <h3>Nothing here yet</h3>
            <p className="muted">Describe an image on the left and press Generate. It appears here as it renders.</p>
          </div>
        ) : (
          <div className="gen-grid" aria-live="polite">
            {jobs.map((g) => (
              <GenerationCard key={g.id} gen={g} onCancel={(id) => cancel.mutate({ id })} onReuse={reuse} />
            ))}
          </div>
        )}
      </section>
    </div>
  );
}
