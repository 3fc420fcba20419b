/**
 * Style presets (issue 18): text a workspace's members append to their prompts (and an optional
 * negative prompt), defined once and shared with the whole workspace. Editors create them; the
 * author or an admin/owner deletes them. Names are unique per workspace; at most
 * MAX_PRESETS_PER_WORKSPACE per workspace.
 */
import { sql } from 'kysely';
import type { z } from 'zod';
import { AppError } from '../shared/errors.js';
import { atLeast } from '../shared/permissions.js';
import { CreatePresetInput, MAX_PRESETS_PER_WORKSPACE, PresetIdInput, PresetListInput, type StylePresetView } from '../shared/prompts.js';
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
    mayDelete: r.created_by === actor.userId || atLeast(role, 'admin'),
  }));
}

export async function createPreset(deps: Pick<Deps, 'db'>, actor: Actor, raw: z.input<typeof CreatePresetInput>): Promise<StylePresetView> {
  const input = CreatePresetInput.parse(raw);
  const workspaceId = await resolveWorkspace(deps.db, actor, input.workspaceId, 'generation.create');
  const id = await deps.db.transaction().execute(async (trx) => {
    // One writer at a time per workspace, so the cap holds under concurrent creates.
    await sql`select pg_advisory_xact_lock(hashtext(${`style_preset:${workspaceId}`}))`.execute(trx);
    const { n } = await trx.selectFrom('style_preset').select((eb) => eb.fn.countAll<string>().as('n')).where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
    if (Number(n) >= MAX_PRESETS_PER_WORKSPACE) throw new AppError('TOO_MANY_PRESETS');
    const taken = await trx.selectFrom('style_preset').select('id').where('workspace_id', '=', workspaceId).where(sql<boolean>`lower(name) = lower(${input.name})`).executeTakeFirst();
    if (taken) throw new AppError('PRESET_NAME_TAKEN');
    const row = await trx
      .insertInto('style_preset')
      .values({ workspace_id: workspaceId, created_by: actor.userId, name: input.name, prompt_suffix: input.promptSuffix, negative_prompt: input.negativePrompt || null })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  });
  return (await listPresets(deps, actor, { workspaceId })).find((p) => p.id === id)!;
}

export async function deletePreset(deps: Pick<Deps, 'db'>, actor: Actor, raw: z.input<typeof PresetIdInput>): Promise<{ id: string }> {
  const { id } = PresetIdInput.parse(raw);
  const row = await deps.db.selectFrom('style_preset').select(['workspace_id', 'created_by']).where('id', '=', id).executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  const role = await requirePermission(deps.db, actor, row.workspace_id, 'generation.create');
  if (row.created_by !== actor.userId && !atLeast(role, 'admin')) throw new AppError('FORBIDDEN', { userMessage: 'Only the person who made this preset, an admin or the owner can delete it.' });
  await deps.db.deleteFrom('style_preset').where('id', '=', id).execute();
  return { id };
}
