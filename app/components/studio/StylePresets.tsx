import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { MAX_PRESET_NAME, MAX_PRESET_SUFFIX, type StylePresetView } from '../../../server/shared/prompt-words.js';
import { lazyModule } from '../../lib/lazy.js';
import { errorMessage, useTRPC } from '../../lib/trpc.js';
import { FormError } from '../FormError.js';
import { useToast } from '../Toaster.js';

/** The preset's schemas (the procedures' own), loaded when first needed (ADR 0024). */
const promptSchemas = lazyModule(() => import('../../../server/shared/prompts.js'));

/**
 * The workspace's style presets: a click appends a preset's style text to the prompt (and fills the
 * negative prompt where the model takes one). Editors save a style as a new preset for everyone in
 * the workspace; its author or an admin changes or deletes it.
 */
export function StylePresets({ workspaceId, mayCreate, onApply }: { workspaceId: string | undefined; mayCreate: boolean; onApply(p: StylePresetView): void }) {
  const trpc = useTRPC();
  const toast = useToast();
  const presets = useQuery(trpc.prompts.presets.queryOptions({ workspaceId }));
  /** The form: closed, a new preset, or the preset being changed. */
  const [form, setForm] = useState<null | 'new' | StylePresetView>(null);
  const [name, setName] = useState('');
  const [suffix, setSuffix] = useState('');
  const [negative, setNegative] = useState('');
  const [error, setError] = useState<string | null>(null);
  const editing = form !== null && form !== 'new' ? form : null;
  const open = (preset: 'new' | StylePresetView) => {
    setForm(preset);
    setName(preset === 'new' ? '' : preset.name);
    setSuffix(preset === 'new' ? '' : preset.promptSuffix);
    setNegative(preset === 'new' ? '' : (preset.negativePrompt ?? ''));
    setError(null);
  };
  const saved = (title: string, body: string) => {
    setForm(null);
    toast({ tone: 'success', title, body });
    void presets.refetch();
  };
  const create = useMutation(
    trpc.prompts.createPreset.mutationOptions({
      onSuccess: (p) => saved('Preset saved', `“${p.name}” is now shared with the workspace.`),
      onError: (err) => setError(errorMessage(err)),
    }),
  );
  const update = useMutation(
    trpc.prompts.updatePreset.mutationOptions({
      onSuccess: (p) => saved('Preset changed', `Everyone in the workspace now gets the new “${p.name}”.`),
      onError: (err) => setError(errorMessage(err)),
    }),
  );
  const remove = useMutation(trpc.prompts.deletePreset.mutationOptions({ onSuccess: () => void presets.refetch(), onError: (err) => toast({ tone: 'error', title: 'Could not delete it', body: errorMessage(err) }) }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!form) return;
    const fields = { name, promptSuffix: suffix, ...(negative.trim() ? { negativePrompt: negative } : {}) };
    // Without the schemas (their download failed), the server's check answers instead.
    const schemas = await promptSchemas().catch(() => null);
    const parsed = form === 'new' ? schemas?.CreatePresetInput.safeParse({ workspaceId, ...fields }) : schemas?.UpdatePresetInput.safeParse({ id: form.id, ...fields });
    if (parsed && !parsed.success) return setError(parsed.error.issues[0]?.message ?? 'Check the preset.');
    setError(null);
    if (form === 'new') create.mutate({ workspaceId, ...fields });
    else update.mutate({ id: form.id, ...fields });
  };
  const list = presets.data ?? [];
  return (
    <fieldset className="field">
      <legend>Style presets</legend>
      {presets.isError ? (
        <p className="field-error">{errorMessage(presets.error)}</p>
      ) : !presets.data ? (
        <p className="muted small">Loading…</p>
      ) : list.length === 0 ? (
        <p className="muted small">No presets in this workspace yet.</p>
      ) : (
        <ul className="chips" aria-label="Style presets">
          {list.map((p) => (
            <li key={p.id} className="row gap-s">
              <button type="button" className="chip" onClick={() => onApply(p)} title={p.promptSuffix} aria-label={`Apply style ${p.name}`}>
                {p.name}
              </button>
              {p.mayChange ? (
                <>
                  <button type="button" className="button ghost small" aria-label={`Change preset ${p.name}`} aria-expanded={editing?.id === p.id} onClick={() => open(p)}>
                    Edit
                  </button>
                  <button type="button" className="button ghost small" aria-label={`Delete preset ${p.name}`} onClick={() => remove.mutate({ id: p.id })}>
                    ×
                  </button>
                </>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {form ? (
        <div
          className="stack-s"
          role="group"
          aria-label={editing ? `Change preset ${editing.name}` : 'New preset'}
          onKeyDown={(e) => {
            // Inside the studio's form: Enter saves the preset instead of starting a generation;
            // Escape closes the form without saving.
            if (e.key === 'Enter' && e.target instanceof HTMLInputElement) {
              e.preventDefault();
              void submit(e);
            } else if (e.key === 'Escape') {
              e.preventDefault();
              setForm(null);
            }
          }}
        >
          <label htmlFor="preset-name">Preset name</label>
          <input id="preset-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={MAX_PRESET_NAME + 20} autoFocus={editing !== null} />
          <label htmlFor="preset-suffix">Style text to add</label>
          <textarea id="preset-suffix" rows={2} value={suffix} onChange={(e) => setSuffix(e.target.value)} />
          <span className={`muted small ${suffix.length > MAX_PRESET_SUFFIX ? 'danger' : ''}`}>
            {suffix.length} / {MAX_PRESET_SUFFIX}
          </span>
          <label htmlFor="preset-negative">Leave out (optional)</label>
          <input id="preset-negative" value={negative} onChange={(e) => setNegative(e.target.value)} />
          <FormError message={error} />
          <div className="row gap-s">
            <button type="button" className="button primary small" onClick={(e) => void submit(e)} disabled={create.isPending || update.isPending}>
              {editing ? 'Save changes' : 'Save preset'}
            </button>
            <button type="button" className="button ghost small" onClick={() => setForm(null)}>
              Cancel
            </button>
          </div>
        </div>
      ) : mayCreate ? (
        <button type="button" className="button ghost small" onClick={() => open('new')}>
          New preset…
        </button>
      ) : null}
    </fieldset>
  );
}
