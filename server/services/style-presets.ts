/**
 * Style presets (issue 18): text a workspace's members append to their prompts (and an optional
 * negative prompt), defined once and shared with the whole workspace. Editors create them; the
 * author or an admin/owner changes or deletes them. Names are unique per workspace; at most
 * MAX_PRESETS_PER_WORKSPACE per workspace.
 */
import { sql, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { z } from 'zod';
import { AppError } from '../shared/errors.js';
import { atLeast } from '../shared/permissions.js';
import { CreatePresetInput, MAX_PRESETS_PER_WORKSPACE, PresetIdInput, PresetListInput, UpdatePresetInput, type StylePresetView } from '../shared/prompts.js';
import type { Actor, Deps } from './deps.js';
import { requirePermission, requireRole, resolveWorkspace } from './workspaces.js';

export async function listPresets(deps: Pick<Deps, 'db'>, actor: Actor, raw: z.input<typeof PresetListInput>): Promise<StylePresetView[]> {
  const input = PresetListInput.parse(raw);
  const workspaceId = await resolveWorkspace(deps.db, actor, input.workspaceId, 'viewer');
  const role = await requireRole(deps.db, actor, workspaceId, 'viewer');
  const rows = await deps.db
    .selectFrom('style_preset')
    .leftJoin('user', 'user.id', 'style_preset.created_by')
    .select(['style_preset.id', 'style_preset.workspace_id', 'style_preset.name', 'style_preset.prompt_suffix', 'style_preset.negative_prompt', 'style_preset.created_by', 'user.name as author'])
    .where('style_preset.workspace_id', '=', workspaceId)
    .orderBy(sql`lower(style_preset.name)`)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    workspaceId: r.workspace_id,
    name: r.name,
    promptSuffix: r.prompt_suffix,
    negativePrompt: r.negative_prompt,
    createdBy: r.created_by,
    createdByName: r.author ?? null,
    mayChange: r.created_by === actor.userId || atLeast(role, 'admin'),
  }));
}

/** Holds the workspace's preset lock for the transaction and refuses a name another of its presets has (in any case). */
async function lockNames(trx: Transaction<DB>, workspaceId: string, name: string, except?: string) {
  // One writer at a time per workspace, so the cap and the unique names hold under concurrent writes.
  await sql`select pg_advisory_xact_lock(hashtext(${`style_preset:${workspaceId}`}))`.execute(trx);
  let taken = trx.selectFrom('style_preset').select('id').where('workspace_id', '=', workspaceId).where(sql<boolean>`lower(name) = lower(${name})`);
  if (except) taken = taken.where('id', '<>', except);
  if (await taken.executeTakeFirst()) throw new AppError('PRESET_NAME_TAKEN');
}

export async function createPreset(deps: Pick<Deps, 'db'>, actor: Actor, raw: z.input<typeof CreatePresetInput>): Promise<StylePresetView> {
  const input = CreatePresetInput.parse(raw);
  const workspaceId = await resolveWorkspace(deps.db, actor, input.workspaceId, 'generation.create');
  const id = await deps.db.transaction().execute(async (trx) => {
    await lockNames(trx, workspaceId, input.name);
    const { n } = await trx.selectFrom('style_preset').select((eb) => eb.fn.countAll<string>().as('n')).where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
    if (Number(n) >= MAX_PRESETS_PER_WORKSPACE) throw new AppError('TOO_MANY_PRESETS');
    const row = await trx
      .insertInto('style_preset')
      .values({ workspace_id: workspaceId, created_by: actor.userId, name: input.name, prompt_suffix: input.promptSuffix, negative_prompt: input.negativePrompt || null })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  });
  return (await listPresets(deps, actor, { workspaceId })).find((p) => p.id === id)!;
}

/** The preset's workspace, once the actor is found to be its author or an admin/owner there (and still an editor). */
async function changeablePreset(deps: Pick<Deps, 'db'>, actor: Actor, id: string, what: 'change' | 'delete'): Promise<string> {
  const row = await deps.db.selectFrom('style_preset').select(['workspace_id', 'created_by']).where('id', '=', id).executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  const role = await requirePermission(deps.db, actor, row.workspace_id, 'generation.create');
  if (row.created_by !== actor.userId && !atLeast(role, 'admin')) throw new AppError('FORBIDDEN', { userMessage: `Only the person who made this preset, an admin or the owner can ${what} it.` });
  return row.workspace_id;
}

export async function updatePreset(deps: Pick<Deps, 'db'>, actor: Actor, raw: z.input<typeof UpdatePresetInput>): Promise<StylePresetView> {
  const input = UpdatePresetInput.parse(raw);
  const workspaceId = await changeablePreset(deps, actor, input.id, 'change');
  await deps.db.transaction().execute(async (trx) => {
    await lockNames(trx, workspaceId, input.name, input.id);
    const done = await trx
      .updateTable('style_preset')
      .set({ name: input.name, prompt_suffix: input.promptSuffix, negative_prompt: input.negativePrompt || null })
      .where('id', '=', input.id)
      .executeTakeFirst();
    // Deleted by someone else since it was read.
    if (done.numUpdatedRows === 0n) throw new AppError('NOT_FOUND');
  });
  return (await listPresets(deps, actor, { workspaceId })).find((p) => p.id === input.id)!;
}

export async function deletePreset(deps: Pick<Deps, 'db'>, actor: Actor, raw: z.input<typeof PresetIdInput>): Promise<{ id: string }> {
  const { id } = PresetIdInput.parse(raw);
  await changeablePreset(deps, actor, id, 'delete');
  await deps.db.deleteFrom('style_preset').where('id', '=', id).execute();
  return { id };
}
